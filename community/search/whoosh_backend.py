"""Whoosh backend: a file index in SEARCH_INDEX_DIR.

The live index is the folder named in SEARCH_INDEX_DIR/CURRENT. A rebuild writes a new folder
beside it and swaps the pointer, so searches keep working while it runs.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from whoosh import analysis, columns, fields, index, qparser
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3Codec
from whoosh.idsets import BitSet
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from . import semantic
from . import similar as similar_rank
from . import whoosh_bulk, whoosh_facets, whoosh_scoring
from .whoosh_highlight import SNIPPET_WINDOW, highlight_terms, mark_terms
from .whoosh_similar import SIMILAR_BODY_TERMS, candidate, common_terms, distinctive, query_terms
from .whoosh_words import best_correction, completions
from .whoosh_ranking import COUNT_CAP, SegmentedDocSet, from_epoch, ranked, whoosh_top
from .whoosh_format import stemmed_text
from .backend import (
    BOOLEAN_WORDS,
    Access,
    Facets,
    Hit,
    SearchDoc,
    SearchRequest,
    SearchResults,
    marked_to_html,
    plain_snippet,
    query_words,
)

VISIBILITY_LEVELS = ("public", "members", "customers", "staff")
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "category": 1.0, "body": 1.0}
LOCK_TIMEOUT_S = 10.0
MERGE_FACTOR = 10
LARGE_SEGMENT_DOCS = 5_000



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
            top_n, total, capped = whoosh_top(searcher, parsed, allowed, limit, request.sort == "newest",
                                               request.count_total)
        ordered = top_n if request.sort == "newest" else ranked(searcher, top_n)
        terms = highlight_terms(parsed, searcher)
        hits = [self._hit(searcher, docnum, score, terms) for score, docnum in ordered[end - request.per_page:end]]
        return SearchResults(hits, total, request.page, request.per_page, total_capped=capped)

    def _completed(self, request: SearchRequest) -> str:
        """The last word as itself OR the few most frequent words it begins: an OR of terms, which
        whoosh_scoring ranks fast (a prefix query expands to every body word and takes Whoosh's
        slow path, about 50 ms at 100,000 posts against 5)."""
        head, _space, last = request.text.rpartition(" ")
        reader = self.searcher().reader()
        spell_fields = [f"spell_{level}" for level in VISIBILITY_LEVELS if level in request.access.visibilities]
        words = completions(reader, spell_fields, last.lower())
        if not words and (request.access.user_id is not None or request.access.sees_all_private):
            # Words of private threads are in no level's spelling field; the title's stems hold
            # them. Only the results reach the viewer, and those are filtered by access.
            words = completions(reader, ["title"], last.lower())
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
            last_activity_at=from_epoch(stored["last_activity"]),
        )

    def similar(self, title: str, body: str, access: Access, limit: int = 5) -> list[Hit]:
        searcher = self.searcher()
        query, pool = self._similar_pool(searcher, title, body, access)
        if not pool:
            return []
        ranked = similar_rank.rerank(title, body, pool, limit, self.layer.current())
        terms = highlight_terms(query, searcher)
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
        return query, [candidate(searcher, score, docnum) for score, docnum in results.top_n]

    def _similar_query(self, searcher, title: str, body: str) -> wq.Query | None:
        """Any title word may match (OR), title-to-title matches count most; a few of the body's
        most distinctive words widen the net. Stop words, and in a big index words most threads
        hold, never match: they only slow the search (their postings are the longest) and fill the
        pool with questions that share nothing else. The re-ranking still weighs them."""
        words = query_terms(title or "")
        common = common_terms(searcher, words)
        title_terms = [term for term in words if term not in common]
        clauses: list[wq.Query] = []
        for term in title_terms:
            clauses.append(wq.Term("title", term, boost=3.0))
            clauses.append(wq.Term("body", term, boost=1.0))
            clauses.append(wq.Term("tags", term, boost=1.5))
        if body:
            for term in distinctive(searcher, query_terms(body[:5000]), SIMILAR_BODY_TERMS):
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
            best = best_correction(reader, spell_fields, word)
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


def _positional_phrases(query: wq.Query, schema) -> wq.Query:
    """A quoted phrase is searched in every field, but tags and category keep no positions, where
    Whoosh raises "field has no positions" and the whole query fell back to plain words (the
    phrase lost). The phrase stays on the fields that keep positions."""
    def keep(sub: wq.Query) -> wq.Query:
        if isinstance(sub, wq.Phrase) and sub.fieldname in schema and not schema[sub.fieldname].format.supports("positions"):
            return wq.NullQuery
        return sub

    return query.accept(keep).normalize()


