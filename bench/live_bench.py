"""Live fan-out benchmark (make bench-live): BENCH_LIVE_SUBSCRIBERS (500) subscribers on one thread in
the scale-out shape (gunicorn + Redis + parley-live behind nginx, deploy/nginx-parley.conf), plus
normal page traffic (BENCH_LIVE_READERS clients reading the thread page and the home page), while
BENCH_LIVE_REPLIES replies are posted through nginx.

Prints: how many (subscriber, reply) pairs arrived and within 2 s, fan-out latency p50/p99/max
(arrival minus the XADD time in the event id: Redis -> parley-live -> nginx -> subscriber), the page
traffic's req/s and p50/p99, and gunicorn's threads in use: requests in flight counted by
pre_request/post_request hooks in each worker (bench/live_fanout.py), sampled every 20 ms and kept
as each worker's peak. A subscriber held by gunicorn would be a request in flight for its whole life.
Its own PostgreSQL cluster and Redis (tests/drills/servers.py), removed afterwards. Prints only.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_fanout import LiveStack, busy_threads, busy_threads_config, fanout  # noqa: E402
from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.drills.load import SiteClient  # noqa: E402
from tests.drills.servers import Gunicorn, PostgresCluster, RedisServer  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_LIVE_SUBSCRIBERS", 500))
REPLIES = int(os.environ.get("BENCH_LIVE_REPLIES", 10))
READERS = int(os.environ.get("BENCH_LIVE_READERS", 8))
WORKERS = int(os.environ.get("BENCH_LIVE_WORKERS", 2))
THREADS = int(os.environ.get("BENCH_LIVE_THREADS", 4))
SECRET = "bench-live-secret"


def seed(url: str, instance: Path) -> tuple[str, int]:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET,
                      "SEARCH_BACKEND": "postgres", "PASSWORD_HASH_FAST": True, "SEED_DEMO": False,
                      "JOBS_RUN_IMMEDIATELY": True, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        migrate.upgrade(db.engine)
        writer = factories.make_user()
        thread = factories.make_thread(author=factories.make_user(), title="Live fan-out bench thread")
        email, thread_id = writer.email, thread.id
        db.session.remove()
    app.extensions["community.engine"].dispose()
    return email, thread_id


class PageTraffic:
    """READERS clients reading pages through nginx until stopped; latencies of each request."""

    def __init__(self, base: str, paths: list[str]) -> None:
        self.base, self.paths, self.latencies, self.errors = base, paths, [], 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._read, args=(i,), daemon=True) for i in range(READERS)]

    def _read(self, index: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10, follow_redirects=True) as client:
            n = index
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    ok = client.get(self.paths[n % len(self.paths)]).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.monotonic() - started)
                self.errors += not ok
                n += 1

    def __enter__(self):
        self.started = time.monotonic()
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)
        self.seconds = time.monotonic() - self.started


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="parley-bench-live-"))
    cluster, redis_server = PostgresCluster(), RedisServer()
    cluster.start()
    redis_server.start()
    stack = server = None
    try:
        url = cluster.create_database("bench_live")
        email, thread_id = seed(url, work / "instance")
        env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
        env.update({
            "COMMUNITY_DATABASE_URL": url, "COMMUNITY_INSTANCE_PATH": str(work / "instance"),
            "COMMUNITY_SECRET_KEY": SECRET, "COMMUNITY_SEARCH_BACKEND": "postgres", "COMMUNITY_SEED_DEMO": "false",
            "COMMUNITY_LOG_LEVEL": "WARNING", "COMMUNITY_SCHEDULER": "off", "COMMUNITY_REDIS_URL": redis_server.url,
            "COMMUNITY_JOB_QUEUE": "inline", "COMMUNITY_PROXY_FIX_HOPS": "1",
            "COMMUNITY_RATELIMIT_LIVE": "1000000 per minute", "COMMUNITY_RATELIMIT_POSTING": "100000 per minute",
            "COMMUNITY_RATELIMIT_SIGNIN": "100000 per minute", "COMMUNITY_SPAM_CHECKS_ENABLED": "false",
        })
        busy = work / "busy"
        busy.mkdir()
        server = Gunicorn(env, workers=WORKERS, threads=THREADS,
                          extra_args=["--config", str(busy_threads_config(busy))]).start()
        stack = LiveStack(env, server.port)
        token = httpx.get(f"{stack.url}/live/token?thread={thread_id}").json()["token"]
        writer = SiteClient(stack.url)
        writer.sign_in(email, factories.DEFAULT_PASSWORD)
        writer.load_csrf(f"/t/{thread_id}")
        samples: list[int] = []
        connected: list[int] = []

        def sample(stop: threading.Event) -> None:
            while not stop.is_set():
                samples.append(busy_threads(busy)[0])
                time.sleep(0.02)

        idle: list[int] = []

        def post_replies() -> list[int]:
            connected.append(stack.subscribers())
            for _ in range(50):  # every subscriber connected, no page traffic yet: 1 s of samples
                idle.append(busy_threads(busy)[0])
                time.sleep(0.02)
            stop = threading.Event()
            sampler = threading.Thread(target=sample, args=(stop,), daemon=True)
            sampler.start()
            ids = []
            with PageTraffic(stack.url, [f"/t/{thread_id}", "/", "/latest"]) as traffic:
                time.sleep(1)
                for n in range(REPLIES):
                    answer = writer.reply(thread_id, f"Bench reply number {n}, live.")
                    ids.append(int(answer.json()["url"].rsplit("/", 1)[-1]))
                    time.sleep(0.5)
                time.sleep(2.5)
            stop.set()
            sampler.join()
            pages.append(traffic)
            connected.append(stack.subscribers())
            return ids

        pages: list[PageTraffic] = []
        result = fanout(f"{stack.url}/live/stream?token={token}", SUBSCRIBERS, post_replies, settle=5)
        traffic = pages[0]
        _now, peak = busy_threads(busy)
        latencies = sorted(traffic.latencies)
        print(f"live fan-out, scale-out shape: gunicorn {WORKERS} workers x {THREADS} threads + Redis + "
              f"parley-live behind nginx; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        print(f"subscribers connected: {result.connected} of {SUBSCRIBERS} (parley-live counted {connected[0]} "
              f"before the replies, {connected[-1]} after)")
        print(f"replies: {len(result.posts)}; delivered {result.delivered()} of {result.expected()} "
              f"(subscriber, reply) pairs, {result.within(2.0)} within 2 s")
        print(f"fan-out latency (XADD -> subscriber): p50 {result.percentile(50) * 1000:.1f} ms, "
              f"p99 {result.percentile(99) * 1000:.1f} ms, max {max(result.values(), default=0) * 1000:.1f} ms")
        print(f"page traffic meanwhile: {len(latencies)} requests in {traffic.seconds:.1f} s "
              f"({len(latencies) / traffic.seconds:.0f} req/s), errors {traffic.errors}, "
              f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1000:.1f} ms")
        print(f"gunicorn threads in use with all {result.connected} subscribers connected and no page traffic: "
              f"most at one sample {max(idle, default=0)} of {WORKERS * THREADS} ({len(idle)} samples over 1 s)")
        print(f"gunicorn threads in use during page traffic and replies (requests in flight, pre/post_request hooks): most at one sample "
              f"{max(samples, default=0)} of {WORKERS * THREADS}, median {statistics.median(samples) if samples else 0}, "
              f"peak in one worker {peak} of {THREADS}; samples {len(samples)} at 20 ms")
    finally:
        if stack:
            stack.close()
        if server:
            server.stop()
        redis_server.close()
        cluster.close()


if __name__ == "__main__":
    main()
