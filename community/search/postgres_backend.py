"""PostgreSQL backend: search_documents rows with a weighted tsvector and a GIN index.

Queries use websearch_to_tsquery (quotes, OR, -word) plus `word*` prefixes, rank with ts_rank_cd
and highlight with ts_headline. A rebuild fills a side table and swaps it in one transaction.
"""
from __future__ import annotations

import re
from datetime import timezone
from typing import Callable, Iterable

from sqlalchemy import text

from ..extensions import db
from .backend import (
    BOOLEAN_WORDS,
    MARK_END,
    MARK_START,
    Access,
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
WORDS = "search_words"
PRIVATE_LEVEL = "private"  # the word level of private threads: offered to staff only
TRIGRAM_INDEX = "ix_search_words_trgm"
MAX_CANDIDATES = 50
SIMILAR_POOL = 200
LIVE_CHECKS = 5
BUILD_TABLE = "search_documents_build"
VISIBILITY_LEVELS = ("public", "members", "customers", "staff")
INDEX_CHARS = 200_000  # a tsvector holds at most 1 MB; long threads keep their first part
HEADLINE_CHARS = 20_000
WRITE_BATCH = 500
HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \""
TITLE_HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
# Verified answers, then solved threads, first at equal text relevance.
RANK = "ts_rank_cd(d.document, q.query) * (1 + 0.2 * d.has_verified_answer::int + 0.1 * (d.state = 'solved')::int)"

_UPSERT = """
INSERT INTO {table} (thread_id, title, body, tags, category_id, category_name, visibility, is_private,
    author_id, state, has_verified_answer, created_at, last_activity_at, stamp, document, heading, spelling)
VALUES (:thread_id, CAST(:title AS text), CAST(:body AS text), CAST(:tags AS text), :category_id,
    CAST(:category_name AS text), :visibility, :is_private,
    :author_id, :state, :has_verified_answer, :created_at, :last_activity_at, :stamp,
    setweight(to_tsvector('english', CAST(:title AS text)), 'A')
      || setweight(to_tsvector('english', CAST(:tags AS text) || ' ' || CAST(:category_name AS text)), 'B')
      || setweight(to_tsvector('english', left(CAST(:body AS text), {chars})), 'C'),
    setweight(to_tsvector('english', CAST(:title AS text)), 'A')
      || setweight(to_tsvector('english', CAST(:tags AS text) || ' ' || CAST(:category_name AS text)), 'B'),
    to_tsvector('simple', CAST(:title AS text) || ' ' || left(CAST(:body AS text), {chars})
      || ' ' || CAST(:tags AS text)))
ON CONFLICT (thread_id) DO UPDATE SET
    title = EXCLUDED.title, body = EXCLUDED.body, tags = EXCLUDED.tags,
    category_id = EXCLUDED.category_id, category_name = EXCLUDED.category_name,
    visibility = EXCLUDED.visibility, is_private = EXCLUDED.is_private,
    author_id = EXCLUDED.author_id, state = EXCLUDED.state,
    has_verified_answer = EXCLUDED.has_verified_answer, created_at = EXCLUDED.created_at,
    last_activity_at = EXCLUDED.last_activity_at, stamp = EXCLUDED.stamp,
    document = EXCLUDED.document, heading = EXCLUDED.heading, spelling = EXCLUDED.spelling
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

    # --- writing --------------------------------------------------------------------------------

    def index(self, docs: Iterable[SearchDoc]) -> None:
        docs = list(docs)
        self._write(TABLE, docs)
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

    def _write(self, table: str, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None) -> int:
        statement = text(_UPSERT.format(table=table, chars=INDEX_CHARS))
        count, batch = 0, []
        for doc in docs:
            batch.append(_params(doc))
            if len(batch) >= WRITE_BATCH:
                count += self._flush(statement, batch, progress)
        return count + self._flush(statement, batch, progress)

    @staticmethod
    def _flush(statement, batch: list[dict], progress) -> int:
        if not batch:
            return 0
        db.session.execute(statement, batch)
        written = len(batch)
        if progress:
            progress(written)
        batch.clear()
        return written

    def delete(self, thread_ids: Iterable[int]) -> None:
        ids = list(thread_ids)
        if ids:
            db.session.execute(text(f"DELETE FROM {TABLE} WHERE thread_id = ANY(:ids)"), {"ids": ids})

    def rebuild(self, docs: Iterable[SearchDoc], progress: Callable[[int], None] | None = None) -> int:
        session = db.session
        session.execute(text(f"DROP TABLE IF EXISTS {BUILD_TABLE}"))
        session.execute(text(f"CREATE TABLE {BUILD_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS)"))
        session.execute(text(f"ALTER TABLE {BUILD_TABLE} ADD CONSTRAINT pk_{BUILD_TABLE} PRIMARY KEY (thread_id)"))
        session.commit()
        count = self._write(BUILD_TABLE, docs, progress)
        session.execute(text(f"CREATE INDEX ix_{BUILD_TABLE} ON {BUILD_TABLE} USING gin (document)"))
        session.execute(text(f"CREATE INDEX ix_{BUILD_TABLE}_heading ON {BUILD_TABLE} USING gin (heading)"))
        session.commit()
        # The swap: readers wait a moment on the lock and then see the new table.
        for statement in (
            f"DROP TABLE {TABLE}",
            f"ALTER TABLE {BUILD_TABLE} RENAME TO {TABLE}",
            f"ALTER TABLE {TABLE} RENAME CONSTRAINT pk_{BUILD_TABLE} TO pk_{TABLE}",
            f"ALTER INDEX ix_{BUILD_TABLE} RENAME TO ix_{TABLE}_document",
            f"ALTER INDEX ix_{BUILD_TABLE}_heading RENAME TO ix_{TABLE}_heading",
        ):
            session.execute(text(statement))
        session.commit()
        self.refresh_words()
        return count

    # --- reading --------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        params: dict = {}
        query = tsquery_sql(request.text, params)
        if query is None:
            return SearchResults([], 0, request.page, request.per_page)
        where = _filters_sql(request, params)
        order = f"round(({RANK})::numeric, 4) DESC, d.last_activity_at DESC"
        outer_order = "round(p.score::numeric, 4) DESC, p.last_activity_at DESC"
        if request.sort == "newest":
            order, outer_order = "d.last_activity_at DESC", "p.last_activity_at DESC"
        params.update(limit=request.per_page, offset=(request.page - 1) * request.per_page)
        # Rank and page first; highlight only the page's rows (ts_headline is the costly part).
        sql = f"""
            WITH q AS (SELECT {query} AS query), page AS (
                SELECT d.thread_id, d.title, d.body, d.category_id, d.state, d.has_verified_answer,
                       d.last_activity_at, {RANK} AS score, count(*) OVER () AS total
                FROM {TABLE} d, q
                WHERE numnode(q.query) > 0 AND d.document @@ q.query AND {where}
                ORDER BY {order}
                LIMIT :limit OFFSET :offset
            )
            SELECT p.thread_id, p.title, p.category_id, p.state, p.has_verified_answer, p.last_activity_at,
                   p.score, p.total,
                   ts_headline('english', left(p.body, {HEADLINE_CHARS}), q.query, :headline) AS snippet,
                   ts_headline('english', p.title, q.query, :title_headline) AS title_marked
            FROM page p, q
            ORDER BY {outer_order}
        """
        params.update(headline=HEADLINE, title_headline=TITLE_HEADLINE)
        rows = db.session.execute(text(sql), params).all()
        total = rows[0].total if rows else self._count(query, where, params) if request.page > 1 else 0
        return SearchResults([_hit(row) for row in rows], total, request.page, request.per_page)

    def _count(self, query: str, where: str, params: dict) -> int:
        sql = f"WITH q AS (SELECT {query} AS query) SELECT count(*) FROM {TABLE} d, q WHERE d.document @@ q.query AND {where}"
        return db.session.scalar(text(sql), params) or 0

    def similar(self, title: str, body: str, access: Access, limit: int = 5) -> list[Hit]:
        params = {"title": title or "", "body": (body or "")[:600], "limit": limit, "pool": SIMILAR_POOL}
        where = access_sql(access, params)
        # plainto_tsquery ANDs the words; any shared word should count, so turn & into |.
        # Candidates are ranked on the small title+tags vector first; only the best few hundred
        # have their whole thread's lexemes ranked (reading those is what made this slow).
        sql = f"""
            WITH q AS (
                SELECT replace(plainto_tsquery('english', :title)::text, '&', '|') AS t,
                       replace(plainto_tsquery('english', :body)::text, '&', '|') AS b
            ), qq AS (
                SELECT CASE WHEN t = '' THEN NULL ELSE t::tsquery END AS title_q,
                       CASE WHEN b = '' THEN NULL ELSE b::tsquery END AS body_q FROM q
            ), pool AS (
                SELECT d.thread_id FROM {TABLE} d, qq
                WHERE (d.heading @@ qq.title_q OR d.heading @@ qq.body_q) AND {where}
                ORDER BY 2 * coalesce(ts_rank(d.heading, qq.title_q), 0)
                         + 0.5 * coalesce(ts_rank(d.heading, qq.body_q), 0) DESC
                LIMIT :pool
            ), matches AS (
                SELECT d.*, (2 * coalesce(ts_rank(d.document, qq.title_q), 0)
                          + 0.5 * coalesce(ts_rank(d.document, qq.body_q), 0))
                          * (1 + 0.2 * d.has_verified_answer::int + 0.1 * (d.state = 'solved')::int) AS score,
                       coalesce(qq.title_q, qq.body_q) AS query
                FROM pool JOIN {TABLE} d USING (thread_id), qq
            ), top AS (
                SELECT * FROM matches d ORDER BY round(d.score::numeric, 4) DESC, d.last_activity_at DESC LIMIT :limit
            )
            SELECT d.thread_id, d.title, d.category_id, d.state, d.has_verified_answer, d.last_activity_at,
                   d.score,
                   0 AS total,
                   ts_headline('english', left(d.body, {HEADLINE_CHARS}), d.query, :headline) AS snippet,
                   ts_headline('english', d.title, d.query, :title_headline) AS title_marked
            FROM top d
            ORDER BY round(d.score::numeric, 4) DESC, d.last_activity_at DESC
        """
        params.update(headline=HEADLINE, title_headline=TITLE_HEADLINE)
        return [_hit(row) for row in db.session.execute(text(sql), params)]

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
            SELECT EXISTS (SELECT 1 FROM {TABLE} d
                           WHERE d.document @@ plainto_tsquery('english', :word)
                             AND d.spelling @@ to_tsquery('simple', quote_literal(:word)) AND {where})
        """), params))

    # --- inspection -----------------------------------------------------------------------------

    def stamps(self) -> dict[int, str]:
        return dict(db.session.execute(text(f"SELECT thread_id, stamp FROM {TABLE}")).all())

    def size_bytes(self) -> int:
        return db.session.scalar(text(f"SELECT pg_total_relation_size('{TABLE}')")) or 0


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
