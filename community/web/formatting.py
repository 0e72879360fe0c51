"""Template filters for dates and counts: one place that decides how a time or a count is printed.

`isotime`: the value of every `<time datetime>`: ISO 8601 in UTC to the second ("2026-06-03T14:05:09Z");
HTML allows at most three digits of a second's fraction, and Python prints six.
`counted`: a number with its noun, "1 reply" / "3 replies"; `plural` the noun (or phrase) alone.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask


def iso_time(value: datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):  # rollup timestamps arrive as stored ISO strings
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:  # the database keeps naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plural(count: int | None, one: str, many: str | None = None) -> str:
    """`one` for exactly 1, else `many` (default: `one` + "s")."""
    return one if count == 1 else (many if many is not None else f"{one}s")


def counted(count: int | None, one: str, many: str | None = None) -> str:
    return f"{count or 0} {plural(count or 0, one, many)}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["isotime"] = iso_time
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["counted"] = counted
