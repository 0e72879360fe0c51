"""CPU time per request of the pages run_bench.py measures, in-process, on the kept 1M database.

run_bench.py's wrk figures on a shared machine measure the neighbours too; this measures only
this process (time.process_time) while the app's WSGI callable serves each page. Every figure is
the median of batches of 10 requests after a warm-up, next to the minimum batch (the least
disturbed by other processes) and the SQL statements per request.

- signed-in home (run_bench's verified customer), page cache on: what the shared listing saves;
  once with run_bench's cookie (no CSRF token yet, so every response sets a new cookie) and once
  with the cookie a browser holds after its first response;
- every page with the page cache off: what a cache miss costs.

Needs a database a BENCH_KEEP=1 run seeded (BENCH_DATABASE_URL, default the PostgreSQL one);
only GET requests are made. BENCH_REQUESTS (default 200) per case.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from bench.request_cpu_bench import environ  # noqa: E402
from bench.run_bench import app_settings, session_cookie  # noqa: E402
from community import create_app  # noqa: E402
from community.extensions import db  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/parley_bench")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
BATCH = 10


def measure(app, path: str, cookie: str | None) -> tuple[float, float, float, str]:
    """(median batch, minimum batch) in ms of CPU per request, statements per request, status."""
    prepared = environ(path, {"Cookie": cookie} if cookie else None)
    statuses: list[str] = []

    def call() -> None:
        body = app.wsgi_app(dict(prepared), lambda status, _headers, _exc=None: statuses.append(status))
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()

    for _ in range(BATCH):
        call()
    statements = {"n": 0}

    def count(*_args) -> None:
        statements["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    batches = []
    try:
        for _ in range(max(1, REQUESTS // BATCH)):
            started = time.process_time()
            for _ in range(BATCH):
                call()
            batches.append((time.process_time() - started) / BATCH * 1e3)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(batches), min(batches), statements["n"] / (len(batches) * BATCH), statuses[-1][:3]


def browser_cookie(app, cookie: str) -> str:
    """The session cookie after a browser's first signed-in page: it then holds the CSRF token."""
    client = app.test_client()
    name, value = cookie.split("=", 1)
    client.set_cookie(name, value, domain="localhost")
    client.get("/")
    return f"{name}={client.get_cookie(name).value}"


def pages(app) -> dict[str, str]:
    from community.models import Category, Thread

    with app.app_context():
        long_thread = db.session.get(Thread, 1)
        twenty = db.session.get(Thread, 2)
        busiest = db.session.scalar(select(Category).order_by(Category.thread_count.desc()).limit(1))
    per_page = app.config["POSTS_PER_PAGE"]
    last = -(-(long_thread.reply_count + 1) // per_page)
    return {
        "home": "/",
        "category, page 1": f"/c/{busiest.slug}",
        "category, page 500": f"/c/{busiest.slug}?page=500",
        f"thread, {twenty.reply_count + 1} posts": f"/t/{twenty.id}-{twenty.slug}",
        f"1,000-post thread, page {last}": f"/t/{long_thread.id}-{long_thread.slug}?page={last}",
    }


def main() -> int:
    backend = "postgres" if DATABASE_URL.startswith("postgresql") else "sqlite"
    app = create_app(app_settings(backend, DATABASE_URL))
    with app.app_context():
        cookie = session_cookie(app, 5)  # run_bench's verified customer (first_user_id + 4)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"CPU ms per request, in-process, {backend}, {REQUESTS} requests per case; load average {load}")
    app.config["PAGE_CACHE_ENABLED"] = True
    for label, sent in (("run_bench cookie", cookie), ("browser cookie", browser_cookie(app, cookie))):
        median, least, statements, status = measure(app, "/", sent)
        print(f"  home, signed in ({label}), cache on   {median:6.2f} (min {least:5.2f})  {statements:4.1f} SQL  {status}")
    app.config["PAGE_CACHE_ENABLED"] = False
    for label, path in pages(app).items():
        median, least, statements, status = measure(app, path, None)
        print(f"  {label + ', cache off':38} {median:6.2f} (min {least:5.2f})  {statements:4.1f} SQL  {status}")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
