"""The search backend interface. Nothing outside community/search imports Whoosh or SQL full-text.

A backend stores `SearchDoc`s (one per thread) and answers `SearchRequest`s. Access rules come in
as an `Access` the service builds from community.policies, so every backend filters the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Protocol

from markupsafe import Markup, escape

# Backends mark highlighted terms with these; they are stripped from indexed text, so after
# escaping the text they can only be ours.
MARK_START = "\x02"
MARK_END = "\x03"
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class SearchDoc:
    thread_id: int
    title: str
    body: str  # opening post and visible replies, as plain text
    tags: tuple[str, ...]
    category_id: int
    category_name: str
    # Effective visibility: a deleted category's threads count as staff-only.
    visibility: str
    is_private: bool
    author_id: int
    state: str
    has_verified_answer: bool
    created_at: datetime
    last_activity_at: datetime
    stamp: str  # a hash of everything above; `check` compares it with the database

    @property
    def is_solved(self) -> bool:
        return self.state == "solved"


@dataclass(frozen=True)
class Access:
    """What one viewer may find: visibility levels, plus private threads (all for staff, own otherwise)."""

    visibilities: frozenset[str]
    user_id: int | None = None
    sees_all_private: bool = False


@dataclass
class SearchRequest:
    text: str
    access: Access
    category_id: int | None = None
    state: str | None = None  # "solved" | "unsolved" | None
    verified_only: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: str = "relevance"  # "relevance" | "newest"
    page: int = 1
    per_page: int = 20
    tag: str | None = None  # one tag name, lowercase (as indexed)
    count_total: bool = True  # False: as-you-type wants the top few, not how many matched
    prefix_last: bool = False  # the last word is still being typed: match words it begins


@dataclass
class Hit:
    thread_id: int
    title: str
    score: float
    title_html: Markup
    snippet_html: Markup
    category_id: int = 0
    state: str = ""
    has_verified_answer: bool = False
    last_activity_at: datetime | None = None


@dataclass
class SearchResults:
    hits: list[Hit]
    total: int
    page: int = 1
    per_page: int = 20
    corrected: str | None = None  # a "did you mean" query, checked to find something
    notice: str | None = None
    total_capped: bool = False  # more matched than total: counting them all costs too much
    extra: dict = field(default_factory=dict)


@dataclass
class Facets:
    """How many results each filter option would give, other filters kept (its own replaced).
    Counted over documents the request's Access may read only."""

    categories: dict[int, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)  # "solved" | "unsolved" -> count
    verified: int = 0
    tags: dict[str, int] = field(default_factory=dict)  # the FACET_TAGS most frequent
    dates: dict[str, int] = field(default_factory=dict)  # range name -> threads created since its start


FACET_TAGS = 12


def top_tags(counts: dict[str, int]) -> dict[str, int]:
    ordered = sorted(((n, tag) for tag, n in counts.items() if n and tag), key=lambda e: (-e[0], e[1]))
    return {tag: n for n, tag in ordered[:FACET_TAGS]}


class SearchBackend(Protocol):
    name: str

    def index(self, docs: Iterable[SearchDoc]) -> None: ...

    def delete(self, thread_ids: Iterable[int]) -> None: ...

    def search(self, request: SearchRequest) -> SearchResults: ...

    def facets(self, request: SearchRequest, since: dict[str, datetime]) -> Facets: ...

    def similar(self, title: str, body: str, access: Access, limit: int = 5) -> list[Hit]: ...

    def suggest(self, text: str, access: Access) -> str | None: ...

    def stamps(self) -> dict[int, str]: ...

    def rebuild(self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None) -> int: ...

    def size_bytes(self) -> int: ...

    def maintain(self) -> None: ...


class QueryTooComplex(Exception):
    """The text cannot be searched as written; the message says why, for the page."""


# --- shared helpers ----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_QUERY_CHARS = 300


def clean_text(text: str) -> str:
    """Text safe to index: no control characters (so the highlight markers stay unambiguous)."""
    return _CONTROL.sub(" ", text or "")


def clean_query(text: str) -> str:
    return " ".join(clean_text(text).split())[:MAX_QUERY_CHARS]


def marked_to_html(marked: str) -> Markup:
    """Escape user text first, then turn our markers into <mark> tags."""
    escaped = str(escape(marked))
    return Markup(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def plain_snippet(text: str) -> Markup:
    text = " ".join(text.split())
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return Markup(escape(text))


def ranking_boost(doc_verified: bool, doc_solved: bool) -> float:
    """At equal text relevance: verified answers first, then solved threads."""
    return 1.0 + (0.2 if doc_verified else 0.0) + (0.1 if doc_solved else 0.0)


def query_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)?", text.lower())


BOOLEAN_WORDS = frozenset({"and", "or", "not"})


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-free Levenshtein distance, giving up (returning limit) once it exceeds limit."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) >= limit:
            return limit
        previous = current
    return min(previous[-1], limit)
