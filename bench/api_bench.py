"""JSON API benchmark (`make bench-api`): figures printed, never asserted.

On SQLite at BENCH_THREADS threads (default 100,000, 3 posts each, bulk-seeded), through the test
client with a staff token: median and worst of BENCH_REPEAT requests, and SQL statements per request,
for the first page of /api/v1/threads, a page deep in the listing by cursor (keyset), the same depth
on the HTML listing by ?page= (OFFSET), a thread with its posts, and one category's listing.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, select  # noqa: E402

from community import create_app, migrate  # noqa: E402
from community.api.responses import encode_cursor  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import Category, Role, Thread, User  # noqa: E402
from community.services import api_tokens  # noqa: E402
from community.seed.bulk import SeedSize, bulk_seed  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", 100_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 7))
LIMIT = 50


def measure(client, path: str, headers: dict) -> str:
    client.get(path, headers=headers)  # warm
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append(time.perf_counter() - started)
    assert response.status_code == 200, (path, response.status_code)
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return (f"median {statistics.median(times) * 1000:8.1f} ms  worst {max(times) * 1000:8.1f} ms  "
            f"{counter['n']:3d} SQL statements")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": f"{tmp}/index", "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
            "SEED_DEMO": False, "JOBS_RUN_IMMEDIATELY": True, "PAGE_CACHE_ENABLED": False,
        })
        with app.app_context():
            migrate.upgrade(db.engine)
            size = SeedSize(posts=THREADS * 3, threads=THREADS, categories=30, users=max(100, THREADS // 2))
            print(f"seeding {size} ...", flush=True)
            print(bulk_seed(db.engine, size).summary(), flush=True)
            staff = db.session.scalar(select(User).order_by(User.id))
            staff.role = Role.staff
            db.session.commit()
            headers = {"Authorization": f"Bearer {api_tokens.create_personal_token(staff, 'bench', ['read']).secret}"}
            depth = THREADS // 2
            deep = db.session.execute(
                select(Thread.last_activity_at, Thread.id).order_by(Thread.last_activity_at.desc(), Thread.id.desc())
                .offset(depth).limit(1)
            ).one()
            thread_id = db.session.scalar(select(Thread.id).order_by(Thread.reply_count.desc()))
            category_id = db.session.scalar(select(Category.id).order_by(Category.thread_count.desc()))
            client = app.test_client()
            rows = [
                ("/api/v1/threads (first page)", f"/api/v1/threads?limit={LIMIT}"),
                (f"/api/v1/threads (cursor at {depth:,})", f"/api/v1/threads?limit={LIMIT}&cursor={encode_cursor(tuple(deep))}"),
                (f"/latest?page= (offset {depth:,}, HTML)", f"/latest?page={depth // app.config['THREADS_PER_PAGE']}"),
                ("/api/v1/threads/<id> (with posts)", f"/api/v1/threads/{thread_id}?limit={LIMIT}"),
                ("/api/v1/threads?category= (busiest)", f"/api/v1/threads?limit={LIMIT}&category={category_id}"),
            ]
            for label, path in rows:
                print(f"{label:42s} {measure(client, path, headers)}", flush=True)
    print("(machine shared with other work while measured: treat figures as rough)")


if __name__ == "__main__":
    main()
