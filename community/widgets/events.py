"""Widget analytics: counters per widget, embedding origin, day and kind. No visitor data at all."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..errors import ValidationFailed
from ..extensions import db
from ..models import utcnow
from ..models.widgets import WidgetEventCount

EVENT_KINDS = ("impression", "click", "search", "ask")


def record_event(widget_id: int, origin: str, kind: str) -> None:
    """Add one to today's counter; an upsert, so concurrent beacons never collide on the unique key."""
    if kind not in EVENT_KINDS:
        raise ValidationFailed("Unknown event.", fields={"kind": f"One of {', '.join(EVENT_KINDS)}."})
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(WidgetEventCount).values(
        widget_id=widget_id, origin=origin[:255], day=utcnow().date(), kind=kind, count=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["widget_id", "origin", "day", "kind"],
        set_={"count": WidgetEventCount.count + 1},
    )
    db.session.execute(statement)
    db.session.commit()


def totals_by_widget(days: int = 30) -> dict[int, dict[str, int]]:
    """{widget_id: {kind: count}} over the last `days` days, for the widgets page."""
    since = utcnow().date() - timedelta(days=days)
    rows = db.session.execute(
        select(WidgetEventCount.widget_id, WidgetEventCount.kind, func.sum(WidgetEventCount.count))
        .where(WidgetEventCount.day >= since)
        .group_by(WidgetEventCount.widget_id, WidgetEventCount.kind)
    )
    totals: dict[int, dict[str, int]] = {}
    for widget_id, kind, count in rows:
        totals.setdefault(widget_id, dict.fromkeys(EVENT_KINDS, 0))[kind] = int(count)
    return totals


def daily_rows(widget_id: int, days: int = 30) -> list[tuple[date, str, str, int]]:
    """(day, origin, kind, count) for one widget, newest first."""
    since = utcnow().date() - timedelta(days=days)
    rows = db.session.execute(
        select(WidgetEventCount.day, WidgetEventCount.origin, WidgetEventCount.kind, WidgetEventCount.count)
        .where(WidgetEventCount.widget_id == widget_id, WidgetEventCount.day >= since)
        .order_by(WidgetEventCount.day.desc(), WidgetEventCount.origin, WidgetEventCount.kind)
    )
    return [tuple(row) for row in rows]
