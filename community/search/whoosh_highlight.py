"""Whoosh backend: marking the words a query matched in titles and snippets.

Marking reads stored text and stems only the words that could match, so a long body is not
re-analysed for every result."""
from __future__ import annotations

import itertools
import re
from functools import lru_cache

from whoosh import query as wq
from whoosh.lang.porter import stem as porter_stem

from .backend import MARK_END, MARK_START

SNIPPET_WINDOW = 240
CANDIDATE_TERMS_MAX = 64
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return porter_stem(word.lower())


def mark_terms(text: str, terms: set[str], window: int | None) -> str | None:
    """Mark words whose stem matched, in the first window of text holding a match (all of it when
    window is None). A regex scan with cached stems that stops at the window's end: far cheaper
    than re-analysing whole threads."""
    if not terms or not text:
        return None
    first = _first_match(text, terms)
    if first is None:
        return None
    words = _WORD.finditer(text, first.end())
    start, end = 0, len(text)
    if window is not None:
        start = max(0, first.start() - window // 4)
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + window)
    pieces, cursor = [], start
    for match in itertools.chain([first], words):
        if match.end() > end:
            break
        if match is first or _matches(match.group(), terms):
            pieces += [text[cursor:match.start()], MARK_START, match.group(), MARK_END]
            cursor = match.end()
    pieces.append(text[cursor:end])
    marked = " ".join("".join(pieces).split())
    return ("… " if start else "") + marked + (" …" if end < len(text) else "")


def _first_match(text: str, terms: set[str]) -> re.Match | None:
    """The first word whose stem matched. Words that could match are found by one regex search
    for the terms' beginnings (a stem differs from its words only in its last few letters), so
    a long body is not stemmed word by word up to its first match."""
    candidates = _candidates(frozenset(terms))
    if candidates is None:
        return next((m for m in _WORD.finditer(text) if _matches(m.group(), terms)), None)
    for candidate in candidates.finditer(text):
        word = _WORD.match(text, candidate.start())
        if word and _matches(word.group(), terms):
            return word
    return None


@lru_cache(maxsize=512)
def _candidates(terms: frozenset[str]) -> re.Pattern | None:
    if len(terms) > CANDIDATE_TERMS_MAX:  # a broad prefix query: a plain scan is cheaper
        return None
    beginnings = sorted({term[:max(1, len(term) - 3)] for term in terms}, key=len, reverse=True)
    # A word starts after neither a letter or digit nor a letter and an apostrophe (_WORD).
    return re.compile(
        r"(?<![^\W_])(?<![^\W_]['’])(?:" + "|".join(map(re.escape, beginnings)) + ")", re.IGNORECASE
    )


def _matches(word: str, terms: set[str]) -> bool:
    return _stem(word) in terms or word.lower() in terms


def highlight_terms(query: wq.Query, searcher) -> set[str]:
    """The indexed words the query matches (prefixes expanded), for marking snippets."""
    found = query.existing_terms(searcher.reader(), expand=True)
    return {text.decode() if isinstance(text, bytes) else text for field, text in found if field in ("title", "body")}
