"""Search benchmark (`make bench-search`): speed of both backends at 100,000 posts, and relevance
of similar-question suggestions on meta.stackexchange duplicate pairs.

Text comes from ../shared/data (read in place, never copied): the quantumcomputing Stack Exchange
dump, varied (sentences reordered, some words swapped for other corpus words) to make 100,000
posts, 4 to a thread. Figures are printed, never asserted.

Environment: BENCH_POSTS (default 100000), BENCH_QUERIES (1000), BENCH_SINGLE (200),
BENCH_BACKENDS ("whoosh,postgres"), COMMUNITY_TEST_PG_URL (admin URL for a scratch database),
BENCH_PARTS ("speed,relevance"): "relevance" alone skips the 100k-post corpus; "similar" builds it
and times only similar-question lookups, "queries" only searches (issue #4's latency); both time
wall and this process's CPU time.
"""
from __future__ import annotations

import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from markupsafe import Markup  # noqa: E402

from community.search.backend import Access, SearchDoc, SearchRequest, clean_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "stackexchange"
POSTS_PER_THREAD = 4
POSTS = int(os.environ.get("BENCH_POSTS", 100_000))
QUERIES = int(os.environ.get("BENCH_QUERIES", 1_000))
SINGLE = int(os.environ.get("BENCH_SINGLE", 200))
BACKENDS = os.environ.get("BENCH_BACKENDS", "whoosh,postgres").split(",")
PARTS = set(os.environ.get("BENCH_PARTS", "speed,relevance").split(","))
SIMILAR_LOOKUPS = 300
PG_ADMIN_URL = os.environ.get("COMMUNITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ANONYMOUS = Access(visibilities=frozenset({"public"}))
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in is it its of on or so that the "
    "this to was what when where which while why with you your not no we they there their then than".split()
)


# --- corpus ------------------------------------------------------------------------------------


def text_of(html: str) -> str:
    return clean_text(Markup(html or "").striptags())


def load_corpus() -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    questions, answers = [], []
    for _event, row in ET.iterparse(DATA / "quantumcomputing" / "Posts.xml"):
        if row.tag != "row":
            continue
        body = text_of(row.get("Body", ""))
        if row.get("PostTypeId") == "1":
            tags = re.findall(r"<([^>]+)>", row.get("Tags", "")) or row.get("Tags", "").strip("|").split("|")
            questions.append((row.get("Title", ""), body, [t for t in tags if t]))
        elif row.get("PostTypeId") == "2":
            answers.append(body)
        row.clear()
    return questions, answers


class Varier:
    """Makes many distinct but realistic texts from a few thousand real ones."""

    def __init__(self, rng: random.Random, texts: list[str]) -> None:
        self.rng = rng
        words = Counter(w for t in texts for w in re.findall(r"[a-z]{3,}", t.lower()))
        self.vocabulary = [w for w, n in words.items() if n >= 2 and w not in STOPWORDS]
        self.query_words = [w for w, n in words.most_common(6000) if w not in STOPWORDS and n >= 5]

    def text(self, text: str) -> str:
        sentences = re.split(r"(?<=[.!?])\s+", text)
        if len(sentences) > 2 and self.rng.random() < 0.5:
            self.rng.shuffle(sentences)
        words = " ".join(sentences).split(" ")
        for _ in range(max(1, len(words) // 20)):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocabulary)
        return " ".join(words)

    def title(self, title: str) -> str:
        words = title.split()
        if words:
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocabulary)
        return " ".join(words + [self.rng.choice(self.vocabulary)])

    def query(self) -> str:
        return " ".join(self.rng.sample(self.query_words, self.rng.randint(1, 4)))


def make_doc(thread_id: int, rng: random.Random, varier: Varier, questions, answers, now: datetime) -> SearchDoc:
    title, body, tags = rng.choice(questions)
    replies = [varier.text(rng.choice(answers)) for _ in range(POSTS_PER_THREAD - 1)]
    created = now - timedelta(minutes=rng.randrange(2_000_000))
    visibility = rng.choices(["public", "members", "customers", "staff"], [80, 10, 5, 5])[0]
    return SearchDoc(
        thread_id=thread_id, title=varier.title(title), body="\n\n".join([varier.text(body), *replies]),
        tags=tuple(tags), category_id=1 + thread_id % 12, category_name=f"Category {thread_id % 12}",
        visibility=visibility, is_private=rng.random() < 0.02, author_id=1 + rng.randrange(5000),
        state=rng.choices(["open", "answered", "solved", "closed"], [45, 20, 30, 5])[0],
        has_verified_answer=False, created_at=created, last_activity_at=created + timedelta(hours=rng.randrange(200)),
        stamp=uuid.uuid4().hex,
    )


def generate(count_threads: int, seed: int = 7):
    questions, answers = load_corpus()
    rng = random.Random(seed)
    varier = Varier(rng, [q[1] for q in questions] + answers)
    now = datetime.now(timezone.utc)
    docs = [make_doc(i + 1, rng, varier, questions, answers, now) for i in range(count_threads)]
    return docs, varier, (questions, answers, rng, now)


# --- measuring ---------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered), p99


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - start) * 1000, result


