"""`make bench-metrics`: how fast the 90-day service dashboard renders at production size.

For each database: a fresh database, migrate, bulk seed (1M posts / 100k threads at scale 1.0),
give half the answered threads a first staff reply, SLA targets and a few thousand breaches and
CSAT answers, then time the metrics job (a full rollup build, then an incremental run after 100
threads changed) and the dashboard: GET /staff/dashboard for the last 90 days as an admin
(in-process, rendered HTML), its JSON, and a CSV export. Figures are wall-clock medians of
BENCH_METRICS_REPEAT runs after one warm-up.

Environment: BENCH_SCALE (1.0), BENCH_BACKENDS ("sqlite,postgres"), BENCH_METRICS_REPEAT (5),
BENCH_METRICS_SENTIMENT (community posts labelled by the rollup, 50,000), BENCH_PG_ADMIN_URL,
BENCH_KEEP=1 keeps the databases.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.seed.bulk import SeedSize, bulk_seed  # noqa: E402

OUT = ROOT / "bench_out"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DB = "parley_bench_metrics"
TARGET_SECONDS = 1.0
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
BACKENDS = tuple(os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(","))
REPEAT = int(os.environ.get("BENCH_METRICS_REPEAT", "5"))
SENTIMENT = int(os.environ.get("BENCH_METRICS_SENTIMENT", "50000"))
KEEP = os.environ.get("BENCH_KEEP") == "1"


def seed_size() -> SeedSize:
    return SeedSize(posts=max(2_000, int(1_000_000 * SCALE)), threads=max(100, int(100_000 * SCALE)),
                    categories=30, users=max(100, int(50_000 * SCALE)))


def database(backend: str):
    from bench.run_bench import Options, _database

    return _database(backend, Options(), sqlite_name="metrics_bench.db", pg_name=PG_DB)


def timed(func) -> tuple[float, object]:
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def add_service_history() -> None:
    """Staff replies, SLA targets, breaches and CSAT answers on top of the bulk seed, in SQL."""
    from community.models import CsatSurvey, SlaBreach, SlaTarget, Thread

    staff_ids = list(db.session.scalars(text("SELECT id FROM users WHERE role IN ('staff', 'moderator', 'admin')")))
    db.session.execute(text("UPDATE threads SET first_staff_reply_at = first_reply_at WHERE first_reply_at IS NOT NULL "
                            "AND id % 2 = 0"))
    for category_id in db.session.scalars(text("SELECT id FROM categories")):
        db.session.add(SlaTarget(category_id=category_id, first_response_minutes=240, resolution_minutes=2880))
    solved = db.session.execute(
        select(Thread.id, Thread.author_id, Thread.category_id, Thread.created_at, Thread.solved_at)
        .where(Thread.solved_at.is_not(None)).order_by(Thread.id.desc()).limit(5000)).all()
    db.session.add_all(CsatSurvey(thread_id=row.id, user_id=row.author_id, requested_at=row.solved_at,
                                  score=1 + row.id % 5, answered_at=row.solved_at) for row in solved)
    db.session.add_all(SlaBreach(thread_id=row.id, category_id=row.category_id, kind="resolution",
                                 due_at=row.created_at, breached_at=row.created_at) for row in solved[::3])
    if staff_ids:
        db.session.execute(text(f"UPDATE threads SET assigned_to_id = {staff_ids[0]} WHERE id % 7 = 0"))
    db.session.commit()


def admin_client(app):
    from community.models import Role, User

    admin = db.session.scalar(select(User).where(User.role == Role.admin).limit(1))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = admin.get_id(), True
    return client


def measure(client, path: str, query: dict, headers: dict | None = None) -> tuple[float, float, int]:
    client.get(path, query_string=query, headers=headers)  # warm-up
    runs = []
    for _ in range(REPEAT):
        seconds, response = timed(lambda: client.get(path, query_string=query, headers=headers))
        runs.append(seconds)
    return statistics.median(runs), max(runs), response.status_code


def run_backend(backend: str) -> Iterator[str]:
    with database(backend) as url:
        engine = create_engine(url)
        migrate.upgrade(engine)
        seed_seconds, report = timed(lambda: bulk_seed(engine, seed_size()))
        engine.dispose()
        yield f"[{backend}] {report.summary()}"
        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench-metrics", "INSTANCE_PATH": str(OUT / "instance"),
            "SEARCH_INDEX_DIR": str(OUT / f"search_index_metrics_{backend}"), "LOG_LEVEL": "WARNING",
            "SEED_DEMO": False, "RATELIMIT_ENABLED": False, "METRICS_SENTIMENT_BATCH": SENTIMENT,
            "BUSINESS_TIMEZONE": "Europe/Berlin",
        })
        with app.app_context():
            from community.models import Thread
            from community.metrics import rollup as metrics_rollup

            add_service_history()
            facts_s, facts_n = timed(metrics_rollup.refresh_thread_facts)
            sentiment_s, sentiment_n = timed(metrics_rollup.classify_community_posts)
            bump = ("last_activity_at + interval '1 second'" if backend == "postgres"
                    else "datetime(last_activity_at, '+1 second')")
            db.session.execute(text(f"UPDATE threads SET last_activity_at = {bump} "
                                    "WHERE id IN (SELECT id FROM threads ORDER BY id DESC LIMIT 100)"))
            db.session.commit()
            incremental_s, incremental_n = timed(metrics_rollup.refresh_thread_facts)
            yield (f"[{backend}] rollup: full thread facts {facts_n:,} threads in {facts_s:.1f}s; "
                         f"sentiment {sentiment_n:,} posts in {sentiment_s:.1f}s "
                         f"({sentiment_n / max(sentiment_s, 1e-9):,.0f}/s); incremental after 100 changed threads "
                         f"{incremental_n} in {incremental_s * 1000:.0f} ms")
            today = date.today()
            query = {"start": (today - timedelta(days=89)).isoformat(), "end": today.isoformat()}
            client = admin_client(app)
            for label, path, headers in (
                ("dashboard HTML, 90 days", "/staff/dashboard", None),
                ("dashboard JSON, 90 days", "/staff/dashboard", {"Accept": "application/json"}),
                ("CSV export (agents), 90 days", "/staff/dashboard/export/agents.csv", None),
            ):
                median, worst, status = measure(client, path, query, headers)
                verdict = "OK" if median < TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
                yield (f"[{backend}] {label:32} median {median * 1000:7.0f} ms, max {worst * 1000:7.0f} ms "
                             f"over {REPEAT} runs, status {status}  {verdict}")
            threads_in_range = db.session.scalar(text(
                "SELECT count(*) FROM metrics_thread_facts WHERE created_at >= :since"), {"since": query["start"]})
            yield f"[{backend}] threads in the 90-day window: {threads_in_range:,}"
        app.extensions["community.engine"].dispose()


def main() -> int:
    OUT.mkdir(exist_ok=True)
    size = seed_size()
    print(f"metrics bench: scale {SCALE} ({size.posts:,} posts, {size.threads:,} threads), backends {','.join(BACKENDS)}, "
          f"in-process Flask test client (no HTTP server), {os.cpu_count()} cores shared with other work; "
          f"load average at start {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    failed = False
    for backend in BACKENDS:
        try:
            for line in run_backend(backend):
                print(line, flush=True)
        except Exception as error:  # one backend failing still reports the other
            import traceback

            traceback.print_exc(limit=4)
            print(f"[{backend}] FAILED: {type(error).__name__}: {str(error)[:300]}", flush=True)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
