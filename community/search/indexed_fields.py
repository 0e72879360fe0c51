"""Which tables and attributes the search index is made of, and whether a change touches them.

Kept apart from changes.py (which writes the outbox and queues the drain) so the page cache can ask
whether a commit makes its search pages stale without importing the indexing side.
"""
from __future__ import annotations

from .. import changes
from ..models import Category, Post, Tag, Thread, VerifiedAnswer

# Attributes whose change alters what the index holds. View counts and the like are left out, so
# reading a thread never rewrites its search document.
TRACKED = {
    Thread.__tablename__: frozenset({"title", "state", "is_private", "category_id", "category", "deleted_at",
                                     "author_id", "last_activity_at", "tags", "created_at"}),
    Post.__tablename__: frozenset({"body_html", "body_markdown", "deleted_at", "is_hidden", "thread_id", "thread",
                                   "position"}),
    Category.__tablename__: frozenset({"name", "visibility", "deleted_at"}),
    Tag.__tablename__: frozenset({"name"}),
}
# A new thread or post is indexed; a new category or tag has no threads yet.
INDEXED_WHEN_NEW = frozenset({Thread.__tablename__, Post.__tablename__})
# "Has a verified answer" is indexed, and marking one may leave the thread row unchanged.
VERIFIED = VerifiedAnswer.__tablename__
SEARCH_TABLES = frozenset(TRACKED) | {VERIFIED}


def touches_index(change_set: changes.ChangeSet) -> bool:
    """Whether the change sends threads back to the index (cached search pages go stale)."""
    return any(affects_index(row) for row in change_set.rows) or any(s.thread_ids for s in change_set.statements)


def affects_index(row: changes.Row) -> bool:
    if row.table == VERIFIED:
        return True
    tracked = TRACKED.get(row.table)
    if tracked is None:
        return False
    if row.op == changes.INSERT:
        return row.table in INDEXED_WHEN_NEW
    return row.op == changes.DELETE or not tracked.isdisjoint(row.columns)