def bench_speed(backend, docs, varier, extra, commit) -> dict:
    questions, answers, rng, now = extra
    start = time.perf_counter()
    backend.rebuild(iter(docs))
    commit()
    bulk_s = time.perf_counter() - start
    posts = len(docs) * POSTS_PER_THREAD
    figures = {"posts": posts, "bulk_posts_per_s": posts / bulk_s, "bulk_s": bulk_s,
               "size_mb": backend.size_bytes() / 1e6}
    if PARTS & {"speed", "queries"}:
        figures.update(bench_queries(backend, varier, commit))
    if PARTS & {"speed", "similar"}:
        figures.update(bench_similar(backend, varier, questions, rng, commit))
    if "speed" in PARTS:
        figures.update(bench_single(backend, len(docs), varier, extra, commit))
    return figures


def bench_queries(backend, varier, commit) -> dict:
    query_ms, query_cpu_ms, hits = [], [], 0
    for _ in range(QUERIES):
        request = SearchRequest(text=varier.query(), access=ANONYMOUS, per_page=20)
        cpu_start = time.process_time()
        elapsed, results = timed(backend.search, request)
        commit()
        # CPU time of this process shows the gain whatever the machine's load (PostgreSQL's own
        # work is in its server, so for it this is only the client's share).
        query_cpu_ms.append((time.process_time() - cpu_start) * 1000)
        query_ms.append(elapsed)
        hits += bool(results.hits)
    return {"query": percentiles(query_ms), "query_cpu": percentiles(query_cpu_ms), "queries_with_hits": hits}


def bench_similar(backend, varier, questions, rng, commit) -> dict:
    """Wall time and this process's CPU time (PostgreSQL's work is in its server, not here)."""
    wall_ms, cpu_ms = [], []
    for _ in range(SIMILAR_LOOKUPS):
        title = varier.title(rng.choice(questions)[0])
        cpu_start = time.process_time()
        elapsed, _ = timed(backend.similar, title, "", ANONYMOUS, 5)
        commit()
        cpu_ms.append((time.process_time() - cpu_start) * 1000)
        wall_ms.append(elapsed)
    return {"similar": percentiles(wall_ms), "similar_cpu": percentiles(cpu_ms)}


def bench_single(backend, first_id: int, varier, extra, commit) -> dict:
    questions, answers, rng, now = extra
    single_ms, compact_ms = [], []
    compact = getattr(backend, "compact", None)  # Whoosh: the merge job that follows indexing jobs
    for n in range(SINGLE):
        doc = make_doc(first_id + n + 1, rng, varier, questions, answers, now)
        doc = replace(doc, body=doc.body.split("\n\n")[0])  # one new post: a fresh thread's opening post
        elapsed, _ = timed(lambda d=doc: (backend.index([d]), commit()))
        single_ms.append(elapsed)
        if compact:
            compact_ms.append(timed(compact)[0])
    return {
        "single": percentiles(single_ms),
        "compact": (*percentiles(compact_ms), max(compact_ms)) if compact_ms else None,
    }


# --- relevance ---------------------------------------------------------------------------------


