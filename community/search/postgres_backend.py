"""PostgreSQL backend: narrow search_ranks rows (filters + weighted tsvectors, GIN indexes) to
match and rank, wide search_documents rows (text, spelling words) to highlight and correct.

Queries use websearch_to_tsquery (quotes, OR, -word) plus `word*` prefixes, rank a bounded
candidate pool with ts_rank_cd and highlight the shown page with ts_headline. A rebuild fills
side tables and swaps them in one transaction.
"""
from __future__ import annotations

import re
from datetime import timezone
from types import SimpleNamespace
from typing import Callable, Iterable

from sqlalchemy import text

from ..extensions import db
from . import postgres_facets, semantic
from . import similar as similar_rank
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
    edit_distance,
    marked_to_html,
    plain_snippet,
    query_words,
)

TABLE = "search_documents"
RANKS = "search_ranks"
# Rows over this many bytes move their largest value (the document vector) out of line, so a
# scan over a common word's matches reads ~200-byte rows. Migration 0003 sets the same.
RANKS_TOAST_TARGET = 256
# Only this many candidates have their whole document ranked (ts_rank_cd reads every position of
# every matched lexeme). Title and tag matches come first, best heading rank first; then body
# matches, verified/solved and recent first. A common word at 1M posts has ~40,000 matches.
POOL = 200
# Like Whoosh: past this many matches the page says "more than".
COUNT_CAP = 1000
# As-you-type: a word begun also matches its COMPLETIONS most frequent completions.
COMPLETIONS = 4
WORDS = "search_words"
PRIVATE_LEVEL = "private"  # the word level of private threads: offered to staff only
TRIGRAM_INDEX = "ix_search_words_trgm"
MAX_CANDIDATES = 50
SIMILAR_POOL = 200
# Of those, the best by ts_rank go to similar.rerank: more than Whoosh's, as ts_rank (no length
# normalisation, heading matches only) orders them less well than BM25F.
SIMILAR_RERANKED = 100
# Threads that share two title words only in their text: any two of them, in index order (a
# bounded bitmap scan, no ranking of all matches), a question phrased differently from its title.
SIMILAR_BODY_POOL = 50
SIMILAR_PAIR_WORDS = 12
# ts_rank's weights for D, C (body), B (tags, category), A (title): body matches count a third of
# a title match, as Whoosh's similar query boosts them (1 to 3), not ts_rank's default fifth.
SIMILAR_WEIGHTS = "{0.1, 0.33, 0.4, 1.0}"
SIMILAR_SCORE = ("2 * coalesce(ts_rank(:weights, d.document, qq.title_q), 0)"
                 " + 0.5 * coalesce(ts_rank(:weights, d.document, qq.body_q), 0)")
LIVE_CHECKS = 5
BUILD_TABLE = "search_documents_build"
RANKS_BUILD = "search_ranks_build"
VISIBILITY_LEVELS = ("public", "members", "customers", "staff")
INDEX_CHARS = 200_000  # a tsvector holds at most 1 MB; long threads keep their first part
HEADLINE_CHARS = 5_000  # ts_headline parses all it is given; a snippet needs the start
WRITE_BATCH = 500
HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""
TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
# Verified answers, then solved threads, first at equal text relevance.
BOOST = "(1 + 0.2 * d.has_verified_answer::int + 0.1 * (d.state = 'solved')::int)"
# The same order as BOOST DESC without numeric arithmetic on every match of a common word.
BOOST_ORDER = "d.has_verified_answer DESC, (d.state = 'solved') DESC"
RANK = f"ts_rank_cd(d.document, q.query) * {BOOST}"

