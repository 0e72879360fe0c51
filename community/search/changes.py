"""Notice content changes in any session and queue the affected threads for reindexing.

The forum code never calls search: a before_flush listener collects changed threads, posts,
categories and tags, an after_flush listener writes their thread ids to the search outbox in the
same transaction (UPDATE/DELETE statements on threads and posts, which skip the flush, are caught
by a do_orm_execute listener), and after_commit enqueues the drain job. A crash after commit leaves the outbox
rows behind for the next drain.
"""
from __future__ import annotations

import logging

from flask import has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from ..models import Category, Post, SearchOutbox, Tag, Thread, VerifiedAnswer, thread_tags, utcnow
from ..page_cache import store as page_cache

log = logging.getLogger(__name__)

PENDING = "search.pending"
NEEDS_DRAIN = "search.needs_drain"

# Attributes whose change alters what the index holds. View counts and the like are left out, so
# reading a thread never rewrites its search document.
TRACKED = {
    Thread: ("title", "state", "is_private", "category_id", "category", "deleted_at", "author_id",
             "last_activity_at", "tags", "created_at"),
    Post: ("body_html", "body_markdown", "deleted_at", "is_hidden", "thread_id", "thread", "position"),
    Category: ("name", "visibility", "deleted_at"),
    Tag: ("name",),
}

_registered = False


def register() -> None:
    """Listen on every Session once per process (apps share the ORM classes)."""
    global _registered
    if _registered:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _bulk_statement)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _registered = True


def _changed(obj) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in TRACKED[type(obj)])


def _before_flush(session: Session, _context, _instances) -> None:
    pending = session.info.setdefault(PENDING, {"objects": [], "thread_ids": set()})
    for obj in session.new:
        if isinstance(obj, (Thread, Post)):
            pending["objects"].append(obj)
    for obj in session.dirty:
        if type(obj) in TRACKED and _changed(obj):
            _note_existing(session, obj, pending)
    for obj in session.deleted:
        if type(obj) in TRACKED:
            _note_existing(session, obj, pending)
    for obj in (*session.new, *session.deleted, *session.dirty):
        if isinstance(obj, VerifiedAnswer):
            # "Has a verified answer" is indexed, and marking one may leave the thread row unchanged;
            # a merge moves the mark to another thread (both change).
            pending["thread_ids"].add(obj.thread_id)
            pending["thread_ids"].update(v for v in inspect(obj).attrs.thread_id.history.deleted if v is not None)


def _note_existing(session: Session, obj, pending: dict) -> None:
    ids: set[int] = pending["thread_ids"]
    if isinstance(obj, Thread):
        ids.add(obj.id)
    elif isinstance(obj, Post):
        pending["objects"].append(obj)
        # A post moved to another thread changes both threads.
        ids.update(v for v in inspect(obj).attrs.thread_id.history.deleted if v is not None)
    elif isinstance(obj, Category):
        ids.update(session.connection().scalars(select(Thread.id).where(Thread.category_id == obj.id)))
    elif isinstance(obj, Tag):
        ids.update(
            session.connection().scalars(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == obj.id))
        )


def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    ids = set(pending["thread_ids"])
    for obj in pending["objects"]:
        ids.add(obj.id if isinstance(obj, Thread) else obj.thread_id)
    ids.discard(None)
    if ids:
        _write_outbox(session, ids)


def _bulk_statement(state) -> None:
    """UPDATE/DELETE statements (recounts, the importer) skip the flush; note their threads too."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    entity = state.bind_mapper.class_
    if entity not in (Thread, Post):
        return
    column = Thread.id if entity is Thread else Post.thread_id
    if isinstance(state.parameters, list):
        # ORM bulk UPDATE by primary key: the rows are named in the parameters.
        ids = {row["id"] for row in state.parameters if "id" in row}
        if entity is Post:
            ids = set(state.session.connection().scalars(select(Post.thread_id).where(Post.id.in_(ids)))) if ids else set()
    else:
        query = select(column)
        if state.statement.whereclause is not None:
            query = query.where(state.statement.whereclause)
        ids = set(state.session.connection().scalars(query))
    if ids:
        _write_outbox(state.session, ids)


def _write_outbox(session: Session, ids: set[int]) -> None:
    now = utcnow()
    session.connection().execute(
        insert(SearchOutbox.__table__), [{"thread_id": i, "created_at": now} for i in sorted(ids)]
    )
    session.info[NEEDS_DRAIN] = True
    # Cached search pages show threads' titles and visibility from the database, not only the index.
    page_cache.note_search_change(session)


def _after_commit(session: Session) -> None:
    if not session.info.pop(NEEDS_DRAIN, False) or not has_app_context():
        return
    from ..jobs.queue import enqueue
    from .outbox import process_outbox

    try:
        enqueue(process_outbox, urgent=True)
    except Exception:
        # The rows are committed; the next drain (job or app start) picks them up.
        log.exception("could not enqueue the search outbox drain")


def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(NEEDS_DRAIN, None)
