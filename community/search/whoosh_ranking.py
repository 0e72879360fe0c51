"""Whoosh backend: the allowed documents of a search, Whoosh's own top-N for the queries
whoosh_scoring does not evaluate, and the final ranking of a page's candidates."""
from __future__ import annotations

import bisect
import itertools
import threading
import weakref
from datetime import datetime, timezone

from whoosh import query as wq
from whoosh.idsets import BitSet, DocIdSet

from .backend import ranking_boost

COUNT_CAP = 1000


def from_epoch(seconds: int | datetime) -> datetime:
    if isinstance(seconds, datetime):  # an index built before last_activity became a column
        return seconds.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(seconds, timezone.utc)


class SegmentedDocSet(DocIdSet):
    """Allowed document numbers as one cached set per segment, looked up by offset: what
    Whoosh's filter and our counting need (membership and emptiness), without a merged copy."""

    def __init__(self, parts: list[tuple[int, BitSet]]) -> None:
        self.parts = parts
        self.offsets = [offset for offset, _ids in parts]

    def __contains__(self, docnum: int) -> bool:
        index = bisect.bisect_right(self.offsets, docnum) - 1
        if index < 0:
            return False
        offset, ids = self.parts[index]
        return (docnum - offset) in ids

    def __iter__(self):
        for offset, ids in self.parts:
            for docnum in ids:
                yield offset + docnum

    def __len__(self) -> int:
        return sum(len(ids) for _offset, ids in self.parts)

    def __bool__(self) -> bool:
        return any(ids for _offset, ids in self.parts)


def whoosh_top(searcher, query: wq.Query, allowed: SegmentedDocSet, limit: int, newest: bool, count: bool = True):
    """Whoosh's own top-N and count, for queries whoosh_scoring does not evaluate (phrases, prefixes)."""
    if newest:
        results = searcher.search(query, limit=limit, filter=allowed, sortedby="last_activity", reverse=True)
    else:
        results = searcher.search(query, limit=limit, filter=allowed)
    if not count:
        return list(results.top_n), results.scored_length(), False
    return list(results.top_n), *_total(searcher, results, query, allowed, limit)


def _total(searcher, results, query: wq.Query, allowed: SegmentedDocSet, limit: int) -> tuple[int, bool]:
    """Exact when fewer than `limit` matched (the collector then saw every match). Otherwise count
    up to COUNT_CAP: the collector skipped low-scoring blocks, and an exact count of a common word
    walks its every posting in Python, costing more than the search. Only allowed documents count."""
    if results.scored_length() < limit:
        return results.scored_length(), False
    matched = (docnum for docnum in searcher.docs_for_query(query) if docnum in allowed)
    counted = sum(1 for _ in itertools.islice(matched, COUNT_CAP + 1))
    return (COUNT_CAP, True) if counted > COUNT_CAP else (counted, False)


def ranked(searcher, top_n) -> list[tuple[float, int]]:
    """(score, docnum) best first: verified answers, then solved threads, get a boost; near-equal
    relevance counts as equal and recency decides. Reads columns, never stored bodies."""
    reader = searcher.reader()
    if not all(reader.has_column(name) for name in ("verified", "state", "last_activity")):
        return _ranked_from_stored(searcher, top_n)  # an index built before these were columns
    verified, state, activity = _ranking_columns(searcher)

    def key(entry):
        score, docnum = entry
        boosted = (score or 0.0) * ranking_boost(verified[docnum] == "y", state[docnum] == "solved")
        return (-round(boosted, 3), -activity[docnum])

    return sorted(((score, docnum) for score, docnum in top_n), key=key)


_RANKING_COLUMNS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_RANKING_COLUMNS_LOCK = threading.Lock()


def _ranking_columns(searcher) -> tuple:
    """The columns ranking reads, opened once per searcher: opening a text column reads its whole
    offsets table (about 2 ms a query at 25,000 threads, more than ranking the page)."""
    with _RANKING_COLUMNS_LOCK:
        found = _RANKING_COLUMNS.get(searcher)
    if found is None:
        reader = searcher.reader()
        found = tuple(reader.column_reader(name) for name in ("verified", "state", "last_activity"))
        with _RANKING_COLUMNS_LOCK:
            _RANKING_COLUMNS[searcher] = found
    return found


def _ranked_from_stored(searcher, top_n) -> list[tuple[float, int]]:
    def key(entry):
        score, docnum = entry
        stored = searcher.stored_fields(docnum)
        boosted = (score or 0.0) * ranking_boost(stored["verified"] == "y", stored["state"] == "solved")
        return (-round(boosted, 3), -from_epoch(stored["last_activity"]).timestamp())

    return sorted(top_n, key=key)
