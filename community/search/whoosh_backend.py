"""Whoosh backend: a file index in SEARCH_INDEX_DIR.

The live index is the folder named in SEARCH_INDEX_DIR/CURRENT. A rebuild writes a new folder
beside it and swaps the pointer, so searches keep working while it runs.
"""
from __future__ import annotations

import bisect
import itertools
import os
import re
import shutil
import threading
import time
import uuid
import weakref
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from whoosh import analysis, columns, fields, index, qparser
from whoosh.lang.porter import stem as porter_stem
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.idsets import BitSet, DocIdSet
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from . import semantic
from . import similar as similar_rank
from . import whoosh_bulk, whoosh_facets, whoosh_scoring
from .whoosh_format import stemmed_positions, stemmed_text
from .backend import (
    BOOLEAN_WORDS,
    MARK_END,
    MARK_START,
    Access,
    Facets,
    Hit,
    SearchDoc,
    SearchRequest,
    SearchResults,
    marked_to_html,
    plain_snippet,
    query_words,
    ranking_boost,
)

VISIBILITY_LEVELS = ("public", "members", "customers", "staff")
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "category": 1.0, "body": 1.0}
SIMILAR_BODY_TERMS = 12
# A word in more than this share of threads finds no similar questions (in indexes this big).
SIMILAR_COMMON_SHARE = 0.2
SIMILAR_COMMON_MIN_DOCS = 1000
LOCK_TIMEOUT_S = 10.0
MERGE_FACTOR = 10
LARGE_SEGMENT_DOCS = 5_000
COUNT_CAP = 1000
# As-you-type: the last word stands for itself and its COMPLETIONS most frequent completions, found
# among the first COMPLETION_SCAN indexed words it begins (per spelling field).
COMPLETIONS = 4
COMPLETION_SCAN = 2000


def _schema() -> fields.Schema:
    words = analysis.RegexTokenizer() | analysis.LowercaseFilter()
    spelling = {f"spell_{level}": fields.TEXT(analyzer=words, phrase=False) for level in VISIBILITY_LEVELS}
    return fields.Schema(
        thread_id=fields.ID(stored=True, unique=True),
        title=stemmed_text(stored=True),
        body=stemmed_text(stored=True),
        tags=fields.KEYWORD(lowercase=True, commas=True, scorable=True, stored=True),
        category=stemmed_text(),
        category_id=fields.ID(stored=True),
        visibility=fields.ID,
        is_private=fields.ID,
        author_id=fields.ID,
        # Columns too, so ranking reads them without loading each hit's stored body.
        state=fields.ID(stored=True, sortable=True),
        verified=fields.ID(stored=True, sortable=True),
        created=fields.DATETIME,
        # Seconds since the epoch, for sorting and tie-breaks only: a column, not indexed terms
        # (a DATETIME field would index eight terms per document for nothing).
        last_activity=_StoredColumn(columns.NumericColumn("q")),
        stamp=fields.STORED,
        **spelling,
    )


def _commit(writer) -> None:
    """Commit without merging: merging in the indexing job made the odd one-post update take
    hundreds of ms. `compact()`, a job of its own, merges the small segments this leaves."""
    writer.commit(merge=False)


def _merge_tiers(writer, segments):
    merged = _tiers_to_merge(segments)
    return _merged_into(writer, segments, merged) if merged else segments


def _tiers_to_merge(segments) -> list:
    """MERGE_FACTOR segments of about the same size (as many decimal digits of documents)
    become one, so each document is rewritten about log(n) times and a merge costs about as much
    as indexing its documents again. Segments a rebuild wrote are left alone."""
    tiers: dict[int, list] = {}
    for segment in segments:
        count = segment.doc_count_all()
        if count < LARGE_SEGMENT_DOCS:
            tiers.setdefault(len(str(count)), []).append(segment)
    return [segment for tier in tiers.values() if len(tier) >= MERGE_FACTOR for segment in tier]


def _merge_small_segments(writer, segments):
    """Merge the segments commits leave behind into one, without rewriting the big ones a
    rebuild wrote (that takes minutes at 100,000 posts)."""
    biggest = max((segment.doc_count_all() for segment in segments), default=0)
    limit = max(biggest / 10, LARGE_SEGMENT_DOCS)
    small = [segment for segment in segments if segment.doc_count_all() < limit]
    return _merged_into(writer, segments, small) if len(small) > 1 else segments