def load_pairs() -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """Unique questions (title, body) and the duplicate pairs as indexes into them."""
    questions: dict[str, int] = {}
    parsed: list[tuple[str, str]] = []
    pairs = []

    def question_id(raw: str) -> int:
        if raw not in questions:
            title, _, body = raw.partition("<")
            questions[raw] = len(parsed)
            parsed.append((clean_text(title).strip(), text_of("<" + body) if body else ""))
        return questions[raw]

    with open(DATA / "metase_duplicate_pairs.tsv", encoding="utf-8") as tsv:
        for line in tsv:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            label, q1, q2 = parts
            a, b = question_id(q1.strip()), question_id(q2.strip())
            if label == "duplicate" and a != b:
                pairs.append((a, b))
    return parsed, pairs


def pair_docs(questions: list[tuple[str, str]]) -> list[SearchDoc]:
    now = datetime.now(timezone.utc)
    return [
        SearchDoc(
            thread_id=i + 1, title=title, body=body, tags=(), category_id=1, category_name="Meta",
            visibility="public", is_private=False, author_id=1, state="open", has_verified_answer=False,
            created_at=now, last_activity_at=now, stamp=str(i),
        )
        for i, (title, body) in enumerate(questions)
    ]


def score_ranks(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {
        "recall@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "recall@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r is not None) / n,
    }


def rank_of(target: int, ids: list[int], exclude: int) -> int | None:
    ranked = [i for i in ids if i != exclude]
    return ranked.index(target) + 1 if target in ranked else None


def bench_relevance(similar, questions, pairs) -> dict:
    """similar(title, body) -> ranked 0-based question indexes."""
    results = {}
    for label, with_body in (("title", False), ("title+body", True)):
        ranks = []
        for a, b in pairs:
            title, body = questions[a]
            ranks.append(rank_of(b, similar(title, body if with_body else ""), a))
        results[label] = score_ranks(ranks)
    return results


def baseline_similar(tmp: str, questions, any_word: bool = False):
    """Plain Whoosh BM25F over title+body, default analyzers and scoring.

    With the default parser every word of a pasted title must match (AND), which finds almost
    nothing; `any_word` switches the parser to OR, the obvious plain "similar" query, so the
    gain is also shown against a baseline that works.
    """
    from whoosh import fields, index, qparser

    schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT, body=fields.TEXT)
    folder = Path(tmp) / ("baseline-or" if any_word else "baseline")
    folder.mkdir()
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    for i, (title, body) in enumerate(questions):
        writer.add_document(id=str(i), title=title, body=body)
    writer.commit()
    group = qparser.OrGroup if any_word else qparser.AndGroup
    parser = qparser.MultifieldParser(["title", "body"], schema, group=group)

    def similar(title: str, body: str) -> list[int]:
        text = f"{title} {body}".strip()
        try:
            query = parser.parse(text)
        except Exception:
            return []
        with ix.searcher() as searcher:
            return [int(hit["id"]) for hit in searcher.search(query, limit=21)]

    return similar


# --- backends ----------------------------------------------------------------------------------


def whoosh_run(tmp: str, docs, varier, extra, questions, pairs) -> tuple[dict, dict]:
    from community.search.whoosh_backend import WhooshBackend

    speed = bench_speed(WhooshBackend(str(Path(tmp) / "whoosh")), docs, varier, extra, lambda: None) if docs else {}
    if "relevance" not in PARTS:
        return speed, {}
    relevance_backend = WhooshBackend(str(Path(tmp) / "whoosh-pairs"))
    relevance_backend.rebuild(pair_docs(questions))
    return speed, bench_relevance(_similar_ids(relevance_backend), questions, pairs)


def _similar_ids(backend):
    def similar(title: str, body: str) -> list[int]:
        return [hit.thread_id - 1 for hit in backend.similar(title, body, ANONYMOUS, limit=21)]

    return similar


@contextmanager
def scratch_postgres(tmp: str, prefix: str):
    """An app on a fresh, migrated PostgreSQL database (dropped afterwards), inside its app context;
    yields its search backend."""
    from sqlalchemy import create_engine, text

    from community import create_app, migrate
    from community.extensions import db

    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tmp, "SEARCH_BACKEND": "postgres",
                          "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING", "STATEMENT_TIMEOUT_MS": 600_000})
        with app.app_context():
            yield app.extensions["community.search"]
            db.session.remove()
        app.extensions["community.engine"].dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_run(tmp: str, docs, varier, extra, questions, pairs) -> tuple[dict, dict]:
    from community.extensions import db

    with scratch_postgres(tmp, "parley_bench_search") as backend:
        speed = bench_speed(backend, docs, varier, extra, db.session.commit) if docs else {}
        relevance = {}
        if "relevance" in PARTS:
            backend.rebuild(pair_docs(questions))
            relevance = bench_relevance(_similar_ids(backend), questions, pairs)
    return speed, relevance


