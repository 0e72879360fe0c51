"""Index upkeep: reindex threads, compact, rebuild aside and swap, scheduled maintenance, and the
check that compares the index with the database (`flask community search ...`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from ..extensions import db
from ..jobs.registry import job
from ..models import SearchOutbox, utcnow
from ..page_cache import store as page_cache
from . import backend as current_backend
from .documents import all_docs, count_indexable, docs_for


@job("search.compact_index")
def compact_index() -> int:
    """Job: merge the small pieces indexing leaves (Whoosh segments). A job of its own, so the
    indexing job never waits for a merge."""
    compact = getattr(current_backend(), "compact", None)
    if compact:
        compact()
    return 1


def reindex_threads(thread_ids) -> None:
    docs, gone = docs_for(db.session, thread_ids)
    search_backend = current_backend()
    search_backend.index(docs)
    search_backend.delete(gone)
    db.session.commit()
    page_cache.search_index_changed()


def rebuild_index(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index aside and swap it in; then replay changes made meanwhile."""
    started = utcnow()
    count = current_backend().rebuild(all_docs(db.session), progress)
    db.session.rollback()
    page_cache.search_index_changed()
    changed = set(db.session.scalars(select(SearchOutbox.thread_id).where(SearchOutbox.created_at >= started)))
    if changed:
        reindex_threads(changed)
    return count


@job("search.scheduled_maintenance")
def scheduled_maintenance() -> int:
    """Scheduled (run-scheduled): compact the Whoosh index, or refresh PostgreSQL's word table."""
    current_backend().maintain()
    db.session.commit()
    return 1


def indexable_count() -> int:
    return count_indexable(db.session)


@dataclass
class IndexCheck:
    missing: list[int]
    stale: list[int]
    extra: list[int]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check_index() -> IndexCheck:
    """Compare the index with the database: missing, stale (changed since indexed) and extra docs."""
    indexed = current_backend().stamps()
    missing, stale, seen = [], [], set()
    for doc in all_docs(db.session):
        seen.add(doc.thread_id)
        stamp = indexed.get(doc.thread_id)
        if stamp is None:
            missing.append(doc.thread_id)
        elif stamp != doc.stamp:
            stale.append(doc.thread_id)
    extra = sorted(set(indexed) - seen)
    return IndexCheck(missing=missing, stale=stale, extra=extra)
