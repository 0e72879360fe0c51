"""Drill: live updates in the scale-out shape (gunicorn + Redis + parley-live behind nginx, as
deploy/nginx-parley.conf documents it). Subscribers on one thread, replies posted through nginx:
every subscriber receives every reply, and gunicorn's threads served only the page requests (no
worker ever had more requests in flight than its threads, while every subscriber stayed connected).
Timing figures are `make bench-live`'s (bench/live_bench.py); this asserts delivery only."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.live_fanout import NGINX, LiveStack, busy_threads, busy_threads_config, fanout

from ..conftest import require_service
from .servers import Gunicorn

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]

SUBSCRIBERS = 60
THREADS = 2


def test_every_subscriber_gets_every_reply_and_no_gunicorn_thread_holds_one(make_site, drill_redis, tmp_path):
    require_service(Path(NGINX).exists(), "nginx (make nginx)")
    site = make_site(users=2, threads=1)
    live_env = {"COMMUNITY_REDIS_URL": drill_redis.url, "COMMUNITY_JOB_QUEUE": "inline",
                "COMMUNITY_PROXY_FIX_HOPS": "1", "COMMUNITY_RATELIMIT_LIVE": "100000 per minute"}
    busy = tmp_path / "busy"
    busy.mkdir()
    # Site.serve's gunicorn, with the hooks that count requests in flight (a later --config wins).
    server = Gunicorn({**site.env, **live_env}, workers=1, threads=THREADS,
                      extra_args=["--config", str(busy_threads_config(busy))]).start()
    stack = LiveStack({**site.env, **live_env}, server.port)
    try:
        thread_id = site.thread_ids[0]
        token = httpx.get(f"{stack.url}/live/token?thread={thread_id}").json()
        assert token["channels"] == [f"thread:{thread_id}"]
        # Straight at gunicorn the stream is refused at once: no thread waits on it.
        assert httpx.get(f"{server.url}/live/stream?token={token['token']}", timeout=5).status_code == 503
        writer = site.client(stack.url)

        def post_replies():
            assert stack.subscribers() == SUBSCRIBERS
            ids = []
            for n in range(3):
                answer = writer.reply(thread_id, f"Live drill reply {n}")
                assert answer.status_code == 201, answer.text[:300]
                ids.append(int(answer.json()["url"].rsplit("/", 1)[-1].split("#")[0].removeprefix("post-")))
            for _ in range(20):  # page traffic while every subscriber is connected
                assert httpx.get(f"{stack.url}/t/{thread_id}", follow_redirects=True, timeout=10).status_code == 200
            return ids

        result = fanout(f"{stack.url}/live/stream?token={token['token']}", SUBSCRIBERS, post_replies, settle=10)
        assert result.connected == SUBSCRIBERS
        assert result.delivered() == result.expected(), f"{result.delivered()} of {result.expected()} delivered"
        _now, peak = busy_threads(busy)
        assert 1 <= peak <= THREADS  # gunicorn served the pages; the subscribers were never its requests
    finally:
        stack.close()
        server.stop()
