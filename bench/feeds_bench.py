"""Feeds, sitemap and webhook benchmark (`make bench-feeds`): figures printed, never asserted.

- /sitemap.xml, /latest.atom and /c/<slug>/solved.atom on SQLite at BENCH_THREADS public-ish
  threads (default 100,000, 3 posts each, bulk-seeded): median and worst of BENCH_REPEAT requests
  through the test client, and the SQL statements each runs (constant, whatever the size).
- Webhook deliveries per second to a real HTTP receiver on 127.0.0.1 (BENCH_EVENTS events, one
  endpoint, inline queue: emit → sign → POST → record, one after another).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import Category, WebhookEndpoint  # noqa: E402
from community.webhooks import delivery as webhooks  # noqa: E402
from community.seed.bulk import SeedSize, bulk_seed  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", 100_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
EVENTS = int(os.environ.get("BENCH_EVENTS", 300))


def timed_get(client, path: str) -> tuple[float, float, int, int]:
    response = client.get(path)  # warm per-process caches
    if response.status_code == 404:  # /sitemap-1.xml exists only past 50,000 threads
        return 0.0, 0.0, 0, 404
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
    assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times), len(response.data), response.status_code


def count_statements(client, path: str) -> int:
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return counter["n"]


def bench_pages(app) -> None:
    client = app.test_client()
    slug = db.session.scalar(select(Category.slug).where(Category.visibility == "public").order_by(Category.thread_count.desc()))
    for path in ("/sitemap.xml", "/sitemap-1.xml", "/latest.atom", f"/c/{slug}/solved.atom"):
        median, worst, size, status = timed_get(client, path)
        if status == 404:
            continue
        statements = count_statements(client, path)
        print(f"{path:40s} median {median * 1000:8.1f} ms  worst {worst * 1000:8.1f} ms  "
              f"{size / 1024:8.0f} KiB  {statements} SQL statements", flush=True)


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def bench_webhooks(app) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    db.session.add(WebhookEndpoint(url=f"http://127.0.0.1:{server.server_port}/", secret="bench", events=["sla.breached"]))
    db.session.commit()
    started = time.perf_counter()
    for n in range(EVENTS):
        webhooks.emit("sla.breached", {"n": n})
    seconds = time.perf_counter() - started
    server.shutdown()
    print(f"webhook deliveries (emit+sign+POST+record, sequential): {EVENTS / seconds:8.0f} /s "
          f"({seconds * 1000 / EVENTS:.1f} ms each)", flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": f"{tmp}/index", "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
            "SEED_DEMO": False, "JOBS_RUN_IMMEDIATELY": True, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True,
        })
        with app.app_context():
            migrate.upgrade(db.engine)
            size = SeedSize(posts=THREADS * 3, threads=THREADS, categories=30, users=max(100, THREADS // 2))
            print(f"seeding {size} ...", flush=True)
            print(bulk_seed(db.engine, size).summary(), flush=True)
            bench_pages(app)
            bench_webhooks(app)
    print("(machine shared with other work while measured: treat figures as rough)")


if __name__ == "__main__":
    main()