def _merged_into(writer, segments, merged):
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


class _StoredColumn(fields.COLUMN):
    stored = True


def _epoch(value: datetime) -> int:
    return int(_naive_utc(value).replace(tzinfo=timezone.utc).timestamp())


def _from_epoch(seconds: int | datetime) -> datetime:
    if isinstance(seconds, datetime):  # an index built before last_activity became a column
        return seconds.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(seconds, timezone.utc)


def _bulk_procs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _flag(value: bool) -> str:
    return "y" if value else "n"


def _fields(doc: SearchDoc) -> dict:
    spelling_level = "staff" if doc.is_private else doc.visibility
    return {
        "thread_id": str(doc.thread_id),
        "title": doc.title,
        "body": doc.body,
        "tags": ",".join(doc.tags),
        "category": doc.category_name,
        "category_id": str(doc.category_id),
        "visibility": doc.visibility,
        "is_private": _flag(doc.is_private),
        "author_id": str(doc.author_id),
        "state": doc.state,
        "verified": _flag(doc.has_verified_answer),
        "created": _naive_utc(doc.created_at),
        "last_activity": _epoch(doc.last_activity_at),
        "stamp": doc.stamp,
        # Words only readers of this level may be offered as "did you mean" corrections. Titles
        # and tags carry a thread's key words; leaving bodies out halves the indexing work.
        f"spell_{spelling_level}": f"{doc.title} {' '.join(doc.tags)} {doc.category_name}",
    }


def access_filter(access: Access) -> wq.Query:
    levels = [wq.Term("visibility", level) for level in sorted(access.visibilities)]
    visible = wq.Or(levels) if levels else wq.NullQuery
    if access.sees_all_private:
        return visible
    private_ok = [wq.Term("is_private", "n")]
    if access.user_id is not None:
        private_ok.append(wq.Term("author_id", str(access.user_id)))
    return wq.And([visible, wq.Or(private_ok)])


def _request_filter(request: SearchRequest) -> wq.Query:
    parts = [access_filter(request.access)]
    if request.category_id is not None:
        parts.append(wq.Term("category_id", str(request.category_id)))
    if request.state == "solved":
        parts.append(wq.Term("state", "solved"))
    elif request.state == "unsolved":
        parts.append(wq.And([wq.Every(), wq.Not(wq.Term("state", "solved"))]))
    if request.verified_only:
        parts.append(wq.Term("verified", "y"))
    if request.tag:
        parts.append(wq.Term("tags", request.tag.lower()))
    if request.date_from or request.date_to:
        start = _naive_utc(request.date_from) if request.date_from else None
        end = _naive_utc(request.date_to) if request.date_to else None
        parts.append(wq.DateRange("created", start, end))
    return wq.And(parts)


def _prepare(text: str) -> str:
    # '?' ends questions far more often than it means a wildcard; a '*' needs two letters before it.
    text = text.replace("?", " ")
    text = re.sub(r"(?<![\w])\*+", " ", text)
    text = re.sub(r"\b(\w)\*", r"\1", text)
    return text


