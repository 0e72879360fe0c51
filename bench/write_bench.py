"""Write throughput: replies per second under gunicorn with search indexing and notifications on,
and the index lag (commit -> searchable) at p50/p99.

Production shape: PostgreSQL (a fresh `parley_write_bench` database, bulk-seeded), the postgres
search backend, Redis with the RQ job queue and `flask community worker` processes draining the
search outbox and notification jobs. BENCH_WRITERS signed-in members (default 16) each post
replies in a loop for BENCH_DURATION seconds (default 30) through the real form (CSRF token
included) to threads everyone watches, so every reply also notifies. Each reply carries a unique
word; a poller checks search_documents every 50 ms and records when each word became searchable.
The lag is measured from the reply's HTTP response (the commit happened before it).

Environment: BENCH_SCALE (0.02 = 20,000 posts), BENCH_DURATION, BENCH_WRITERS, BENCH_RQ_WORKERS
(2), BENCH_PG_ADMIN_URL, BENCH_REDIS_URL. Rate limits and spam checks are off: they would refuse
a benchmark's bursts by design. Needs PostgreSQL and Redis; gunicorn and workers are stopped and
the database dropped in finally blocks.
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_bench import BIN, OUT, SECRET, Gunicorn, loadavg, pg_database_url, session_cookie  # noqa: E402
from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.seed.bulk import SeedSize, bulk_seed  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DB_NAME = "parley_write_bench"
SCALE = float(os.environ.get("BENCH_SCALE", "0.02"))
DURATION = int(os.environ.get("BENCH_DURATION", "30"))
WRITERS = int(os.environ.get("BENCH_WRITERS", "16"))
RQ_WORKERS = int(os.environ.get("BENCH_RQ_WORKERS", "2"))
TARGET_THREADS = 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    committed: dict[str, tuple[int, float]] = field(default_factory=dict)  # word -> (thread id, response time)
    searchable: dict[str, float] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        with self.lock:
            self.failures[why] = self.failures.get(why, 0) + 1


def database_url() -> str:
    return pg_database_url(DB_NAME)


def admin_sql(statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def settings() -> dict[str, str]:
    return {
        "DATABASE_URL": database_url(), "SECRET_KEY": SECRET, "INSTANCE_PATH": str(OUT / "instance_write"),
        "SEARCH_BACKEND": "postgres", "REDIS_URL": REDIS_URL, "JOB_QUEUE": "rq",
        "RQ_QUEUE_NAME": f"write-bench-{uuid.uuid4().hex[:8]}", "RATELIMIT_ENABLED": "0",
        "SPAM_CHECKS_ENABLED": "0", "LOG_LEVEL": "WARNING", "SEED_DEMO": "0",
    }


def prepare(app) -> tuple[list[int], list[str]]:
    """Seed, index, and pick the threads the writers reply to; every writer follows all of them."""
    from sqlalchemy import select

    from community.models import Role, Thread, User
    from community.search.upkeep import rebuild_index

    migrate.upgrade(db.engine)
    size = SeedSize(posts=max(2_000, int(1_000_000 * SCALE)), threads=max(100, int(100_000 * SCALE)),
                    categories=30, users=max(200, int(50_000 * SCALE)))
    report = bulk_seed(db.engine, size)
    print(report.summary(), flush=True)
    started = time.perf_counter()
    rebuild_index()
    print(f"search index: {time.perf_counter() - started:.1f}s", flush=True)
    threads = list(db.session.scalars(select(Thread.id).where(Thread.is_private.is_(False)).order_by(Thread.id.desc())
                                       .limit(TARGET_THREADS)))
    writers = list(db.session.scalars(select(User.id).where(User.role == Role.customer, User.email_verified_at.is_not(None))
                                       .order_by(User.id).limit(WRITERS)))
    _follow(writers, threads)
    cookies = [session_cookie(app, user_id) for user_id in writers]
    return threads, cookies


def _follow(user_ids: list[int], thread_ids: list[int]) -> None:
    """Everyone watches the target threads, so each reply notifies the other writers."""
    from community.services.notifications import follow_thread

    for user_id in user_ids:
        for thread_id in thread_ids:
            follow_thread(user_id, thread_id)
    db.session.commit()


def writer(base: str, cookie: str, threads: list[int], tally: Tally, stop: threading.Event) -> None:
    name, value = cookie.split("=", 1)
    with httpx.Client(base_url=base, timeout=30) as client:
        # Host-only like the server's Set-Cookie, so the CSRF-carrying session replaces this one.
        client.cookies.set(name, value, domain="127.0.0.1", path="/")
        token = None
        while not stop.is_set():
            thread_id = random.choice(threads)
            if token is None:
                page = client.get(f"/t/{thread_id}", follow_redirects=True)
                found = CSRF.search(page.text)
                if not found:
                    tally.fail(f"no reply form ({page.status_code})")
                    time.sleep(0.5)
                    continue
                token = found.group(1)
            word = "zq" + uuid.uuid4().hex[:12].translate(str.maketrans("0123456789", "ghijklmnop"))
            response = client.post(f"/t/{thread_id}/reply", data={"csrf_token": token, "body": f"Benchmark reply {word} here."})
            if response.status_code in (302, 303):
                with tally.lock:
                    tally.committed[word] = (thread_id, time.monotonic())
            else:
                tally.fail(f"HTTP {response.status_code}")
                token = None


def poller(tally: Tally, stop: threading.Event, done_writing: threading.Event) -> None:
    """Every 50 ms: which committed words are in search_documents yet (one query for all pending)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url())
    sql = text("""SELECT t.word FROM unnest(CAST(:words AS text[]), CAST(:threads AS bigint[])) AS t(word, thread_id)
                  JOIN search_documents d ON d.thread_id = t.thread_id WHERE strpos(d.body, t.word) > 0""")
    try:
        with engine.connect() as connection:
            while not stop.is_set():
                with tally.lock:
                    pending = [(w, t) for w, (t, _at) in tally.committed.items() if w not in tally.searchable]
                if pending:
                    rows = connection.execute(sql, {"words": [w for w, _ in pending], "threads": [t for _, t in pending]})
                    now = time.monotonic()
                    with tally.lock:
                        for (word,) in rows:
                            tally.searchable.setdefault(word, now)
                    connection.commit()
                elif done_writing.is_set():
                    return
                time.sleep(0.05)
    finally:
        engine.dispose()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def start_workers(env: dict[str, str]) -> list[subprocess.Popen]:
    processes = []
    for n in range(RQ_WORKERS):
        log = open(OUT / f"rq-worker-{n}.log", "w")
        processes.append(subprocess.Popen([str(BIN / "flask"), "--app", "wsgi:app", "community", "worker"],
                                          cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return processes


def stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    OUT.mkdir(exist_ok=True)
    admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    config = settings()
    env = {**os.environ, **{f"COMMUNITY_{k}": v for k, v in config.items()}}
    server, workers = None, []
    try:
        app = create_app(config)
        with app.app_context():
            threads, cookies = prepare(app)
            db.session.remove()
        app.extensions["community.engine"].dispose()
        workers = start_workers(env)
        server = Gunicorn("wsgi:app", {k: v for k, v in env.items() if k.startswith("COMMUNITY_")}, "write")
        server.wait_ready("/healthz")
        print(f"load average at start {loadavg()}; {WRITERS} writers, {RQ_WORKERS} RQ workers, {DURATION}s", flush=True)
        tally, stop, done_writing, stop_poll = Tally(), threading.Event(), threading.Event(), threading.Event()
        poll = threading.Thread(target=poller, args=(tally, stop_poll, done_writing))
        poll.start()
        pool = [threading.Thread(target=writer, args=(server.url, cookie, threads, tally, stop)) for cookie in cookies]
        started = time.monotonic()
        for thread in pool:
            thread.start()
        time.sleep(DURATION)
        stop.set()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - started
        done_writing.set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(tally.searchable) < len(tally.committed):
            time.sleep(0.2)
        stop_poll.set()
        poll.join()
        report(tally, elapsed)
        return 0 if tally.committed and len(tally.searchable) == len(tally.committed) else 1
    finally:
        if server is not None:
            server.stop()
        stop_all(workers)
        admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def report(tally: Tally, elapsed: float) -> None:
    lags = [tally.searchable[w] - at for w, (_t, at) in tally.committed.items() if w in tally.searchable]
    print("==== write throughput ====")
    print(f"conditions: {os.cpu_count()} cores shared with the load generator, gunicorn (gunicorn.conf.py), PostgreSQL, "
          f"Redis and {RQ_WORKERS} RQ workers; scale {SCALE}; load average now {loadavg()}")
    print(f"replies committed: {len(tally.committed)} in {elapsed:.1f}s = {len(tally.committed) / elapsed:.1f} replies/s "
          f"({WRITERS} writers); failures: {tally.failures or 'none'}")
    print(f"searchable: {len(lags)}/{len(tally.committed)}; index lag p50 {percentile(lags, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(lags, 0.99) * 1000:.0f} ms, max {max(lags, default=float('nan')) * 1000:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
