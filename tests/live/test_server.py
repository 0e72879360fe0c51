"""parley-live (community/live/server.py) against the real Redis: it streams what the app's
RedisBroker publishes, to the channels of a valid token only, and replays after Last-Event-ID."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest

from community.live import tokens
from community.live.events import Event
from community.live.redis_broker import RedisBroker
from tests.conftest import free_port
from tests.drills.servers import PROJECT_ROOT, wait_until

SECRET = "server-test-secret"


@pytest.fixture
def parley_live(redis_url, tmp_path):
    key = f"test:live:{uuid.uuid4().hex}"
    port = free_port()
    env = {**os.environ, "COMMUNITY_REDIS_URL": redis_url, "COMMUNITY_SECRET_KEY": SECRET,
           "COMMUNITY_LIVE_STREAM_KEY": key, "COMMUNITY_INSTANCE_PATH": str(tmp_path / "instance")}
    process = subprocess.Popen([sys.executable, "-m", "community.live.server", "--bind", f"127.0.0.1:{port}"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"

    def up():
        try:
            return httpx.get(url + "/live/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    broker = RedisBroker(redis_url, key, 100)
    try:
        wait_until(up, timeout=20, what="parley-live up")
        yield url, broker
    finally:
        process.terminate()
        process.wait(10)
        broker.redis.delete(key)


def _read(url: str, token: str, count: int, headers=None, publish=None) -> list[dict]:
    import json

    frames = []
    with httpx.stream("GET", f"{url}/live/stream?token={token}", headers=headers or {}, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        if publish:
            threading.Timer(0.3, publish).start()
        for line in response.iter_lines():
            if line.startswith("data: "):
                frames.append(json.loads(line[6:]))
                if len(frames) == count:
                    return frames
    return frames


def test_it_streams_only_the_tokens_channels(parley_live):
    url, broker = parley_live
    token = tokens.sign(SECRET, ["thread:1", "user:7"])

    def publish():
        broker.publish([Event("thread:2", "reply", 2, 20), Event("user:8", "bell"), Event("thread:1", "reply", 1, 10),
                        Event("user:7", "bell")])

    frames = _read(url, token, 2, publish=publish)
    assert [(f["channel"], f["kind"]) for f in frames] == [("thread:1", "reply"), ("user:7", "bell")]


def test_last_event_id_replays_what_was_missed_once(parley_live):
    url, broker = parley_live
    token = tokens.sign(SECRET, ["thread:1"])
    broker.publish([Event("thread:1", "reply", 1, 1)])
    seen = broker.latest_id()
    broker.publish([Event("thread:1", "reply", 1, n) for n in (2, 3)])  # while the reader was away

    def publish():
        broker.publish([Event("thread:1", "reply", 1, 4)])

    frames = _read(url, token, 3, headers={"Last-Event-ID": seen}, publish=publish)
    assert [f["post"] for f in frames] == [2, 3, 4]


def test_a_bad_token_or_id_is_refused_before_any_stream(parley_live):
    url, _broker = parley_live
    assert httpx.get(f"{url}/live/stream?token=forged").status_code == 403
    expired = tokens.sign("another-secret", ["thread:1"])
    assert httpx.get(f"{url}/live/stream?token={expired}").status_code == 403
    good = tokens.sign(SECRET, ["thread:1"])
    response = httpx.get(f"{url}/live/stream?token={good}", headers={"Last-Event-ID": "<script>"})
    assert response.status_code == 400


def test_subscribers_are_counted_while_connected(parley_live):
    url, _broker = parley_live
    token = tokens.sign(SECRET, ["thread:1"])
    with httpx.stream("GET", f"{url}/live/stream?token={token}", timeout=10):
        wait_until(lambda: httpx.get(f"{url}/live/health").json()["subscribers"] == 1, timeout=5, what="counted")
    wait_until(lambda: httpx.get(f"{url}/live/health").json()["subscribers"] == 0, timeout=5, what="forgotten")
    time.sleep(0)