class WhooshBackend:
    name = "whoosh"

    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._ix: index.Index | None = None
        self._ix_name: str | None = None
        self._filters: dict[tuple, BitSet] = {}
        self._segment_readers: dict[tuple, SegmentReader] = {}
        self._facet_values = whoosh_facets.FacetCache()
        self._local = threading.local()
        self.layer = semantic.LayerStore(self.root)
        self.schema = _schema()
        parser = qparser.MultifieldParser(list(FIELD_BOOSTS), self.schema, fieldboosts=FIELD_BOOSTS)
        for plugin in (qparser.FieldsPlugin, qparser.RangePlugin, qparser.GtLtPlugin, qparser.BoostPlugin):
            parser.remove_plugin_class(plugin)
        self.parser = parser

    # --- the live index folder ------------------------------------------------------------------

    def _pointer(self) -> Path:
        return self.root / "CURRENT"

    def _current_name(self) -> str | None:
        try:
            return self._pointer().read_text().strip() or None
        except FileNotFoundError:
            return None

    def _create(self) -> tuple[str, index.Index]:
        name = f"ix-{int(time.time())}-{uuid.uuid4().hex[:6]}"
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        return name, index.create_in(str(folder), self.schema)

    def _swap_to(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(name)
        os.replace(tmp, self._pointer())

    def ix(self) -> index.Index:
        with self._lock:
            name = self._current_name()
            if name is None:
                name, created = self._create()
                self._swap_to(name)
                self._ix, self._ix_name = created, name
            elif name != self._ix_name or self._ix is None:
                self._ix, self._ix_name = index.open_dir(str(self.root / name)), name
            return self._ix

    def searcher(self):
        """This thread's long-lived searcher, reopened only when the index changed (a commit or a
        swap). Opening one per query re-reads every segment's term index: most of a query's cost."""
        ix = self.ix()
        local = self._local
        current = getattr(local, "searcher", None)
        if current is None or local.ix is not ix or not current.up_to_date():
            # Not Searcher.refresh(): its reader reuse keeps a segment's old deletions.
            if current is not None:
                current.close()
            current, local.ix = ix.searcher(), ix
        local.searcher = current
        return current

    # --- writing --------------------------------------------------------------------------------

    def index(self, docs: Iterable[SearchDoc]) -> None:
        docs = list(docs)
        if not docs:
            return
        writer = self._small_writer()
        for doc in docs:
            # Not update_document(): it deletes only the first copy found, and a kept reader may
            # offer an already deleted one first.
            writer.delete_by_term("thread_id", str(doc.thread_id))
            writer.add_document(**_fields(doc))
        _commit(writer)

    def _small_writer(self):
        # Uncompressed blocks: a one-post commit writes a few hundred terms of one posting each,
        # and compressing each tiny block cost more than it saved.
        writer = self.ix().writer(timeout=LOCK_TIMEOUT_S, codec=W3Codec(compression=0))
        writer._searcher = self._writer_searcher(writer)
        return writer

    def _writer_searcher(self, writer) -> Searcher:
        """What update_document() and delete_by_term() look thread ids up in: the writer's
        segments, through segment readers kept open between commits. Opening every segment's
        reader anew was half a one-post commit. A kept reader may not know of a later deletion
        and offer an already deleted document, which deleting again leaves as it is. Only used
        under the index's write lock."""
        kept, ix_name = self._segment_readers, self._ix_name
        readers = []
        for segment in writer.segments:
            key = (ix_name, segment.segment_id())
            if key not in kept:
                kept[key] = SegmentReader(writer.storage, writer.schema, segment, generation=writer.generation - 1)
            readers.append(kept[key])
        live = {(ix_name, segment.segment_id()) for segment in writer.segments}
        for key in [key for key in kept if key not in live]:
            kept.pop(key).close()
        reader = readers[0] if len(readers) == 1 else MultiReader(readers) if readers else EmptyReader(writer.schema)
        searcher = Searcher(reader, fromindex=writer)
        # The writer closes its searcher when it finishes; the kept readers must stay open.
        searcher.close = searcher._orig_close = lambda: None
        return searcher

    def delete(self, thread_ids: Iterable[int]) -> None:
        ids = list(thread_ids)
        if not ids:
            return
        writer = self._small_writer()
        for thread_id in ids:
            writer.delete_by_term("thread_id", str(thread_id))
        _commit(writer)

    def rebuild(self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None) -> int:
        name, fresh = self._create()
        sampler = semantic.Sampler()
        count = whoosh_bulk.build(fresh, (_fields(doc) for doc in sampler.passing(docs)), _bulk_procs(), progress)
        self.layer.replace(sampler)
        old = self._current_name()
        self._swap_to(name)
        if old and old != name:
            # Open searchers keep their files open (POSIX), so removing the old folder is safe.
            shutil.rmtree(self.root / old, ignore_errors=True)
        return count

    def compact(self) -> None:
        """A job after indexing: merge the small segments commits leave, a tier at a time."""
        ix = self.ix()
        if not _tiers_to_merge(ix._segments()):
            return
        ix.writer(timeout=LOCK_TIMEOUT_S).commit(mergetype=_merge_tiers)

    def maintain(self) -> None:
        """Scheduled: merge the small segments one-post commits leave behind into one."""
        writer = self.ix().writer(timeout=LOCK_TIMEOUT_S)
        writer.commit(mergetype=_merge_small_segments)

    # --- reading --------------------------------------------------------------------------------

    def parse(self, text: str) -> wq.Query:
        return _positional_phrases(self.parser.parse(_prepare(text)), self.schema)

    def search(self, request: SearchRequest) -> SearchResults:
        self._local.evaluations = None
        parsed = self.parse(self._completed(request) if request.prefix_last else request.text)
        if parsed is wq.NullQuery:
            return SearchResults([], 0, request.page, request.per_page)
        end = request.page * request.per_page
        searcher = self.searcher()
        allowed = self._docset(searcher, _request_filter(request))
        if not allowed:  # Whoosh reads an empty filter as "no filter"
            return SearchResults([], 0, request.page, request.per_page)
        limit = end if request.sort == "newest" else end + 20
        if whoosh_scoring.supported(parsed, searcher):
            # Kept for this thread's next facets() call: the search page's counts of the same query.
            self._local.evaluations = whoosh_scoring.Evaluations(parsed)
            top_n, matched = whoosh_scoring.top_matches(searcher, parsed, allowed, limit, request.sort == "newest",
                                                        self._local.evaluations)
            total, capped = min(matched, COUNT_CAP), matched > COUNT_CAP
        else:
            top_n, total, capped = _whoosh_top(searcher, parsed, allowed, limit, request.sort == "newest",
                                               request.count_total)
        ordered = top_n if request.sort == "newest" else _ranked(searcher, top_n)
        terms = _highlight_terms(parsed, searcher)
        hits = [self._hit(searcher, docnum, score, terms) for score, docnum in ordered[end - request.per_page:end]]
        return SearchResults(hits, total, request.page, request.per_page, total_capped=capped)

    def _completed(self, request: SearchRequest) -> str:
        """The last word as itself OR the few most frequent words it begins: an OR of terms, which
        whoosh_scoring ranks fast (a prefix query expands to every body word and takes Whoosh's
        slow path, about 50 ms at 100,000 posts against 5)."""
        head, _space, last = request.text.rpartition(" ")
        reader = self.searcher().reader()
        spell_fields = [f"spell_{level}" for level in VISIBILITY_LEVELS if level in request.access.visibilities]
        words = _completions(reader, spell_fields, last.lower())
        if not words and (request.access.user_id is not None or request.access.sees_all_private):
            # Words of private threads are in no level's spelling field; the title's stems hold
            # them. Only the results reach the viewer, and those are filtered by access.
            words = _completions(reader, ["title"], last.lower())
        if not words:  # a stop word ("about") or a number: taken as a whole word
            return request.text
        return f"{head} ({' OR '.join([last] + words)})".strip()

    def facets(self, request: SearchRequest, since: dict[str, datetime]) -> Facets:
        parsed = self.parse(request.text)
        searcher = self.searcher()
        allowed = self._docset(searcher, access_filter(request.access))
        if parsed is wq.NullQuery or not allowed:
            return Facets(states={"solved": 0, "unsolved": 0}, dates={name: 0 for name in since})
        evaluations, self._local.evaluations = getattr(self._local, "evaluations", None), None
        return whoosh_facets.count(searcher, parsed, allowed, request, since, docset=self._docset,
                                   cache=self._facet_values, index_name=self._ix_name, evaluations=evaluations)

    def _docset(self, searcher, filter_query: wq.Query) -> "SegmentedDocSet":
        """The documents a filter allows. Computing it walks every posting of the visibility
        terms, which costs more than the search, so it is cached per segment: segments never
        change but for deletions (which matchers skip anyway), so after a one-post commit only the
        new small segment is walked."""
        key = repr(filter_query)
        parts = []
        for sub, offset in searcher.leaf_searchers():
            segment = sub.reader().segment()
            cache_key = (self._ix_name, segment.segment_id() if segment else id(sub), key)
            with self._lock:
                cached = self._filters.get(cache_key)
            if cached is None:
                cached = BitSet(sub.docs_for_query(filter_query), size=sub.doc_count_all())
                with self._lock:
                    if len(self._filters) > 256:
                        self._filters.clear()
                    self._filters[cache_key] = cached
            parts.append((offset, cached))
        return SegmentedDocSet(parts)

    @staticmethod
    def _hit(searcher, docnum: int, score: float, terms: set[str]) -> Hit:
        stored = searcher.stored_fields(docnum)
        snippet = mark_terms(stored.get("body", ""), terms, SNIPPET_WINDOW)
        title_marked = mark_terms(stored["title"], terms, None)
        return Hit(
            thread_id=int(stored["thread_id"]),
            title=stored["title"],
            score=float(score or 0.0),
            title_html=marked_to_html(title_marked) if title_marked else plain_snippet(stored["title"]),
            snippet_html=marked_to_html(snippet) if snippet else plain_snippet(stored.get("body", "")),
            category_id=int(stored["category_id"]),
            state=stored["state"],
            has_verified_answer=stored["verified"] == "y",
            last_activity_at=_from_epoch(stored["last_activity"]),
        )

    def similar(self, title: str, body: str, access: Access, limit: int = 5) -> list[Hit]:
        searcher = self.searcher()
        query, pool = self._similar_pool(searcher, title, body, access)
        if not pool:
            return []
        ranked = similar_rank.rerank(title, body, pool, limit, self.layer.current())
        terms = _highlight_terms(query, searcher)
        return [self._hit(searcher, c.key, score, terms) for score, c in ranked]

    def similar_candidates(self, title: str, body: str, access: Access) -> list[similar_rank.Candidate]:
        """The pool `similar` re-ranks (the relevance bench weighs it several ways)."""
        return self._similar_pool(self.searcher(), title, body, access)[1]

    def _similar_pool(self, searcher, title: str, body: str, access: Access):
        query = self._similar_query(searcher, title, body)
        if query is None:
            return None, []
        allowed = self._docset(searcher, access_filter(access))
        if not allowed:  # Whoosh reads an empty filter as "no filter"
            return query, []
        results = searcher.search(query, limit=similar_rank.POOL, filter=allowed)
        return query, [_candidate(searcher, score, docnum) for score, docnum in results.top_n]

    def _similar_query(self, searcher, title: str, body: str) -> wq.Query | None:
        """Any title word may match (OR), title-to-title matches count most; a few of the body's
        most distinctive words widen the net. Stop words, and in a big index words most threads
        hold, never match: they only slow the search (their postings are the longest) and fill the
        pool with questions that share nothing else. The re-ranking still weighs them."""
        words = _query_terms(title or "")
        common = _common_terms(searcher, words)
        title_terms = [term for term in words if term not in common]
        clauses: list[wq.Query] = []
        for term in title_terms:
            clauses.append(wq.Term("title", term, boost=3.0))
            clauses.append(wq.Term("body", term, boost=1.0))
            clauses.append(wq.Term("tags", term, boost=1.5))
        if body:
            for term in _distinctive(searcher, _query_terms(body[:5000]), SIMILAR_BODY_TERMS):
                clauses.append(wq.Term("title", term, boost=0.8))
                clauses.append(wq.Term("body", term, boost=0.4))
        return wq.Or(clauses) if clauses else None

    def suggest(self, text: str, access: Access) -> str | None:
        words = [w for w in query_words(_prepare(text)) if w not in BOOLEAN_WORDS]
        if not words:
            return None
        spell_fields = [f"spell_{level}" for level in VISIBILITY_LEVELS if level in access.visibilities]
        changed = False
        corrected = []
        reader = self.searcher().reader()
        for word in words:
            best = _best_correction(reader, spell_fields, word)
            changed |= best != word
            corrected.append(best)
        return " ".join(corrected) if changed else None

    # --- inspection -----------------------------------------------------------------------------

    def stamps(self) -> dict[int, str]:
        return {int(f["thread_id"]): f["stamp"] for f in self.searcher().reader().all_stored_fields()}

    def size_bytes(self) -> int:
        name = self._current_name()
        if not name:
            return 0
        return sum(p.stat().st_size for p in (self.root / name).iterdir() if p.is_file())


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


def _highlight_terms(query: wq.Query, searcher) -> set[str]:
    """The indexed words the query matches (prefixes expanded), for marking snippets."""
    found = query.existing_terms(searcher.reader(), expand=True)
    return {text.decode() if isinstance(text, bytes) else text for field, text in found if field in ("title", "body")}


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


def _whoosh_top(searcher, query: wq.Query, allowed: SegmentedDocSet, limit: int, newest: bool, count: bool = True):
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


def _ranked(searcher, top_n) -> list[tuple[float, int]]:
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
        return (-round(boosted, 3), -_from_epoch(stored["last_activity"]).timestamp())

    return sorted(top_n, key=key)


def _candidate(searcher, score: float, docnum: int) -> similar_rank.Candidate:
    stored = searcher.stored_fields(docnum)
    return similar_rank.Candidate(
        key=docnum, title=stored["title"], body=stored.get("body", "")[:similar_rank.TEXT_CHARS],
        engine_score=float(score or 0.0), verified=stored["verified"] == "y", solved=stored["state"] == "solved",
        last_activity=_from_epoch(stored["last_activity"]).timestamp(), thread_id=int(stored["thread_id"]),
    )


_QUESTION_STEMS = frozenset(porter_stem(word) for word in similar_rank.STOP_WORDS)


def _query_terms(text: str) -> list[str]:
    """Distinct stems as the index's analyzer makes them ("node.js" and "max_connections" stay one
    word each, as indexed), question words dropped. similar_rank.terms splits differently, which is
    fine for comparing two texts with each other but would miss such words in the index."""
    return [term for term in stemmed_positions(text) if term not in _QUESTION_STEMS]


def _common_terms(searcher, terms: list[str]) -> set[str]:
    reader = searcher.reader()
    total = reader.doc_count()
    if total < SIMILAR_COMMON_MIN_DOCS:  # in a small index every shared word looks common
        return set()
    return {term for term in terms if reader.doc_frequency("body", term) > SIMILAR_COMMON_SHARE * total}


def _distinctive(searcher, terms: list[str], count: int) -> list[str]:
    reader = searcher.reader()
    scored = [(reader.doc_frequency("body", term), term) for term in dict.fromkeys(terms)]
    # Rare but present words say most about a question; words in no document say nothing.
    return [term for freq, term in sorted(scored) if freq > 0][:count]


def _positional_phrases(query: wq.Query, schema) -> wq.Query:
    """A quoted phrase is searched in every field, but tags and category keep no positions, where
    Whoosh raises "field has no positions" and the whole query fell back to plain words (the
    phrase lost). The phrase stays on the fields that keep positions."""
    def keep(sub: wq.Query) -> wq.Query:
        if isinstance(sub, wq.Phrase) and sub.fieldname in schema and not schema[sub.fieldname].format.supports("positions"):
            return wq.NullQuery
        return sub

    return query.accept(keep).normalize()


def _completions(reader, fields: list[str], begun: str) -> list[str]:
    """The COMPLETIONS words of `fields` that begin with `begun`, most frequent first (among the
    first COMPLETION_SCAN of each field)."""
    counts: dict[str, int] = {}
    for field in fields:
        for term in itertools.islice(reader.expand_prefix(field, begun), COMPLETION_SCAN):
            word = term.decode() if isinstance(term, bytes) else term
            counts[word] = counts.get(word, 0) + reader.doc_frequency(field, word)
    ranked = [word for word, _n in sorted(counts.items(), key=lambda e: -e[1]) if word != begun]
    return [word for word in ranked if re.fullmatch(r"[^\W_]+", word)][:COMPLETIONS]


def _best_correction(reader, spell_fields: list[str], word: str) -> str:
    if len(word) < 3 or any(reader.doc_frequency(f, word) for f in spell_fields):
        return word
    candidates: dict[str, int] = {}
    for field in spell_fields:
        for maxdist in (1, 2):
            for term in reader.terms_within(field, word, maxdist, prefix=1):
                candidates[term] = candidates.get(term, 0) + reader.doc_frequency(field, term)
            if candidates:
                break
    if not candidates:
        return word
    return max(candidates.items(), key=lambda item: (-_distance_rank(word, item[0]), item[1]))[0]


def _distance_rank(word: str, other: str) -> int:
    from whoosh.support.levenshtein import distance

    return distance(word, other)
