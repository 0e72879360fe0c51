"""Whole-array matching and BM25F scoring for the queries people type (words, OR, NOT).

Whoosh matches a query through a tree of Python matcher objects, a few method calls per posting
per field; an AND of four common words over title, body, tags and category cost 40-70 ms of CPU
at 25,000 threads, and counting the matches walked the tree a second time. Here each term's
postings are read a block at a time into arrays, and AND/OR become array operations over a
segment's documents, so the count comes free with the ranking. Scores are Whoosh's own BM25F
(same idf, average lengths, B, K1 and boosts), summed as its matchers sum them.

Anything else (phrases, prefixes, ranges, other scorings) returns None: the caller then uses
Whoosh's own search.
"""
from __future__ import annotations

import threading
from functools import cached_property
from itertools import accumulate

import numpy as np
from whoosh import columns, scoring
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

# Decoded postings kept between queries, by segment (segments never change but for deletions,
# which are masked per query). Bounded by values held, 4 bytes each: 16 MB a process at most.
CACHE_VALUES = 4_000_000
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class _SegmentCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple, tuple] = {}
        self._held = 0

    def get(self, key, load):
        with self._lock:
            found = self._items.pop(key, None)
            if found is not None:
                self._items[key] = found  # most recently used last
                return found
        value = load()
        size = sum(len(part) for part in value)
        with self._lock:
            while self._items and self._held + size > CACHE_VALUES:
                oldest = next(iter(self._items))
                self._held -= sum(len(part) for part in self._items.pop(oldest))
            if size <= CACHE_VALUES and key not in self._items:
                self._items[key] = value
                self._held += size
        return value


_cache = _SegmentCache()


def supported(query: wq.Query, searcher) -> bool:
    """True when every part of the query is a term, AND, OR or NOT, scored by plain BM25F."""
    if type(searcher.weighting) is not scoring.BM25F:
        return False
    return _supported(query)


def _supported(query: wq.Query) -> bool:
    if type(query) is wq.Term:
        return True
    if type(query) is wq.And or (type(query) is wq.Or and not query.scale and not query.minmatch):
        return all(_supported(sub) for sub in query.subqueries)
    if type(query) is wq.AndNot:
        return _supported(query.a) and _supported(query.b)
    if type(query) is wq.Not:
        return _supported(query.query)
    return False


class Evaluations:
    """One query's matches per segment, kept by a search for the facet counts that follow it on
    the same page, so each segment's postings are evaluated once a page, not twice."""

    def __init__(self, query: wq.Query) -> None:
        self.query_key = repr(query)
        self._matched: dict[tuple, np.ndarray] = {}

    def keep(self, segment: "_Segment", matched: np.ndarray) -> None:
        if segment.key is not None:
            self._matched[(segment.key, segment.size)] = matched.copy()

    def matched(self, segment: "_Segment", query: wq.Query) -> np.ndarray:
        """The segment's matches of `query` (a copy: callers narrow it in place)."""
        kept = self._matched.get((segment.key, segment.size)) if repr(query) == self.query_key else None
        return kept.copy() if kept is not None else segment.evaluate(query)[0]


def top_matches(searcher, query: wq.Query, allowed, limit: int, newest: bool,
                evaluations: Evaluations | None = None) -> tuple[list[tuple[float, int]], int]:
    """The best `limit` allowed matches as (score, docnum), best (or newest) first, and how many
    allowed documents matched. `allowed` is a SegmentedDocSet of the searcher's segments; the
    matches before filtering are kept in `evaluations` when given."""
    candidates, count = [], 0
    allowed_by_offset = dict(allowed.parts)
    for sub, offset in searcher.leaf_searchers():
        segment = _Segment(searcher, sub.reader())
        matched, scores = segment.evaluate(query)
        if evaluations is not None:
            evaluations.keep(segment, matched)
        matched &= segment.allowed_mask(allowed_by_offset.get(offset))
        docs = np.flatnonzero(matched)
        count += len(docs)
        order = segment.activity()[docs] if newest else scores[docs]
        if len(docs) > limit:
            best = _best(order, limit)
            docs, order = docs[best], order[best]
        candidates += zip(order.tolist(), scores[docs].tolist(), (docs + offset).tolist())
    candidates.sort(key=lambda entry: (-entry[0], entry[2]))
    return [(score, docnum) for _order, score, docnum in candidates[:limit]], count


def segment(searcher, reader) -> "_Segment":
    """One segment of `searcher` for array evaluation (`reader` is one of its leaf readers)."""
    return _Segment(searcher, reader)


