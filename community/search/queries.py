"""Search as readers meet it: the search page, its filters and spelling correction, and the
similar questions shown while composing. Indexing is outbox.py and upkeep.py; what readers do with
results (clicks, suggestions opened, compose sessions) is deflection.py."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import literal, select, union_all

from ..attachments import service as attachments
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import AcceptedAnswer, Category, Post, Thread, User, VerifiedAnswer, utcnow
from ..policies import can_read_category, can_read_thread, is_staff, readable_visibilities, reader_id
from . import backend as current_backend
from .backend import (
    MAX_QUERY_CHARS,
    Access,
    Facets,
    Hit,
    SearchRequest,
    SearchResults,
    clean_query,
)
from .deflection import is_compose_id, record_deflection, record_search
from .facets import Panel, date_starts, panel

log = logging.getLogger(__name__)

SIMILAR_LIMIT = 5
QUICK_LIMIT = 6
QUICK_MIN_CHARS = 2
MAX_TAG_CHARS = 50


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
    answer_post_id: int | None = None  # the verified answer, else the accepted one
    attachments: int = 0  # files on the posts every reader of the thread sees: a paperclip

    @property
    def solved(self) -> str | None:
        """The solved marker: "verified" (staff-verified answer), "accepted", or None."""
        if self.hit.has_verified_answer:
            return "verified"
        if self.answer_post_id is not None or self.thread.state.value == "solved":
            return "accepted"
        return None


@dataclass
class SearchPage:
    query: str
    items: list[ResultItem] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 20
    corrected: str | None = None  # exact searches: a "did you mean" offered
    showing_corrected: bool = False  # nothing matched as typed: these are the corrected query's results
    notice: str | None = None
    searched: bool = False
    total_capped: bool = False
    facets: Facets | None = None

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
    tag: str | None = None
    exact: bool = False  # search as typed: no corrected results when nothing matches


def search(user, text: str, filters: SearchFilters | None = None, with_facets: bool = False) -> SearchPage:
    """What `user` sees searching for `text`; records the search for the insights page. When
    nothing matches as typed and a correction finds something, the page holds the corrected
    query's results (unless filters.exact)."""
    filters = filters or SearchFilters()
    _check_filters(filters)
    query = clean_query(text)
    page = SearchPage(query=query, page=filters.page, per_page=filters.per_page)
    if len((text or "").strip()) > MAX_QUERY_CHARS:
        page.notice = f"Your search was long, so only its first {MAX_QUERY_CHARS} characters were used."
    if not query:
        return page
    access = access_for(user)
    request = _request(query, access, filters)
    results = _run(request)
    if results is None:
        page.notice = "That search could not be understood. Try plain words, or remove quotes and symbols."
        return page
    page.searched = True
    if results.total == 0:
        corrected, corrected_results = _checked_correction(query, access, filters)
        if corrected and not filters.exact:
            page.corrected, page.showing_corrected, results = corrected, True, corrected_results
            request = _request(corrected, access, filters)
        else:
            page.corrected = corrected
    page.items = _readable_items(user, results.hits)
    page.total, page.total_capped = results.total, results.total_capped
    if with_facets:
        page.facets = _facets(request)
    if filters.page == 1:
        record_search(user, query, results.total)
    return page


def _facets(request: SearchRequest) -> Facets | None:
    try:
        return current_backend().facets(request, date_starts(utcnow()))
    except Exception:
        db.session.rollback()
        log.warning("facet counts failed for %r", request.text, exc_info=True)
        return None


@dataclass
class QuickResults:
    query: str
    items: list[ResultItem] = field(default_factory=list)
    corrected: str | None = None


def quick(user, text: str) -> QuickResults:
    """The header's results as you type: the top few threads `user` may read, the last word taken
    as the start of a word; a corrected query's when nothing matches. Not recorded as a search."""
    query = clean_query(text)
    found = QuickResults(query=query)
    if len(query) < QUICK_MIN_CHARS:
        return found
    access = access_for(user)
    filters = SearchFilters(per_page=QUICK_LIMIT)
    request = _request(query, access, filters)
    request.count_total, request.prefix_last = False, _still_typing(query)
    results = _run(request)
    if results is not None and not results.hits:
        corrected, results = _checked_correction(query, access, filters)
        found.corrected = corrected
    found.items = _readable_items(user, results.hits if results else [])
    return found