def main() -> None:
    for path in (DATA / "quantumcomputing" / "Posts.xml", DATA / "metase_duplicate_pairs.tsv"):
        if not path.exists():
            sys.exit(f"missing {path}: the benchmark reads ../shared/data in place")
    docs, varier, extra = [], None, None
    if PARTS & {"speed", "similar", "queries"}:
        threads = POSTS // POSTS_PER_THREAD
        print(f"Generating {threads:,} threads x {POSTS_PER_THREAD} posts = {threads * POSTS_PER_THREAD:,} posts …", flush=True)
        docs, varier, extra = generate(threads)
    questions, pairs = load_pairs()
    print(f"Relevance set: {len(questions):,} questions, {len(pairs)} duplicate pairs", flush=True)
    # The generated corpus (100,000 documents of text) is the bench's, not the app's: a worker holds
    # nothing like it. Frozen, full collections stop walking it inside timed calls, as gunicorn
    # workers freeze the loaded app (gunicorn.conf.py).
    gc.collect()
    gc.freeze()
    runs = {"whoosh": whoosh_run, "postgres": postgres_run}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = {}
        if "relevance" in PARTS:
            baseline = {
                "defaults (AND)": bench_relevance(baseline_similar(tmp, questions), questions, pairs),
                "OR": bench_relevance(baseline_similar(tmp, questions, any_word=True), questions, pairs),
            }
        for name in BACKENDS:
            print(f"\n== {name} ==", flush=True)
            speed, relevance = runs[name](tmp, docs, varier, extra, questions, pairs)
            report(name, speed, relevance, baseline)


def report(name: str, speed: dict, relevance: dict, baseline: dict) -> None:
    if speed:
        print(f"bulk index: {speed['posts']:,} posts in {speed['bulk_s']:.1f} s = {speed['bulk_posts_per_s']:,.0f} posts/s "
              f"(target >= 1,500); index size {speed['size_mb']:.1f} MB")
    if "query" in speed:
        q50, q99 = speed["query"]
        print(f"query latency ({QUERIES} queries, 1-4 words, top 20 with highlights): p50 {q50:.1f} ms, p99 {q99:.1f} ms "
              f"(whoosh targets 15 / 60 ms); {speed['queries_with_hits']} had results")
        print("  CPU time of this process a query: p50 {:.1f} ms, p99 {:.1f} ms".format(*speed["query_cpu"]))
    if "similar" in speed:
        (m50, m99), (c50, c99) = speed["similar"], speed["similar_cpu"]
        print(f"similar questions for a typed title (top 5 with highlights): p50 {m50:.1f} ms, p99 {m99:.1f} ms "
              f"(target p50 < 30 ms); this process's CPU p50 {c50:.1f} ms, p99 {c99:.1f} ms")
    if "single" in speed:
        s50, s99 = speed["single"]
        print(f"index one new post into the {speed['posts']:,}-post index: p50 {s50:.1f} ms, p99 {s99:.1f} ms (target p99 <= 50 ms)")
    if speed.get("compact"):
        print("merge job after each post (a separate job): p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms".format(*speed["compact"]))
    for label in relevance:
        ours = relevance[label]
        print(f"similar questions by {label:<10}: recall@1 {ours['recall@1']:.3f}  recall@5 {ours['recall@5']:.3f}  "
              f"MRR {ours['mrr']:.3f}")
        for name, runs in baseline.items():
            base = runs[label]
            print(f"  plain Whoosh BM25F, {name:<15}: recall@1 {base['recall@1']:.3f}  recall@5 {base['recall@5']:.3f}  "
                  f"MRR {base['mrr']:.3f}  (recall@5 gain {100 * (ours['recall@5'] - base['recall@5']):+.1f} points; target +10)")


if __name__ == "__main__":
    main()
