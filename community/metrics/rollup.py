"""The metrics job: keeps the dashboard's rollup tables in step with the stored rows.

`refresh()` runs from run-scheduled (or a worker). It recomputes ThreadFacts for threads that are
new or changed since their facts were computed, drops facts of deleted or merged threads, and
labels not-yet-labelled community posts with the bridge classifier. Every step recomputes from
source rows and replaces what it wrote before, so running it twice (or concurrently with itself)
gives the same tables.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select

from ..bridge.classify import active_classifier
from ..extensions import db
from ..jobs.registry import job
from ..models import (
    STAFF_ROLES, BridgeCase, Post, PostSentiment, Thread, ThreadFacts, User, VerifiedAnswer, utcnow,
)
from . import business_hours

CHUNK = 1000


@job("metrics.rollup.refresh")
def refresh() -> int:
    """Job: bring every rollup up to date; returns how many rows it (re)computed."""
    return refresh_thread_facts() + classify_community_posts()


# --- thread facts -------------------------------------------------------------------------------


def refresh_thread_facts() -> int:
    _drop_gone_threads()
    done, after = 0, 0
    while True:
        ids, after = _stale_thread_ids(after, CHUNK)
        if after is None:
            return done
        if ids:
            _recompute(ids)
            done += len(ids)


def _drop_gone_threads() -> None:
    gone = select(Thread.id).where(or_(Thread.deleted_at.is_not(None), Thread.merged_into_id.is_not(None)))
    db.session.execute(delete(ThreadFacts).where(ThreadFacts.thread_id.in_(gone)))
    db.session.commit()


def _stale_thread_ids(after: int, limit: int) -> tuple[list[int], int | None]:
    """Live threads after id `after` with no facts yet, or whose activity, state, verification or
    owner changed; and the last id looked at (None when there are no more).

    SQL narrows the candidates; Python compares the parsed values, since bulk-loaded rows may
    spell the same timestamp differently in SQLite (with or without microseconds)."""
    facts = ThreadFacts
    rows = db.session.execute(
        select(Thread.id, Thread.last_activity_at, Thread.state, Thread.first_verified_at, Thread.assigned_to_id,
               facts.thread_id.label("has_facts"), facts.source_activity_at, facts.state.label("facts_state"),
               facts.verified_s, facts.owner_id)
        .outerjoin(facts, facts.thread_id == Thread.id)
        .where(Thread.id > after, Thread.deleted_at.is_(None), Thread.merged_into_id.is_(None))
        .where(or_(
            facts.thread_id.is_(None),
            facts.source_activity_at != Thread.last_activity_at,
            facts.state != Thread.state,
            and_(Thread.first_verified_at.is_not(None), facts.verified_s.is_(None)),
            and_(Thread.assigned_to_id.is_not(None), or_(facts.owner_id.is_(None), facts.owner_id != Thread.assigned_to_id)),
        ))
        .order_by(Thread.id).limit(limit)
    ).all()
    if not rows:
        return [], None
    return [row.id for row in rows if _changed(row)], rows[-1].id


def _changed(row) -> bool:
    if row.has_facts is None:
        return True
    return (
        row.source_activity_at != row.last_activity_at or row.facts_state != row.state.value
        or (row.first_verified_at is not None and row.verified_s is None)
        or (row.assigned_to_id is not None and row.owner_id != row.assigned_to_id)
    )


def _recompute(ids: list[int]) -> None:
    hours = business_hours.from_config(current_app.config)
    staff = _staff_replies(ids)
    verifiers = dict(db.session.execute(
        select(VerifiedAnswer.thread_id, VerifiedAnswer.verified_by_id).where(VerifiedAnswer.thread_id.in_(ids))
    ).all())
    from_x = set(db.session.scalars(select(BridgeCase.linked_thread_id).where(BridgeCase.linked_thread_id.in_(ids))))
    threads = db.session.execute(select(
        Thread.id, Thread.category_id, Thread.created_at, Thread.state, Thread.assigned_to_id, Thread.first_reply_at,
        Thread.first_staff_reply_at, Thread.solved_at, Thread.first_verified_at, Thread.last_activity_at,
    ).where(Thread.id.in_(ids))).all()
    now = utcnow()
    rows = []
    for row in threads:
        replies = staff.get(row.id, [])
        first_responder = replies[0][1] if replies else None
        rows.append(dict(
            thread_id=row.id, category_id=row.category_id, channel="x" if row.id in from_x else "community",
            created_at=row.created_at, state=row.state.value, owner_id=row.assigned_to_id or first_responder,
            first_staff_responder_id=first_responder,
            first_reply_s=_seconds(row.created_at, row.first_reply_at),
            first_reply_bh_s=_business(hours, row.created_at, row.first_reply_at),
            first_staff_s=_seconds(row.created_at, row.first_staff_reply_at),
            first_staff_bh_s=_business(hours, row.created_at, row.first_staff_reply_at),
            solved_s=_seconds(row.created_at, row.solved_at), verified_s=_seconds(row.created_at, row.first_verified_at),
            verified_by_id=verifiers.get(row.id), staff_replies=len(replies),
            source_activity_at=row.last_activity_at, refreshed_at=now,
        ))
    _replace(ThreadFacts.__table__, ThreadFacts.__table__.c.thread_id, ids, rows)


def _replace(table, key, ids: list[int], rows: list[dict]) -> None:
    """Swap the rollup rows for these ids in one transaction. Core statements: rollup rows are not
    forum content, so the ORM flush hooks (search, page cache) have nothing to do with them."""
    connection = db.session.connection()
    connection.execute(table.delete().where(key.in_(ids)))
    if rows:
        connection.execute(table.insert(), rows)
    db.session.commit()


def _staff_replies(ids: list[int]) -> dict[int, list[tuple[datetime, int]]]:
    """Replies by staff (not the asker, not system notes) per thread, oldest first."""
    rows = db.session.execute(
        select(Post.thread_id, Post.created_at, Post.author_id)
        .join(User, User.id == Post.author_id).join(Thread, Thread.id == Post.thread_id)
        .where(Post.thread_id.in_(ids), Post.position > 1, Post.is_system.is_(False),
               Post.author_id != Thread.author_id, User.role.in_(STAFF_ROLES))
        .order_by(Post.thread_id, Post.created_at, Post.id)
    ).all()
    replies: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for thread_id, created_at, author_id in rows:
        replies[thread_id].append((created_at, author_id))
    return replies


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, int((end - start).total_seconds()))


def _business(hours: business_hours.BusinessHours, start: datetime, end: datetime | None) -> int | None:
    return None if end is None else hours.seconds_between(start, end)


def last_refreshed_at() -> datetime | None:
    return db.session.scalar(select(func.max(ThreadFacts.refreshed_at)))


# --- community-post sentiment ------------------------------------------------------------------


def classify_community_posts(limit: int | None = None) -> int:
    """Label community posts the classifier has not seen, oldest first, at most `limit` per run."""
    limit = limit or int(current_app.config["METRICS_SENTIMENT_BATCH"])
    cursor = _sentiment_cursor()
    done = 0
    while done < limit:
        batch = db.session.execute(
            select(Post.id, Post.body_markdown, Post.created_at)
            .where(Post.id > cursor, Post.is_system.is_(False)).order_by(Post.id).limit(min(CHUNK, limit - done))
        ).all()
        if not batch:
            break
        _store_labels(batch)
        cursor, done = batch[-1].id, done + len(batch)
    return done


def _sentiment_cursor() -> int:
    """Continue after the newest labelled post; on the first run start BACKFILL_DAYS back."""
    newest = db.session.scalar(select(func.max(PostSentiment.post_id)))
    if newest is not None:
        return newest
    days = int(current_app.config["METRICS_SENTIMENT_BACKFILL_DAYS"])
    first = db.session.scalar(select(func.min(Post.id)).where(Post.created_at >= utcnow() - timedelta(days=days)))
    return (first - 1) if first is not None else (db.session.scalar(select(func.max(Post.id))) or 0)


def _store_labels(batch: Iterable) -> None:
    batch = list(batch)
    results = active_classifier(current_app.config).classify_many([row.body_markdown for row in batch])
    rows = [dict(post_id=row.id, day=row.created_at.date(), label=result.label,
                 complaint_score=result.complaint_score, classifier_version=result.version[:80])
            for row, result in zip(batch, results)]
    _replace(PostSentiment.__table__, PostSentiment.__table__.c.post_id, [row.id for row in batch], rows)
