"""Search as readers meet it: the search page, its filters and spelling correction, and the
similar questions shown while composing. Indexing is outbox.py and upkeep.py; what readers do with
results (clicks, suggestions opened, compose sessions) is deflection.py."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, Thread, User
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
from .deflection import is_compose_id, record_deflection, record_search

log = logging.getLogger(__name__)

SIMILAR_LIMIT = 5


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
        record_search(user, query, results.total)
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
    if items and compose_id and is_compose_id(compose_id):
        record_deflection(user, "shown", compose_id)
    return items


def clean_query_body(body: str) -> str:
    from .backend import clean_text

    return " ".join(clean_text(body or "").split())[:5000]
