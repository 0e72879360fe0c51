"""Facet counts on the Whoosh index, for the search page's filter column.

Each segment's documents get arrays of their category, solved and verified flags and tags, built
once from the segment's postings and kept while the segment lives (segments never change but for
deletions, and deleted documents never match). A search's matches are a boolean array over the
segment (whoosh_scoring's evaluation, or Whoosh's matchers for phrases and prefixes), and each
count is an array operation: a document counts for a dimension's options when every other filter
passes, so each option shows what choosing it would give. Date ranges are document sets of their
own (cached like the search filters), one per range start.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from whoosh import query as wq

from . import whoosh_scoring
from .backend import Facets, SearchRequest, top_tags

MAX_SEGMENTS_KEPT = 64


@dataclass
class SegmentValues:
    category: np.ndarray  # int64 per document (0: none)
    solved: np.ndarray  # bool per document
    verified: np.ndarray  # bool per document
    tag_docs: np.ndarray  # int64: a document number per (document, tag) pair
    tag_ids: np.ndarray  # int64: the pair's index into tag_names
    tag_names: list[str]


class FacetCache:
    """Per-segment values, keyed by (index folder, segment id)."""

    def __init__(self) -> None:
        self._values: dict[tuple, SegmentValues] = {}
        self._lock = threading.Lock()

    def values(self, key: tuple, reader) -> SegmentValues:
        with self._lock:
            found = self._values.get(key)
        if found is None:
            found = _segment_values(reader)
            with self._lock:
                if len(self._values) >= MAX_SEGMENTS_KEPT:
                    self._values.clear()
                self._values[key] = found
        return found


def _segment_values(reader) -> SegmentValues:
    size = reader.doc_count_all()
    category = np.zeros(size, np.int64)
    for docnum, term in _postings(reader, "category_id"):
        category[docnum] = int(term)
    solved, verified = np.zeros(size, bool), np.zeros(size, bool)
    solved[[docnum for docnum, _term in _postings(reader, "state", b"solved")]] = True
    verified[[docnum for docnum, _term in _postings(reader, "verified", b"y")]] = True
    tag_names, tag_docs, tag_ids = [], [], []
    for docnum, term in _postings(reader, "tags"):
        if not tag_names or tag_names[-1] != term:
            tag_names.append(term)
        tag_docs.append(docnum)
        tag_ids.append(len(tag_names) - 1)
    return SegmentValues(category, solved, verified, np.array(tag_docs, np.int64), np.array(tag_ids, np.int64), tag_names)


def _postings(reader, field: str, only: bytes | None = None):
    """(docnum, term) for every posting of `field` (or of its one term `only`), term by term."""
    terms = [only] if only is not None else list(reader.lexicon(field))
    for term in terms:
        if (field, term) not in reader:
            continue
        text = term.decode("utf-8")
        for docnum in reader.postings(field, term).all_ids():
            yield docnum, text


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def count(searcher, parsed: wq.Query, allowed, request: SearchRequest, since: dict[str, datetime], *,
          docset, cache: FacetCache, index_name: str | None,
          evaluations: whoosh_scoring.Evaluations | None = None) -> Facets:
    """Facets over the matches of `parsed` that `allowed` (the request's Access) lets through.
    `docset(searcher, query)` is the backend's per-segment cached filter sets; `evaluations`, the
    matches the page's search kept."""
    ranges = {name: docset(searcher, wq.DateRange("created", _naive(start), None)) for name, start in since.items()}
    date_filter = None
    if request.date_from or request.date_to:
        date_filter = docset(searcher, wq.DateRange(
            "created", _naive(request.date_from) if request.date_from else None,
            _naive(request.date_to) if request.date_to else None,
        ))
    arrays = whoosh_scoring.supported(parsed, searcher)
    counting = _Counting(request, since)
    for index, ((sub, _offset), (_o, allowed_ids)) in enumerate(zip(searcher.leaf_searchers(), allowed.parts)):
        reader = sub.reader()
        segment = whoosh_scoring.segment(searcher, reader)
        key = (index_name, reader.segment().segment_id() if reader.segment() else id(sub))
        if not arrays:
            matched = _matched_by_whoosh(sub, parsed, segment.size)
        else:
            matched = evaluations.matched(segment, parsed) if evaluations else segment.evaluate(parsed)[0]
        matched &= segment.allowed_mask(allowed_ids)
        in_range = {name: segment.allowed_mask(docs.parts[index][1]) for name, docs in ranges.items()}
        in_dates = segment.allowed_mask(date_filter.parts[index][1]) if date_filter is not None else None
        counting.add(cache.values(key, reader), matched, in_range, in_dates)
    return counting.facets()


def _matched_by_whoosh(sub, parsed: wq.Query, size: int) -> np.ndarray:
    """Phrases and prefixes, which whoosh_scoring does not evaluate: Whoosh's matchers."""
    matched = np.zeros(size, bool)
    docs = np.fromiter(sub.docs_for_query(parsed), dtype=np.int64)
    matched[docs] = True
    return matched


class _Counting:
    def __init__(self, request: SearchRequest, since: dict[str, datetime]) -> None:
        self.request = request
        self.result = Facets(states={"solved": 0, "unsolved": 0}, dates={name: 0 for name in since})
        self.tags: dict[str, int] = {}

    def add(self, values: SegmentValues, matched: np.ndarray, in_range: dict[str, np.ndarray],
            in_dates: np.ndarray | None) -> None:
        """Adds one segment's counts; `matched` holds its allowed matches."""
        request, result = self.request, self.result
        every = np.ones(len(matched), bool)
        ok_category = every if request.category_id is None else values.category == request.category_id
        ok_state = every if request.state is None else values.solved == (request.state == "solved")
        ok_verified = values.verified if request.verified_only else every
        ok_tag = every if request.tag is None else self._tagged(values, request.tag)
        ok_date = every if in_dates is None else in_dates
        for category, n in zip(*np.unique(values.category[matched & ok_state & ok_verified & ok_tag & ok_date],
                                          return_counts=True)):
            result.categories[int(category)] = result.categories.get(int(category), 0) + int(n)
        matched = matched & ok_category
        states = matched & ok_verified & ok_tag & ok_date
        result.states["solved"] += int(np.count_nonzero(states & values.solved))
        result.states["unsolved"] += int(np.count_nonzero(states & ~values.solved))
        result.verified += int(np.count_nonzero(matched & values.verified & ok_state & ok_tag & ok_date))
        tagged = matched & ok_state & ok_verified & ok_date
        counts = np.bincount(values.tag_ids[tagged[values.tag_docs]], minlength=len(values.tag_names))
        for name, n in zip(values.tag_names, counts.tolist()):
            if n:
                self.tags[name] = self.tags.get(name, 0) + n
        dated = matched & ok_state & ok_verified & ok_tag
        for name, docs in in_range.items():
            result.dates[name] += int(np.count_nonzero(dated & docs))

    @staticmethod
    def _tagged(values: SegmentValues, tag: str) -> np.ndarray:
        mask = np.zeros(len(values.category), bool)
        if tag in values.tag_names:
            mask[values.tag_docs[values.tag_ids == values.tag_names.index(tag)]] = True
        return mask

    def facets(self) -> Facets:
        self.result.tags = top_tags(self.tags)
        return self.result