def _still_typing(query: str) -> bool:
    """Whether the last word ("certif" of "certificate") is a word begun: three letters or more,
    outside quotes."""
    last = query.rsplit(" ", 1)[-1]
    return len(last) >= 3 and bool(re.fullmatch(r"[^\W_]+", last)) and query.count('"') % 2 == 0


@dataclass
class SearchScreen:
    """Everything the search page shows, from one call: results and the category filter."""

    page: SearchPage
    categories: list[Category]
    errors: dict[str, str] = field(default_factory=dict)
    panel: Panel | None = None


def search_screen(user, text: str, filters: SearchFilters, input_errors: dict[str, str] | None = None) -> SearchScreen:
    """The search page for `user`: searched (with facet counts) unless the view already found the
    input unusable."""
    page, errors = SearchPage(query=text), dict(input_errors or {})
    if not errors:
        try:
            page = search(user, text, filters, with_facets=True)
        except ValidationFailed as failure:
            errors = failure.fields
    categories = filter_categories(user)
    return SearchScreen(page=page, categories=categories, errors=errors,
                        panel=panel(page.facets, categories, filters, utcnow()))


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
    if filters.tag is not None and (not filters.tag.strip() or len(filters.tag) > MAX_TAG_CHARS):
        errors["tag"] = "Choose a tag from the list."
    if errors:
        raise ValidationFailed("Check the search filters.", fields=errors)
    filters.page = min(max(filters.page, 1), 500)


def _request(query: str, access: Access, filters: SearchFilters) -> SearchRequest:
    return SearchRequest(
        text=query, access=access, category_id=filters.category_id, state=filters.state,
        verified_only=filters.verified_only, date_from=filters.date_from, date_to=filters.date_to,
        sort=filters.sort, page=filters.page, per_page=filters.per_page,
        tag=filters.tag.strip().lower() if filters.tag else None,
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
    answers = answer_posts(list(threads))
    files = attachments.counts_by_thread(list(threads))
    items = []
    for hit in hits:
        thread = threads.get(hit.thread_id)
        if thread is not None and can_read_thread(user, thread) and thread.deleted_at is None:
            items.append(ResultItem(hit=hit, thread=thread, answer_post_id=answers.get(hit.thread_id),
                                    attachments=files.get(hit.thread_id, 0)))
    return items


def answer_posts(thread_ids: list[int]) -> dict[int, int]:
    """Thread id -> its answer's post id: the staff-verified answer, else the accepted one; only
    answers anyone who reads the thread may read (not deleted, hidden or held)."""
    if not thread_ids:
        return {}
    def marked(model, rank: int):
        return select(model.thread_id, model.post_id, literal(rank).label("rank")).join(Post, Post.id == model.post_id).where(
            model.thread_id.in_(thread_ids), Post.deleted_at.is_(None), Post.is_hidden.is_(False), Post.is_pending.is_(False),
        )

    rows = db.session.execute(union_all(marked(AcceptedAnswer, 0), marked(VerifiedAnswer, 1)))
    found: dict[int, int] = {}
    for thread_id, post_id, _rank in sorted(rows, key=lambda row: row[2]):  # verified last: it wins
        found[thread_id] = post_id
    return found


def _checked_correction(query: str, access: Access, filters: SearchFilters) -> tuple[str | None, SearchResults | None]:
    """A spelling correction from words this viewer may read, and its results (page one), offered
    only if it finds something."""
    try:
        corrected = current_backend().suggest(query, access)
    except Exception:
        db.session.rollback()
        log.info("no spelling suggestion for %r", query, exc_info=True)
        return None, None
    if not corrected or corrected == query:
        return None, None
    trial = _run(_request(corrected, access, filters))
    return (corrected, trial) if trial and trial.total else (None, None)


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
