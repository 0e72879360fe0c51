"""Header search benchmark: the as-you-type JSON endpoint (/search/quick) and the results page with
its facet counts, on both backends, through the test client (views, service, backend, policy
re-check, JSON). Figures are printed, never asserted.

A bulk-seeded forum of BENCH_POSTS posts (default 100,000; 4 a thread), indexed by the app's own
rebuild. Queries are what someone types into the header: the first one or two words of a real
title, the last cut short (3 letters or more), and one in ten with a typo (a letter dropped).
Target: /search/quick p99 <= 50 ms at 100,000 posts.

Environment: BENCH_POSTS, BENCH_QUERIES (500 lookups), BENCH_PAGES (100 result pages),
BENCH_BACKENDS ("whoosh,postgres"), COMMUNITY_TEST_PG_URL (admin URL for a scratch database).
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import Thread  # noqa: E402
from community.seed.bulk import SeedSize, bulk_seed  # noqa: E402

POSTS = int(os.environ.get("BENCH_POSTS", 100_000))
QUERIES = int(os.environ.get("BENCH_QUERIES", 500))
PAGES = int(os.environ.get("BENCH_PAGES", 100))
BACKENDS = os.environ.get("BENCH_BACKENDS", "whoosh,postgres").split(",")
PG_ADMIN_URL = os.environ.get("COMMUNITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POSTS_PER_THREAD = 4


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def typed_queries(titles: list[str], count: int, rng: random.Random) -> list[str]:
    queries = []
    while len(queries) < count:
        words = [w for w in "".join(c if c.isalnum() else " " for c in rng.choice(titles).lower()).split() if len(w) > 2]
        if not words:
            continue
        start = rng.randrange(len(words))
        chosen = words[start:start + rng.choice((1, 2))]
        last = chosen[-1]
        if rng.random() < 0.1 and len(last) > 4:
            cut = rng.randrange(1, len(last) - 1)
            chosen[-1] = last[:cut] + last[cut + 1:]  # a typo: one letter dropped
        else:
            chosen[-1] = last[:rng.randint(3, len(last))]  # still typing
        queries.append(" ".join(chosen))
    return queries


def timed_gets(client, paths: list[str]) -> tuple[list[float], int]:
    client.get(paths[0])  # warm: searcher, segment caches, connection
    samples, with_results = [], 0
    for path in paths:
        started = time.perf_counter()
        response = client.get(path, headers={"Accept": "application/json"})
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        if response.is_json:
            with_results += bool(response.get_json()["results"])
    return samples, with_results


def run(url: str, backend: str, tmp: str) -> None:
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app({
        "DATABASE_URL": url, "INSTANCE_PATH": tmp, "SECRET_KEY": "bench", "SEARCH_BACKEND": backend,
        "SEARCH_INDEX_DIR": f"{tmp}/index-{backend}", "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
        "SEED_DEMO": False, "JOBS_RUN_IMMEDIATELY": True, "PAGE_CACHE_ENABLED": False,
        "STATEMENT_TIMEOUT_MS": 600_000, "SCHEDULER": "off",
    })
    with app.app_context():
        size = SeedSize(posts=POSTS, threads=POSTS // POSTS_PER_THREAD, categories=12, users=max(100, POSTS // 20))
        print(bulk_seed(db.engine, size).summary(), flush=True)
        from community.search.upkeep import rebuild_index

        started = time.perf_counter()
        rebuild_index()
        print(f"index rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
        titles = list(db.session.scalars(select(Thread.title).limit(5000)))
        db.session.remove()
        rng = random.Random(11)
        client = app.test_client()
        quick, found = timed_gets(client, [f"/search/quick?q={q}" for q in typed_queries(titles, QUERIES, rng)])
        q50, q99 = percentiles(quick)
        print(f"{backend}: /search/quick ({QUERIES} typed queries): p50 {q50:.1f} ms, p99 {q99:.1f} ms, "
              f"max {max(quick):.1f} ms (target p99 <= 50 ms); {found} had results", flush=True)
        words = [q.rsplit(" ", 1)[0] for q in typed_queries(titles, PAGES, rng)]
        page, _ = timed_gets(client, [f"/search?q={w}" for w in words])
        p50, p99 = percentiles(page)
        print(f"{backend}: /search results page with facet counts ({PAGES} queries): p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms", flush=True)
    app.extensions["community.engine"].dispose()


def main() -> None:
    print(f"BENCH_POSTS={POSTS:,}; load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        if "whoosh" in BACKENDS:
            run(f"sqlite:///{tmp}/bench.db", "whoosh", tmp)
        if "postgres" in BACKENDS:
            name = f"parley_bench_header_search_{os.getpid()}"
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                run(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, "postgres", tmp)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    print(f"load average after: {os.getloadavg()} (machine shared with other work: treat figures as rough)")


if __name__ == "__main__":
    main()
