"""Facet counts on the Whoosh index, for the search page's filter column.

Each segment's documents get small arrays of their category, solved and verified flags and tags,
built once from the segment's postings and kept while the segment lives (segments never change
but for deletions, and deleted documents never match). A search then walks its allowed matches
once: a document counts for a dimension's options when every other filter passes, so each option
shows what choosing it would give. Date ranges are document sets of their own (cached like the
search filters), one per range start.
"""
from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass
from datetime import datetime, timezone

from whoosh import query as wq

from .backend import Facets, SearchRequest, top_tags

MAX_SEGMENTS_KEPT = 64


@dataclass
class SegmentValues:
    category: array
    solved: bytearray
    verified: bytearray
    tags: dict[int, tuple[str, ...]]


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
    values = SegmentValues(array("q", bytes(8 * size)), bytearray(size), bytearray(size), {})
    for docnum, term in _postings(reader, "category_id"):
        values.category[docnum] = int(term)
    for docnum, _term in _postings(reader, "state", b"solved"):
        values.solved[docnum] = 1
    for docnum, _term in _postings(reader, "verified", b"y"):
        values.verified[docnum] = 1
    for docnum, term in _postings(reader, "tags"):
        values.tags[docnum] = values.tags.get(docnum, ()) + (term,)
    return values


def _postings(reader, field: str, only: bytes | None = None):
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
          docset, cache: FacetCache, index_name: str | None) -> Facets:
    """Facets over the matches of `parsed` that `allowed` (the request's Access) lets through.
    `docset(searcher, query)` is the backend's per-segment cached filter sets."""
    counting = _Counting(request, since)
    ranges = {name: docset(searcher, wq.DateRange("created", _naive(start), None)) for name, start in since.items()}
    date_filter = None
    if request.date_from or request.date_to:
        date_filter = docset(searcher, wq.DateRange(
            "created", _naive(request.date_from) if request.date_from else None,
            _naive(request.date_to) if request.date_to else None,
        ))
    for index, ((sub, _offset), (_o, allowed_ids)) in enumerate(zip(searcher.leaf_searchers(), allowed.parts)):
        reader = sub.reader()
        segment = reader.segment()
        values = cache.values((index_name, segment.segment_id() if segment else id(sub)), reader)
        in_range = {name: docset.parts[index][1] for name, docset in ranges.items()}
        in_dates = date_filter.parts[index][1] if date_filter is not None else None
        for docnum in sub.docs_for_query(parsed):
            if docnum in allowed_ids:
                counting.add(values, docnum, in_range, in_dates)
    return counting.facets()


class _Counting:
    def __init__(self, request: SearchRequest, since: dict[str, datetime]) -> None:
        self.request = request
        self.result = Facets(states={"solved": 0, "unsolved": 0}, dates={name: 0 for name in since})
        self.tags: dict[str, int] = {}

    def add(self, values: SegmentValues, docnum: int, in_range: dict, in_dates) -> None:
        request, result = self.request, self.result
        category, solved, verified = values.category[docnum], values.solved[docnum], values.verified[docnum]
        tags = values.tags.get(docnum, ())
        ok_category = request.category_id is None or category == request.category_id
        ok_state = request.state is None or (request.state == "solved") == bool(solved)
        ok_verified = not request.verified_only or bool(verified)
        ok_tag = request.tag is None or request.tag in tags
        ok_date = in_dates is None or docnum in in_dates
        if ok_state and ok_verified and ok_tag and ok_date:
            result.categories[category] = result.categories.get(category, 0) + 1
        if not ok_category:
            return
        if ok_verified and ok_tag and ok_date:
            result.states["solved" if solved else "unsolved"] += 1
        if verified and ok_state and ok_tag and ok_date:
            result.verified += 1
        if ok_state and ok_verified and ok_date:
            for tag in tags:
                self.tags[tag] = self.tags.get(tag, 0) + 1
        if ok_state and ok_verified and ok_tag:
            for name, docs in in_range.items():
                if docnum in docs:
                    result.dates[name] += 1

    def facets(self) -> Facets:
        self.result.tags = top_tags(self.tags)
        return self.result
