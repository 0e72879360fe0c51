"""Drill: Redis stops while the site serves, and comes back.

Documented degradation (README "Fault tolerance"): reads keep working; rate limits fall back to
per-process memory (with a logged warning) instead of failing requests; jobs that cannot reach
Redis run in-process after the response. Jobs already waiting in Redis survive the restart
(append-only file) and a worker runs them when Redis returns.
"""
from __future__ import annotations

import pytest
import redis

from ..conftest import free_port
from .servers import wait_until

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]  # one worker, one cluster, one drill at a time

QUEUE_KEYS = ("rq:queue:community-urgent", "rq:queue:community")  # search drains go to the urgent one


def waiting_jobs(queue: redis.Redis) -> int:
    return sum(queue.llen(key) for key in QUEUE_KEYS)


def test_redis_outage_keeps_reads_and_writes_and_keeps_queued_jobs(make_site, drill_redis):
    site = make_site(users=2, threads=2, REDIS_URL=drill_redis.url)
    server = site.serve(workers=2, threads=2)
    client = site.client(server.url)
    queue = redis.Redis.from_url(drill_redis.url)

    # No worker yet: the search jobs of these replies wait in Redis.
    for n in range(3):
        assert client.reply(site.thread_ids[0], f"queued before the outage {n}").status_code == 201
    waiting = waiting_jobs(queue)
    assert waiting >= 1

    drill_redis.stop()
    try:
        anonymous = client.http.__class__(base_url=server.url, timeout=10)
        for path in ("/", f"/t/{site.thread_ids[1]}", "/search?q=thread", "/healthz"):
            assert anonymous.get(path, follow_redirects=True).status_code == 200, path
            assert client.http.get(path, follow_redirects=True).status_code == 200, path
        # Writes still work; their jobs run in the web process instead of on a worker.
        for n in range(3):
            answer = client.reply(site.thread_ids[1], f"written during the outage {n}")
            assert answer.status_code == 201, answer.text[:300]
        assert anonymous.get("/readyz").status_code == 503
    finally:
        drill_redis.start()

    # At least what waited before (a request may have queued more since Redis returned).
    assert waiting_jobs(queue) >= waiting, "jobs queued before the outage were lost"
    worker = site.cli("worker", "--burst")
    assert worker.exit_code == 0, worker.output[-2000:]
    assert waiting_jobs(queue) == 0
    check = site.cli("search", "check")
    assert check.exit_code == 0 and "missing: 0" in check.output and "stale: 0" in check.output, check.output
    bodies = site.bodies()
    assert {f"written during the outage {n}" for n in range(3)} <= bodies
    wait_until(lambda: anonymous.get("/readyz").status_code == 200, timeout=15, what="ready again")
    assert "falling back to in-memory" in server.log_text() or "Redis unavailable" in server.log_text()


@pytest.mark.backends("sqlite")
def test_rate_limits_still_apply_from_memory_when_redis_is_unreachable(app, client):
    """The limiter's documented fallback, in-process: Redis dead, limits enforced, no 500."""
    from community import create_app

    dead = create_app({**app.config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                       "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0", "RATELIMIT_ENABLED": True,
                       "RATELIMIT_SIGNIN": "2 per minute", "JOB_QUEUE": "rq"})
    with dead.test_client() as browser:
        codes = [browser.post("/sign-in", data={"email": "a@example.com", "password": "x"}).status_code
                 for _ in range(4)]
    assert 500 not in codes
    assert codes[-1] == 429
