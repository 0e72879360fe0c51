"""Search freshness: which threads a change sends back to the index, from the change tracker.

The forum code never calls search. The change tracker (community/changes.py) tells this module,
inside the transaction, what each flush and each UPDATE/DELETE statement changed; the threads whose
search documents that alters get a row in the search outbox in the same transaction. After the
commit the drain job is enqueued. A crash after the commit leaves the outbox rows behind for the
next drain.
"""
from __future__ import annotations

import logging

from flask import has_app_context
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import changes
from ..models import Category, SearchOutbox, Tag, Thread, thread_tags, utcnow
from .indexed_fields import SEARCH_TABLES, affects_index, touches_index

log = logging.getLogger(__name__)


def register() -> None:
    """Subscribe to the change tracker (community/changes.py), which create_app registers."""
    changes.subscribe_in_transaction(_queue_reindex, SEARCH_TABLES)
    changes.subscribe(_drain_after_commit, SEARCH_TABLES)


def threads_to_reindex(session: Session, change_set: changes.ChangeSet) -> set[int]:
    """The threads whose search documents the change alters (a category's or a tag's: all of theirs)."""
    thread_ids: set[int] = set()
    category_ids, tag_ids = set(), set()
    for row in change_set.rows:
        if not affects_index(row):
            continue
        if row.table == Category.__tablename__:
            category_ids.add(row.key)
        elif row.table == Tag.__tablename__:
            tag_ids.add(row.key)
        else:
            thread_ids |= row.thread_ids  # a post moved to another thread: both
    for statement in change_set.statements:
        thread_ids |= statement.thread_ids or set()
    connection = session.connection() if category_ids or tag_ids else None
    if category_ids:
        thread_ids.update(connection.scalars(select(Thread.id).where(Thread.category_id.in_(category_ids))))
    if tag_ids:
        thread_ids.update(connection.scalars(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id.in_(tag_ids))))
    thread_ids.discard(None)
    return thread_ids


def _queue_reindex(session: Session, change_set: changes.ChangeSet) -> None:
    thread_ids = threads_to_reindex(session, change_set)
    if thread_ids:
        now = utcnow()
        session.connection().execute(
            insert(SearchOutbox.__table__), [{"thread_id": i, "created_at": now} for i in sorted(thread_ids)]
        )


def _drain_after_commit(change_set: changes.ChangeSet) -> None:
    if not touches_index(change_set) or not has_app_context():
        return
    from ..jobs.queue import enqueue
    from .outbox import process_outbox

    try:
        enqueue(process_outbox, urgent=True)
    except Exception:
        # The rows are committed; the next drain (job or app start) picks them up.
        log.exception("could not enqueue the search outbox drain")
