"""Search: queries filtered by what the viewer may read, indexing jobs, the outbox, and events."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, select, update

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, DeflectionEvent, SearchEvent, SearchOutbox, Thread, User, utcnow
from ..policies import can_read_category, can_read_thread, is_staff, readable_visibilities, reader_id
from . import backend as current_backend
from .backend import (
    MAX_QUERY_CHARS,
    Access,
    Hit,
    SearchRequest,
    SearchResults,
    clean_query,
)
from .documents import all_docs, count_indexable, docs_for
from ..page_cache import store as page_cache

log = logging.getLogger(__name__)

OUTBOX_BATCH = 500
OUTBOX_KEEP = timedelta(days=1)
IDENTITY_KEEP = timedelta(days=30)
ABANDON_AFTER = timedelta(hours=1)
SIMILAR_LIMIT = 5
DEFLECTION_KINDS = frozenset({"shown", "opened", "abandoned", "posted"})
CLIENT_DEFLECTION_KINDS = frozenset({"posted", "abandoned"})
_COMPOSE_ID = re.compile(r"[A-Za-z0-9_-]{8,40}")


def viewer_by_email(email: str) -> User:
    """The user the CLI searches as (`--as EMAIL`)."""
    user = db.session.scalar(select(User).where(User.email_normalized == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with email {email}.")
    return user


def access_for(user) -> Access:
    return Access(
        visibilities=frozenset(v.value for v in readable_visibilities(user)),
        user_id=reader_id(user),
        sees_all_private=is_staff(user),
    )


# --- searching ---------------------------------------------------------------------------------


@dataclass
class ResultItem:
    hit: Hit
    thread: Thread


@dataclass
class SearchPage:
    query: str
    items: list[ResultItem] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    corrected: str | None = None
    notice: str | None = None
    searched: bool = False
    total_capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class SearchFilters:
    category_id: int | None = None
    state: str | None = None
    verified_only: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


def search(user, text: str, filters: SearchFilters | None = None) -> SearchPage:
    """What `user` sees searching for `text`; records the search for the insights page."""
    filters = filters or SearchFilters()
    _check_filters(filters)
    query = clean_query(text)
    page = SearchPage(query=query, page=filters.page, per_page=filters.per_page)
    if len((text or "").strip()) > MAX_QUERY_CHARS:
        page.notice = f"Your search was long, so only its first {MAX_QUERY_CHARS} characters were used."
    if not query:
        return page
    access = access_for(user)
    results = _run(_request(query, access, filters))
    if results is None:
        page.notice = "That search could not be understood. Try plain words, or remove quotes and symbols."
        return page
    page.searched = True
    page.items = _readable_items(user, results.hits)
    page.total, page.total_capped = results.total, results.total_capped
    if results.total == 0:
        page.corrected = _checked_correction(query, access, filters)
    if filters.page == 1:
        _record_search(user, query, results.total)
    return page


@dataclass
class SearchScreen:
    """Everything the search page shows, from one call: results and the category filter."""

    page: SearchPage
    categories: list[Category]
    errors: dict[str, str] = field(default_factory=dict)


def search_screen(user, text: str, filters: SearchFilters, input_errors: dict[str, str] | None = None) -> SearchScreen:
    """The search page for `user`: searched unless the view already found the input unusable."""
    page, errors = SearchPage(query=text), dict(input_errors or {})
    if not errors:
        try:
            page = search(user, text, filters)
        except ValidationFailed as failure:
            errors = failure.fields
    return SearchScreen(page=page, categories=filter_categories(user), errors=errors)


def filter_categories(user) -> list[Category]:
    """Categories offered in the search filter: the ones this user may read."""
    rows = db.session.scalars(
        select(Category).where(Category.deleted_at.is_(None)).order_by(Category.position, Category.name)
    )
    return [category for category in rows if can_read_category(user, category)]


def _check_filters(filters: SearchFilters) -> None:
    errors = {}
    if filters.state not in (None, "solved", "unsolved"):
        errors["state"] = "Choose solved or unsolved."
    if filters.sort not in ("relevance", "newest"):
        errors["sort"] = "Sort by relevance or newest."
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = "The end date is before the start date."
    if errors:
        raise ValidationFailed("Check the search filters.", fields=errors)
    filters.page = min(max(filters.page, 1), 500)


def _request(query: str, access: Access, filters: SearchFilters) -> SearchRequest:
    return SearchRequest(
        text=query, access=access, category_id=filters.category_id, state=filters.state,
        verified_only=filters.verified_only, date_from=filters.date_from, date_to=filters.date_to,
        sort=filters.sort, page=filters.page, per_page=filters.per_page,
    )


def _run(request: SearchRequest) -> SearchResults | None:
    """Search as typed; if the backend cannot parse it, search its plain words instead."""
    try:
        return current_backend().search(request)
    except Exception:
        db.session.rollback()
        log.info("query %r not understood; retrying as plain words", request.text, exc_info=True)
    words = " ".join(re.findall(r"\w+", request.text))
    if not words:
        return SearchResults([], 0, request.page, request.per_page)
    request.text = words
    try:
        return current_backend().search(request)
    except Exception:
        db.session.rollback()
        log.warning("query %r failed as plain words too", words, exc_info=True)
        return None


def _readable_items(user, hits: list[Hit]) -> list[ResultItem]:
    """Pair hits with their threads. The index is filtered already; checking the policy again
    covers the moment between a permission change and its reindex."""
    if not hits:
        return []
    threads = {t.id: t for t in db.session.scalars(select(Thread).where(Thread.id.in_([h.thread_id for h in hits])))}
    items = []
    for hit in hits:
        thread = threads.get(hit.thread_id)
        if thread is not None and can_read_thread(user, thread) and thread.deleted_at is None:
            items.append(ResultItem(hit=hit, thread=thread))
    return items


def _checked_correction(query: str, access: Access, filters: SearchFilters) -> str | None:
    """A spelling correction from words this viewer may read, offered only if it finds something."""
    try:
        corrected = current_backend().suggest(query, access)
    except Exception:
        db.session.rollback()
        log.info("no spelling suggestion for %r", query, exc_info=True)
        return None
    if not corrected or corrected == query:
        return None
    trial = _run(_request(corrected, access, SearchFilters(**{**filters.__dict__, "page": 1})))
    return corrected if trial and trial.total else None


def similar(user, title: str, body: str = "", compose_id: str | None = None) -> list[ResultItem]:
    """The few threads most like a question being written, that this user may read."""
    title, body = clean_query(title), clean_query_body(body)
    if len(title) < 3 and len(body) < 10:
        return []
    try:
        hits = current_backend().similar(title, body, access_for(user), SIMILAR_LIMIT)
    except Exception:
        db.session.rollback()
        log.warning("similar-questions lookup failed for %r", title, exc_info=True)
        return []
    items = _readable_items(user, hits)
    if items and compose_id and _COMPOSE_ID.fullmatch(compose_id):
        _record_deflection(user, "shown", compose_id)
    return items


def clean_query_body(body: str) -> str:
    from .backend import clean_text

    return " ".join(clean_text(body or "").split())[:5000]


# --- indexing ----------------------------------------------------------------------------------


def process_outbox(batch: int = OUTBOX_BATCH) -> int:
    """Job: index every thread waiting in the outbox. Safe to run twice or concurrently: on
    PostgreSQL each run claims its rows (SKIP LOCKED), so concurrent drains on several workers
    share the waiting rows instead of indexing the same threads and waiting on each other's
    locks (bench/write_bench.py, index lag p99: 15 s before, 0.7-1.9 s after)."""
    done = 0
    while True:
        rows = db.session.execute(
            select(SearchOutbox.id, SearchOutbox.thread_id)
            .where(SearchOutbox.processed_at.is_(None)).order_by(SearchOutbox.id).limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            break
        thread_ids = {row.thread_id for row in rows}
        reindex_threads(thread_ids)
        db.session.execute(
            update(SearchOutbox).where(SearchOutbox.id.in_([row.id for row in rows])).values(processed_at=utcnow())
        )
        db.session.commit()
        done += len(thread_ids)
    _forget_old_outbox_rows()
    if done:
        from ..jobs.queue import enqueue

        enqueue("community.search.queries:compact_index")
    return done


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


def _forget_old_outbox_rows() -> None:
    db.session.execute(
        delete(SearchOutbox).where(SearchOutbox.processed_at < utcnow() - OUTBOX_KEEP)
    )
    db.session.commit()


def has_pending_outbox() -> bool:
    return db.session.scalar(select(SearchOutbox.id).where(SearchOutbox.processed_at.is_(None)).limit(1)) is not None


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


# --- events ------------------------------------------------------------------------------------


def normalise_query(text: str) -> str:
    return " ".join(clean_query(text).lower().split())[:200]


def _record_search(user, query: str, result_count: int) -> None:
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
    if _COMPOSE_ID.fullmatch(compose_id or ""):
        _record_deflection(user, "opened", compose_id, thread.id)
    return thread


def record_compose_outcome(user, kind: str, compose_id: str) -> None:
    """The composer reports how a compose session ended: posted anyway, or abandoned."""
    errors = {}
    if kind not in CLIENT_DEFLECTION_KINDS:
        errors["kind"] = "Unknown event."
    if not _COMPOSE_ID.fullmatch(compose_id or ""):
        errors["compose_id"] = "Missing or malformed compose id."
    if errors:
        raise ValidationFailed("Bad deflection event.", fields=errors)
    _record_deflection(user, kind, compose_id)


def _record_deflection(user, kind: str, compose_id: str, thread_id: int | None = None) -> None:
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