_UPSERT = """
INSERT INTO {table} (thread_id, title, body, tags, category_id, category_name, visibility, is_private,
    author_id, state, has_verified_answer, created_at, last_activity_at, stamp, spelling)
VALUES (:thread_id, CAST(:title AS text), CAST(:body AS text), CAST(:tags AS text), :category_id,
    CAST(:category_name AS text), :visibility, :is_private,
    :author_id, :state, :has_verified_answer, :created_at, :last_activity_at, :stamp,
    to_tsvector('simple', CAST(:title AS text) || ' ' || left(CAST(:body AS text), {chars})
      || ' ' || CAST(:tags AS text)))
ON CONFLICT (thread_id) DO UPDATE SET
    title = EXCLUDED.title, body = EXCLUDED.body, tags = EXCLUDED.tags,
    category_id = EXCLUDED.category_id, category_name = EXCLUDED.category_name,
    visibility = EXCLUDED.visibility, is_private = EXCLUDED.is_private,
    author_id = EXCLUDED.author_id, state = EXCLUDED.state,
    has_verified_answer = EXCLUDED.has_verified_answer, created_at = EXCLUDED.created_at,
    last_activity_at = EXCLUDED.last_activity_at, stamp = EXCLUDED.stamp, spelling = EXCLUDED.spelling
"""

_UPSERT_RANK = """
INSERT INTO {table} (thread_id, category_id, visibility, is_private, author_id, state, has_verified_answer,
    created_at, last_activity_at, heading, document)
SELECT :thread_id, :category_id, :visibility, :is_private, :author_id, :state, :has_verified_answer,
    :created_at, :last_activity_at, h.heading,
    h.heading || setweight(to_tsvector('english', left(CAST(:body AS text), {chars})), 'C')
FROM (SELECT setweight(to_tsvector('english', CAST(:title AS text)), 'A')
      || setweight(to_tsvector('english', CAST(:tags AS text) || ' ' || CAST(:category_name AS text)), 'B')
      AS heading) h
ON CONFLICT (thread_id) DO UPDATE SET
    category_id = EXCLUDED.category_id, visibility = EXCLUDED.visibility, is_private = EXCLUDED.is_private,
    author_id = EXCLUDED.author_id, state = EXCLUDED.state,
    has_verified_answer = EXCLUDED.has_verified_answer, created_at = EXCLUDED.created_at,
    last_activity_at = EXCLUDED.last_activity_at, heading = EXCLUDED.heading, document = EXCLUDED.document
"""


def _params(doc: SearchDoc) -> dict:
    return {
        "thread_id": doc.thread_id, "title": doc.title, "body": doc.body, "tags": " ".join(doc.tags),
        "category_id": doc.category_id, "category_name": doc.category_name, "visibility": doc.visibility,
        "is_private": doc.is_private, "author_id": doc.author_id, "state": doc.state,
        "has_verified_answer": doc.has_verified_answer,
        "created_at": _naive_utc(doc.created_at), "last_activity_at": _naive_utc(doc.last_activity_at),
        "stamp": doc.stamp,
    }


def _naive_utc(value):
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def access_sql(access: Access, params: dict) -> str:
    levels = [level for level in VISIBILITY_LEVELS if level in access.visibilities]
    if not levels:
        return "false"
    params["levels"] = levels
    clause = "d.visibility = ANY(:levels)"
    if access.sees_all_private:
        return clause
    if access.user_id is None:
        return f"{clause} AND NOT d.is_private"
    params["viewer_id"] = access.user_id
    return f"{clause} AND (NOT d.is_private OR d.author_id = :viewer_id)"


def _filters_sql(request: SearchRequest, params: dict) -> str:
    parts = [access_sql(request.access, params)]
    if request.category_id is not None:
        parts.append("d.category_id = :category_id")
        params["category_id"] = request.category_id
    if request.state == "solved":
        parts.append("d.state = 'solved'")
    elif request.state == "unsolved":
        parts.append("d.state <> 'solved'")
    if request.verified_only:
        parts.append("d.has_verified_answer")
    if request.tag:
        parts.append(postgres_facets.tag_filter_sql(params, request.tag))
    if request.date_from:
        parts.append("d.created_at >= :date_from")
        params["date_from"] = _naive_utc(request.date_from)
    if request.date_to:
        parts.append("d.created_at <= :date_to")
        params["date_to"] = _naive_utc(request.date_to)
    return " AND ".join(parts)