def _best(order: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of the `limit` highest values; among equal values at the cut, the first ones (the
    lowest document numbers), as the final sort orders them."""
    cut = np.partition(order, len(order) - limit)[len(order) - limit]
    above = np.flatnonzero(order > cut)
    ties = np.flatnonzero(order == cut)[: limit - len(above)]
    return np.concatenate([above, ties])


class _Segment:
    def __init__(self, top, reader) -> None:
        self.top, self.reader = top, reader
        self.size = reader.doc_count_all()
        segment = reader.segment() if hasattr(reader, "segment") else None
        self.key = segment.segment_id() if segment is not None else None  # None: not cached

    def cached(self, name: tuple, load):
        return load() if self.key is None else _cache.get((self.key, *name), load)

    def evaluate(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(query, wq.Term):
            matched, scores = self.term(query)
        elif isinstance(query, wq.AndNot):
            matched, scores = self.evaluate(query.a)
            matched = matched & ~self.evaluate(query.b)[0]
        elif isinstance(query, wq.Not):  # Whoosh's InverseMatcher scores 1 a document
            matched = ~self.evaluate(query.query)[0] & self.live
            scores = np.ones(self.size)
        else:
            parts = [self.evaluate(sub) for sub in query.subqueries]
            combine = np.logical_and if isinstance(query, wq.And) else np.logical_or
            matched = combine.reduce([m for m, _s in parts]) if parts else np.zeros(self.size, bool)
            scores = np.sum([s for _m, s in parts], axis=0) if parts else np.zeros(self.size)
        if getattr(query, "boost", 1.0) != 1.0 and not isinstance(query, wq.Term):
            scores = scores * query.boost
        return matched, np.where(matched, scores, 0.0)

    def term(self, query: wq.Term) -> tuple[np.ndarray, np.ndarray]:
        matched, scores = np.zeros(self.size, bool), np.zeros(self.size)
        field = self.top.schema[query.fieldname] if query.fieldname in self.top.schema else None
        try:
            text = field.to_bytes(query.text) if field is not None else None
        except ValueError:
            text = None
        if text is None or (query.fieldname, text) not in self.reader:
            return matched, scores
        ids, weights = self.cached((query.fieldname, text), lambda: _postings(self.reader, query.fieldname, text))
        matched[ids] = True
        scores[ids] = self.bm25(query.fieldname, text, weights, ids) * query.boost
        return matched & self.live, scores

    def bm25(self, fieldname: str, text: bytes, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """BM25FScorer._score over arrays: the same statistics from the top-level searcher."""
        if not self.top.schema[fieldname].scorable:
            return weights.astype(np.float64)
        weighting = self.top.weighting
        b, k1 = weighting._field_B.get(fieldname, weighting.B), weighting.K1
        idf = self.top.idf(fieldname, text)
        average = self.top.avg_field_length(fieldname) or 1
        lengths = self.lengths(fieldname)[ids]
        weights = weights.astype(np.float64)
        return idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / average)))

    def lengths(self, fieldname: str) -> np.ndarray:
        def load():
            column = self.reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if column is None:  # no lengths stored: Whoosh's scorer reads them as 1
                return (np.ones(self.size),)
            return (_LENGTH_OF_BYTE[_numeric_column(column, self.size)],)

        return self.cached(("lengths", fieldname), load)[0]

    def activity(self) -> np.ndarray:
        def load():
            return (_numeric_column(self.reader.column_reader("last_activity", translate=False), self.size).astype(np.int64),)

        return self.cached(("activity",), load)[0]

    @cached_property
    def live(self) -> np.ndarray:
        live = np.ones(self.size, bool)
        deleted = self.reader.deleted_docs_set
        if deleted:
            live[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        return live

    def allowed_mask(self, bitset) -> np.ndarray:
        """The documents of a BitSet as a read-only boolean array, kept on the BitSet: the filter
        sets are cached per segment (WhooshBackend._docset), so each is unpacked once."""
        if bitset is None:
            return np.zeros(self.size, bool)
        mask = getattr(bitset, "_parley_mask", None)
        if mask is None or len(mask) != self.size:
            bits = np.unpackbits(np.frombuffer(bytes(bitset.bits), dtype=np.uint8), bitorder="little")
            mask = np.zeros(self.size, bool)
            mask[: min(self.size, len(bits))] = bits[: self.size].astype(bool)
            mask.flags.writeable = False
            bitset._parley_mask = mask
        return mask


def _numeric_column(column, size: int) -> np.ndarray:
    """A numeric column's values for every document, read as one slice of the file (iterating
    the column reader costs a few microseconds a document)."""
    if not isinstance(column, columns.NumericColumn.Reader):
        return np.array(list(column), dtype=np.float64)
    stored = min(column._count, size)
    raw = column._dbfile.get(column._basepos, stored * column._fixedlen)
    values = np.full(size, column._default, dtype=np.dtype(">" + column._typecode).newbyteorder("="))
    values[:stored] = np.frombuffer(raw, dtype=">" + column._typecode)
    return values


def _postings(reader, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, weight) postings of a term, a block at a time: no per-posting method calls."""
    matcher = reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):  # deletions: masked by the caller instead
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
    ids, weights = [], []
    while matcher.is_active():
        matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        ids.extend(raw_ids if matcher._byteids else accumulate(raw_ids))
        count = matcher._blocklength
        if raw_weights is None or isinstance(raw_weights, float):
            weights.extend([1.0 if raw_weights is None else raw_weights] * count)
        else:
            weights.extend(raw_weights)
        if matcher._lastblock:
            break
        matcher._next_block()
    # Weights are term counts times field boosts, exact in float32 as Whoosh stores them.
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)
