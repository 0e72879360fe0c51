"""Deflection analytics: searches and result clicks, similar-question suggestions shown and opened
while composing, and how compose sessions end (posted or abandoned); staff search insights."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import DeflectionEvent, SearchEvent, Thread, utcnow
from ..policies import can_read_thread, is_staff, reader_id
from .backend import clean_query

IDENTITY_KEEP = timedelta(days=30)
ABANDON_AFTER = timedelta(hours=1)
DEFLECTION_KINDS = frozenset({"shown", "opened", "abandoned", "posted"})
CLIENT_DEFLECTION_KINDS = frozenset({"posted", "abandoned"})
_COMPOSE_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")


def is_compose_id(value: str) -> bool:
    """A composer's session id as the browser makes it (anything else is not recorded)."""
    return bool(_COMPOSE_ID.fullmatch(value or ""))


def normalise_query(text: str) -> str:
    return " ".join(clean_query(text).lower().split())[:200]


def record_search(user, query: str, result_count: int) -> None:
    db.session.add(
        SearchEvent(kind="search", query=normalise_query(query), result_count=result_count, user_id=reader_id(user))
    )
    db.session.commit()


def record_click(user, thread_id: int, query: str) -> Thread:
    """A click on a search result; returns the thread to redirect to."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_read_thread(user, thread):
        raise NotFound("That thread does not exist or is not visible to you.")
    db.session.add(
        SearchEvent(kind="click", query=normalise_query(query), thread_id=thread.id, user_id=reader_id(user))
    )
    db.session.commit()
    return thread


def open_suggestion(user, thread_id: int, compose_id: str) -> Thread:
    """A similar-question suggestion opened from the composer; returns the thread."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not can_read_thread(user, thread):
        raise NotFound("That thread does not exist or is not visible to you.")
    if is_compose_id(compose_id):
        record_deflection(user, "opened", compose_id, thread.id)
    return thread


def record_compose_outcome(user, kind: str, compose_id: str) -> None:
    """The composer reports how a compose session ended: posted anyway, or abandoned."""
    errors = {}
    if kind not in CLIENT_DEFLECTION_KINDS:
        errors["kind"] = "Unknown event."
    if not is_compose_id(compose_id):
        errors["compose_id"] = "Missing or malformed compose id."
    if errors:
        raise ValidationFailed("Bad deflection event.", fields=errors)
    record_deflection(user, kind, compose_id)


def record_deflection(user, kind: str, compose_id: str, thread_id: int | None = None) -> None:
    db.session.add(DeflectionEvent(kind=kind, compose_id=compose_id, thread_id=thread_id, user_id=reader_id(user)))
    db.session.commit()


def purge_old_events(now: datetime | None = None) -> None:
    """Job: forget who searched after 30 days, and close out compose sessions left after a suggestion."""
    now = now or utcnow()
    cutoff = now - IDENTITY_KEEP
    for model in (SearchEvent, DeflectionEvent):
        db.session.execute(update(model).where(model.created_at < cutoff, model.user_id.is_not(None)).values(user_id=None))
    _record_abandoned(now)
    db.session.commit()


def _record_abandoned(now: datetime) -> None:
    """A compose session that opened a suggestion and neither posted nor came back within the hour."""
    opened = select(DeflectionEvent.compose_id).where(
        DeflectionEvent.kind == "opened", DeflectionEvent.created_at < now - ABANDON_AFTER
    )
    closed = select(DeflectionEvent.compose_id).where(DeflectionEvent.kind.in_(("posted", "abandoned")))
    for compose_id in set(db.session.scalars(opened.where(DeflectionEvent.compose_id.not_in(closed)))):
        db.session.add(DeflectionEvent(kind="abandoned", compose_id=compose_id, created_at=now))


@dataclass
class Insights:
    top_queries: list[tuple[str, int]]
    zero_result_queries: list[tuple[str, int]]
    clicks: int
    searches: int
    sessions_shown: int
    sessions_abandoned: int
    sessions_posted: int

    @property
    def abandon_rate(self) -> float | None:
        return self.sessions_abandoned / self.sessions_shown if self.sessions_shown else None


def insights(user, days: int = 30) -> Insights:
    from ..errors import PermissionDenied

    if not is_staff(user):
        raise PermissionDenied("Search insights are for staff.")
    since = utcnow() - timedelta(days=days)
    searches = select(SearchEvent.query, func.count().label("n")).where(
        SearchEvent.kind == "search", SearchEvent.created_at >= since
    )
    top = searches.group_by(SearchEvent.query).order_by(func.count().desc(), SearchEvent.query).limit(25)
    zero = (
        searches.where(SearchEvent.result_count == 0).group_by(SearchEvent.query)
        .order_by(func.count().desc(), SearchEvent.query).limit(25)
    )
    return Insights(
        top_queries=[(r.query, r.n) for r in db.session.execute(top)],
        zero_result_queries=[(r.query, r.n) for r in db.session.execute(zero)],
        clicks=_count_events(SearchEvent, "click", since),
        searches=_count_events(SearchEvent, "search", since),
        sessions_shown=_count_sessions("shown", since),
        sessions_abandoned=_count_sessions("abandoned", since),
        sessions_posted=_count_sessions("posted", since),
    )


def _count_events(model, kind: str, since: datetime) -> int:
    return db.session.scalar(select(func.count()).where(model.kind == kind, model.created_at >= since)) or 0


def _count_sessions(kind: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(DeflectionEvent.compose_id))).where(
            DeflectionEvent.kind == kind, DeflectionEvent.created_at >= since
        )
    ) or 0