_PREFIX = re.compile(r"(?<![\w])([^\W_]{2,})\*")


def tsquery_sql(text_: str, params: dict) -> str | None:
    """websearch_to_tsquery for words, quotes, OR and -word; `word*` becomes a prefix match."""
    prefixes = _PREFIX.findall(text_)
    rest = _PREFIX.sub(" ", text_).replace("*", " ")
    parts = []
    if rest.strip():
        params["websearch"] = rest
        parts.append("websearch_to_tsquery('english', :websearch)")
    for n, prefix in enumerate(prefixes[:8]):
        params[f"prefix{n}"] = prefix.lower() + ":*"
        parts.append(f"to_tsquery('english', :prefix{n})")
    return " && ".join(parts) or None


class PostgresBackend:
    name = "postgres"

    def __init__(self, layer_dir: str | None = None) -> None:
        # The semantic layer lives in files (memory-mapped), in SEARCH_INDEX_DIR on each host.
        self.layer = semantic.LayerStore(layer_dir) if layer_dir else None

    # --- writing --------------------------------------------------------------------------------

    def index(self, docs: Iterable[SearchDoc]) -> None:
        docs = list(docs)
        self._write(TABLE, RANKS, docs)
        self._add_words([doc.thread_id for doc in docs])

    @staticmethod
    def _add_words(thread_ids: list[int]) -> None:
        """New words reach "did you mean" at once; counts drift up until refresh_words."""
        if not thread_ids:
            return
        db.session.execute(text(f"""
            INSERT INTO {WORDS} (level, word, ndoc)
            SELECT CASE WHEN d.is_private THEN '{PRIVATE_LEVEL}' ELSE d.visibility END, w.lexeme, count(*)
            FROM {TABLE} d, unnest(d.spelling) AS w
            WHERE d.thread_id = ANY(:ids) AND length(w.lexeme) <= 100
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (level, word) DO UPDATE SET ndoc = {WORDS}.ndoc + EXCLUDED.ndoc
        """), {"ids": thread_ids})

    def maintain(self) -> None:
        """Scheduled: rebuild the word table from the documents (dropping words of deleted or
        hidden text), and add the trigram index when pg_trgm can be had."""
        self.refresh_words()

    def refresh_words(self) -> None:
        session = db.session
        session.execute(text(f"DELETE FROM {WORDS}"))
        for level, where in _word_levels():
            # ts_stat takes its query as text; levels are fixed names, never user input.
            inner = f"SELECT spelling FROM {TABLE} WHERE {where}"
            session.execute(text(f"""
                INSERT INTO {WORDS} (level, word, ndoc)
                SELECT :level, word, ndoc FROM ts_stat(:inner) WHERE length(word) <= 100
            """), {"level": level, "inner": inner})
        session.commit()
        self._trigrams = _ensure_trigram_index()

    def _write(
        self, table: str, ranks: str, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        statements = [
            text(sql.format(table=name, chars=INDEX_CHARS)) for sql, name in ((_UPSERT, table), (_UPSERT_RANK, ranks))
        ]
        count, batch = 0, []
        for doc in docs:
            batch.append(_params(doc))
            if len(batch) >= WRITE_BATCH:
                count += self._flush(statements, batch, progress)
        return count + self._flush(statements, batch, progress)

    @staticmethod
    def _flush(statements, batch: list[dict], progress) -> int:
        if not batch:
            return 0
        for statement in statements:
            db.session.execute(statement, batch)
        written = len(batch)
        if progress:
            progress(written)
        batch.clear()
        return written

    def delete(self, thread_ids: Iterable[int]) -> None:
        ids = list(thread_ids)
        if ids:
            for table in (TABLE, RANKS):
                db.session.execute(text(f"DELETE FROM {table} WHERE thread_id = ANY(:ids)"), {"ids": ids})

    def rebuild(self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None) -> int:
        session = db.session
        narrow = f" WITH (toast_tuple_target = {RANKS_TOAST_TARGET})"
        for build, live, options in ((BUILD_TABLE, TABLE, ""), (RANKS_BUILD, RANKS, narrow)):
            session.execute(text(f"DROP TABLE IF EXISTS {build}"))
            session.execute(text(f"CREATE TABLE {build} (LIKE {live} INCLUDING DEFAULTS){options}"))
            session.execute(text(f"ALTER TABLE {build} ADD CONSTRAINT pk_{build} PRIMARY KEY (thread_id)"))
        session.commit()
        sampler = semantic.Sampler()
        count = self._write(BUILD_TABLE, RANKS_BUILD, sampler.passing(docs), progress)
        session.execute(text(f"CREATE INDEX ix_{RANKS_BUILD}_document ON {RANKS_BUILD} USING gin (document)"))
        session.execute(text(f"CREATE INDEX ix_{RANKS_BUILD}_heading ON {RANKS_BUILD} USING gin (heading)"))
        session.commit()
        # The swap: readers wait a moment on the lock and then see the new tables.
        for build, live in ((BUILD_TABLE, TABLE), (RANKS_BUILD, RANKS)):
            session.execute(text(f"DROP TABLE {live}"))
            session.execute(text(f"ALTER TABLE {build} RENAME TO {live}"))
            session.execute(text(f"ALTER TABLE {live} RENAME CONSTRAINT pk_{build} TO pk_{live}"))
        for column in ("document", "heading"):
            session.execute(text(f"ALTER INDEX ix_{RANKS_BUILD}_{column} RENAME TO ix_{RANKS}_{column}"))
        session.commit()
        self.refresh_words()
        if self.layer is not None:
            self.layer.replace(sampler)
        return count

    # --- reading --------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        params: dict = {}
        query = self._typed_tsquery(request, params) if request.prefix_last else tsquery_sql(request.text, params)
        if query is None:
            return SearchResults([], 0, request.page, request.per_page)
        where = _filters_sql(request, params)
        offset = (request.page - 1) * request.per_page
        params.update(limit=request.per_page, offset=offset, pool=max(POOL, offset + request.per_page))
        page_sql, order = _newest_page(where), "p.last_activity_at DESC, p.thread_id DESC"
        if request.sort != "newest":
            page_sql = _relevant_page(where, negated="-" in request.text)
            order = "round(p.score::numeric, 4) DESC, p.last_activity_at DESC"
        # Highlight only the page's rows (ts_headline is the costly part), from the wide rows.
        sql = f"""
            WITH q AS (SELECT {query} AS query), page AS ({page_sql})
            SELECT p.thread_id, t.title, t.category_id, t.state, t.has_verified_answer, p.last_activity_at,
                   p.score,
                   ts_headline('english', left(t.body, {HEADLINE_CHARS}), q.query, :headline) AS snippet,
                   ts_headline('english', t.title, q.query, :title_headline) AS title_marked
            FROM page p JOIN {TABLE} t USING (thread_id), q
            ORDER BY {order}
        """
        params.update(headline=HEADLINE, title_headline=TITLE_HEADLINE)
        rows = db.session.execute(text(sql), params).all()
        if (request.page == 1 and len(rows) < request.per_page) or not request.count_total:
            total = len(rows)
        else:
            total = self._count(query, where, params)
        capped = total > COUNT_CAP
        hits = [_hit(row) for row in rows]
        return SearchResults(hits, min(total, COUNT_CAP), request.page, request.per_page, total_capped=capped)

    def _typed_tsquery(self, request: SearchRequest, params: dict) -> str | None:
        """As-you-type: the last word, a word begun, matches its prefix (as stemmed) or one of the
        few most frequent words it begins that the viewer's levels hold ("calibrat" is no prefix of
        the stem "calibr", the word "calibration" is)."""
        head, _space, last = request.text.rpartition(" ")
        if not re.fullmatch(r"[^\W_]+", last):
            return tsquery_sql(request.text, params)
        params.update(typed=last.lower() + ":*", begun=last.lower(), begun_len=len(last),
                      levels=_access_levels(request.access) or ["-"])
        completions = db.session.scalars(text(f"""
            SELECT word FROM {WORDS} WHERE level = ANY(:levels) AND word >= :begun AND left(word, :begun_len) = :begun
            GROUP BY word ORDER BY sum(ndoc) DESC LIMIT {COMPLETIONS}
        """), params).all()
        alternatives = ["to_tsquery('english', :typed)"]
        for n, word in enumerate(completions):
            params[f"completion{n}"] = word
            alternatives.append(f"plainto_tsquery('english', :completion{n})")
        head_query = tsquery_sql(head, params) if head.strip() else None
        typed = "(" + " || ".join(alternatives) + ")"
        return f"{head_query} && {typed}" if head_query else typed

    def facets(self, request: SearchRequest, since: dict) -> Facets:
        params: dict = {}
        query = tsquery_sql(request.text, params)
        if query is None:
            return Facets(states={"solved": 0, "unsolved": 0}, dates={name: 0 for name in since})
        where = access_sql(request.access, params)
        return postgres_facets.count(query, where, params, request, since, _naive_utc)

    def _count(self, query: str, where: str, params: dict) -> int:
        """Matches up to COUNT_CAP + 1: counting every match of a common word reads them all.

        q is MATERIALIZED so the planner cannot see the words: it then takes the GIN bitmap. Seeing
        a common word it chose a sequential scan that detoasts every row's document (its cost
        model ignores detoasting), which is slow for words a few percent of threads hold."""
        sql = f"""
            WITH q AS MATERIALIZED (SELECT {query} AS query)
            SELECT count(*) FROM (
                SELECT 1 FROM {RANKS} d, q
                WHERE numnode(q.query) > 0 AND d.document @@ q.query AND {where} LIMIT {COUNT_CAP + 1}
            ) m
        """
        return db.session.scalar(text(sql), params) or 0

    def similar(self, title: str, body: str, access: Access, limit: int = 5) -> list[Hit]:
        rows = self._similar_rows(title, body, access)
        layer = self.layer.current() if self.layer is not None else None
        ranked = similar_rank.rerank(title, body, (_candidate(row) for row in rows.values()), limit, layer)
        if not ranked:
            return []
        marked = self._similar_marks([c.key for _score, c in ranked], title, body)
        return [_similar_hit(rows[c.key], score, marked.get(c.key)) for score, c in ranked]

    def similar_candidates(self, title: str, body: str, access: Access) -> list[similar_rank.Candidate]:
        """The pool `similar` re-ranks (the relevance bench weighs it several ways)."""
        return [_candidate(row) for row in self._similar_rows(title, body, access).values()]

    def _similar_rows(self, title: str, body: str, access: Access) -> dict:
        params = {"title": title or "", "body": (body or "")[:600], "pool": SIMILAR_POOL,
                  "candidates": SIMILAR_RERANKED, "body_pool": SIMILAR_BODY_POOL,
                  "weights": SIMILAR_WEIGHTS, "chars": similar_rank.TEXT_CHARS}
        where = access_sql(access, params)
        # plainto_tsquery ANDs the words; any shared word should count, so turn & into |.
        # Candidates are ranked on the small title+tags vector first; only the best few hundred
        # have their whole thread's lexemes ranked (reading those is what made this slow), and
        # the best of those are re-ranked on their text by similar.rerank, as on Whoosh. Threads
        # that hold two title words only in their text join them (in_body, SIMILAR_BODY_POOL).
        sql = f"""
            WITH {_SIMILAR_QUERIES}, {_TITLE_PAIRS}, pool AS (
                SELECT d.thread_id FROM {RANKS} d, qq
                WHERE (d.heading @@ qq.title_q OR d.heading @@ qq.body_q) AND {where}
                ORDER BY 2 * coalesce(ts_rank(d.heading, qq.title_q), 0)
                         + 0.5 * coalesce(ts_rank(d.heading, qq.body_q), 0) DESC
                LIMIT :pool
            ), in_body AS (
                SELECT d.thread_id FROM {RANKS} d, qq, pairs
                WHERE d.document @@ pairs.query AND NOT d.heading @@ qq.title_q
                      AND NOT coalesce(d.heading @@ qq.body_q, false) AND {where}
                LIMIT :body_pool
            ), matches AS (
                (SELECT d.thread_id, d.last_activity_at, {SIMILAR_SCORE} AS score
                FROM pool JOIN {RANKS} d USING (thread_id), qq
                ORDER BY score DESC LIMIT :candidates)
                UNION ALL
                SELECT d.thread_id, d.last_activity_at, {SIMILAR_SCORE} AS score
                FROM in_body JOIN {RANKS} d USING (thread_id), qq
            )
            SELECT m.thread_id, m.score, t.title, left(t.body, :chars) AS body, t.category_id, t.state,
                   t.has_verified_answer, t.last_activity_at
            FROM matches m JOIN {TABLE} t USING (thread_id)
        """
        return {row.thread_id: row for row in db.session.execute(text(sql), params)}

    @staticmethod
    def _similar_marks(thread_ids: list[int], title: str, body: str) -> dict:
        """Highlights for the few shown (ts_headline is the costly part)."""
        sql = f"""
            WITH {_SIMILAR_QUERIES}
            SELECT t.thread_id,
                   ts_headline('english', left(t.body, {HEADLINE_CHARS}), coalesce(qq.title_q, qq.body_q), :headline)
                     AS snippet,
                   ts_headline('english', t.title, coalesce(qq.title_q, qq.body_q), :title_headline) AS title_marked
            FROM {TABLE} t, qq WHERE t.thread_id = ANY(:ids)
        """
        params = {"ids": thread_ids, "title": title or "", "body": (body or "")[:600],
                  "headline": HEADLINE, "title_headline": TITLE_HEADLINE}
        return {row.thread_id: row for row in db.session.execute(text(sql), params)}

    def suggest(self, text_: str, access: Access) -> str | None:
        words = [w for w in query_words(text_) if w not in BOOLEAN_WORDS and not w.isdigit()]
        levels = _access_levels(access)
        if not words or not levels:
            return None
        corrected = [self._correct(word, levels, access) for word in words]
        return " ".join(corrected) if corrected != words else None

    def _correct(self, word: str, levels: list[str], access: Access) -> str:
        """The nearest word from the word table that this viewer's readable documents still hold.

        Candidates come from the viewer's levels only, found with a trigram index (or, without
        pg_trgm, a first-letter range of the table); each is checked against the live, filtered
        documents, so a word from text hidden since the last refresh is never offered."""
        if len(word) < 3 or len(word) > 100:
            return word
        params = {"levels": levels, "word": word}
        known = db.session.scalar(
            text(f"SELECT 1 FROM {WORDS} WHERE level = ANY(:levels) AND word = :word LIMIT 1"), params
        )
        if known:
            return word
        vocabulary = self._candidates(word, params)
        ranked = sorted(
            (edit_distance(word, candidate, 3), -count, candidate) for candidate, count in vocabulary.items()
        )
        for distance, _count, candidate in ranked[:LIVE_CHECKS]:
            if distance <= 2 and self._readable(candidate, access):
                return candidate
        return word

    def _candidates(self, word: str, params: dict) -> dict[str, int]:
        if getattr(self, "_trigrams", None) is None:
            self._trigrams = _has_trigrams()
        if self._trigrams:
            where = "word % :word"
        else:
            params.update(first=word[0], after=chr(ord(word[0]) + 1), shortest=len(word) - 2, longest=len(word) + 2)
            where = "word >= :first AND word < :after AND length(word) BETWEEN :shortest AND :longest"
        rows = db.session.execute(text(f"""
            SELECT word, sum(ndoc) AS ndoc FROM {WORDS}
            WHERE level = ANY(:levels) AND {where}
            GROUP BY word ORDER BY sum(ndoc) DESC LIMIT {MAX_CANDIDATES * 20 if not self._trigrams else MAX_CANDIDATES}
        """), params)
        return {row.word: row.ndoc for row in rows}

    @staticmethod
    def _readable(word: str, access: Access) -> bool:
        params = {"word": word}
        where = access_sql(access, params)
        return bool(db.session.scalar(text(f"""
            SELECT EXISTS (SELECT 1 FROM {RANKS} d JOIN {TABLE} t USING (thread_id)
                           WHERE d.document @@ plainto_tsquery('english', :word)
                             AND t.spelling @@ to_tsquery('simple', quote_literal(:word)) AND {where})
        """), params))

    # --- inspection -----------------------------------------------------------------------------

    def stamps(self) -> dict[int, str]:
        return dict(db.session.execute(text(f"SELECT thread_id, stamp FROM {TABLE}")).all())

    def size_bytes(self) -> int:
        return db.session.scalar(
            text(f"SELECT pg_total_relation_size('{TABLE}') + pg_total_relation_size('{RANKS}')")
        ) or 0


def _relevant_page(where: str, negated: bool) -> str:
    """The page by relevance, ranked within a bounded pool of candidates (see POOL).

    Title and tag matches fill the pool first (they outrank body matches), pre-ranked on the
    small heading vector; body-only matches join only when they do not fill it, and the second
    branch is not even run when they do (the Limit stops the Append). The heading is part of the
    document, so a heading match is a document match unless the query excludes a word (-word)."""
    match = f"numnode(q.query) > 0 AND d.document @@ q.query AND {where}"
    in_title = f"numnode(q.query) > 0 AND d.heading @@ q.query AND {where}"
    if negated:
        in_title = f"{in_title} AND d.document @@ q.query"
    return f"""
        WITH pool AS (
            (SELECT d.thread_id FROM {RANKS} d, q
             WHERE {in_title}
             ORDER BY ts_rank(d.heading, q.query) * {BOOST} DESC, d.last_activity_at DESC LIMIT :pool)
            UNION ALL
            (SELECT d.thread_id FROM {RANKS} d, q
             WHERE {match} AND NOT d.heading @@ q.query
             ORDER BY {BOOST_ORDER}, d.last_activity_at DESC LIMIT :pool)
            LIMIT :pool
        ), scored AS MATERIALIZED (
            SELECT d.thread_id, d.last_activity_at, {RANK} AS score
            FROM pool JOIN {RANKS} d USING (thread_id), q
        )
        SELECT * FROM scored s
        ORDER BY round(s.score::numeric, 4) DESC, s.last_activity_at DESC
        LIMIT :limit OFFSET :offset
    """


def _newest_page(where: str) -> str:
    """Newest first: matches of a looser query (phrases as AND) are sorted by date, and the exact
    query is checked on them one by one until the page is full. A phrase needs each document's
    positions, so checking every match of two common words first took ~0.4 s at 1M posts.
    A query with a negation keeps its exact form (loosening a negated phrase would narrow it).
    Only the page's rows have their document ranked (for the score shown)."""
    return f"""
        WITH loose AS MATERIALIZED (
            SELECT CASE WHEN strpos(q.query::text, '!') > 0 THEN q.query
                        ELSE regexp_replace(q.query::text, '<[0-9]+>|<->', '&', 'g')::tsquery END AS query
            FROM q
        ), newest AS MATERIALIZED (
            SELECT c.thread_id FROM (
                SELECT d.thread_id, d.last_activity_at FROM {RANKS} d, loose
                WHERE numnode(loose.query) > 0 AND d.document @@ loose.query AND {where}
                ORDER BY d.last_activity_at DESC, d.thread_id DESC
            ) c, q
            WHERE (SELECT r.document FROM {RANKS} r WHERE r.thread_id = c.thread_id) @@ q.query
            LIMIT :limit OFFSET :offset
        )
        SELECT d.thread_id, d.last_activity_at, {RANK} AS score
        FROM newest JOIN {RANKS} d USING (thread_id), q
    """


def _access_levels(access: Access) -> list[str]:
    levels = [level for level in VISIBILITY_LEVELS if level in access.visibilities]
    if levels and access.sees_all_private:
        levels.append(PRIVATE_LEVEL)
    return levels


def _word_levels() -> list[tuple[str, str]]:
    levels = [(level, f"visibility = '{level}' AND NOT is_private") for level in VISIBILITY_LEVELS]
    return [*levels, (PRIVATE_LEVEL, "is_private")]


def _has_trigrams() -> bool:
    return bool(db.session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")))


def _ensure_trigram_index() -> bool:
    """pg_trgm makes "did you mean" an index lookup; without it a first-letter range is scanned."""
    session = db.session
    try:
        with session.begin_nested():
            session.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception:  # not installed on this server, or no right to create it
        pass
    if not _has_trigrams():
        session.commit()
        return False
    session.execute(text(f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON {WORDS} USING gin (word gin_trgm_ops)"))
    session.commit()
    return True


_SIMILAR_QUERIES = """
    q AS (
        SELECT replace(plainto_tsquery('english', :title)::text, '&', '|') AS t,
               replace(plainto_tsquery('english', :body)::text, '&', '|') AS b
    ), qq AS (
        SELECT CASE WHEN t = '' THEN NULL ELSE t::tsquery END AS title_q,
               CASE WHEN b = '' THEN NULL ELSE b::tsquery END AS body_q FROM q
    )
"""

# Any two of the title's words (the first SIMILAR_PAIR_WORDS lexemes, alphabetically, so a pasted
# paragraph stays a bounded query): one shared word in a body is too common to say anything.
# A lexeme with a backslash is left out: quote_literal writes it as E'...', which tsquery rejects.
_TITLE_PAIRS = f"""
    words AS (
        SELECT w FROM unnest(tsvector_to_array(to_tsvector('english', :title))) w
        WHERE strpos(w, chr(92)) = 0
        LIMIT {SIMILAR_PAIR_WORDS}
    ), pairs AS (
        SELECT string_agg(quote_literal(x.w) || ' & ' || quote_literal(y.w), ' | ')::tsquery AS query
        FROM words x JOIN words y ON x.w < y.w
    )
"""


def _candidate(row) -> similar_rank.Candidate:
    return similar_rank.Candidate(
        key=row.thread_id, title=row.title, body=row.body or "", engine_score=float(row.score or 0.0),
        verified=bool(row.has_verified_answer), solved=row.state == "solved",
        last_activity=row.last_activity_at.replace(tzinfo=timezone.utc).timestamp(), thread_id=row.thread_id,
    )


def _similar_hit(row, score: float, marked) -> Hit:
    return _hit(SimpleNamespace(
        thread_id=row.thread_id, title=row.title, score=score, category_id=row.category_id, state=row.state,
        has_verified_answer=row.has_verified_answer, last_activity_at=row.last_activity_at,
        title_marked=marked.title_marked if marked else None, snippet=marked.snippet if marked else None,
    ))


def _hit(row) -> Hit:
    return Hit(
        thread_id=row.thread_id,
        title=row.title,
        score=float(row.score or 0.0),
        title_html=marked_to_html(row.title_marked) if MARK_START in (row.title_marked or "") else plain_snippet(row.title),
        snippet_html=marked_to_html(row.snippet) if row.snippet else plain_snippet(""),
        category_id=row.category_id,
        state=row.state,
        has_verified_answer=bool(row.has_verified_answer),
        last_activity_at=row.last_activity_at.replace(tzinfo=timezone.utc),
    )
