"""Drill: PostgreSQL stops and comes back while gunicorn serves signed-in readers and writers.

While it is down every request fails fast with a 503 (an HTML page for pages, JSON for JSON
clients), never a 500; once it is back requests succeed again without restarting anything, and
every reply confirmed before, during or after is in the database.
"""
from __future__ import annotations

import time

import httpx
import pytest

from .load import Tally, run_clients, timed
from .servers import wait_until

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]  # one worker, one cluster, one drill at a time

CONNECT_TIMEOUT = 5.0  # extensions.make_engine: connect_timeout and pool_timeout


def _step(site):
    def step(client, name, tally: Tally) -> None:
        thread_id = site.thread_ids[hash(name) % len(site.thread_ids)]
        if hash(name) % 3 == 0:
            body = f"drill reply {name}"
            response, error, elapsed = timed(lambda: client.reply(thread_id, body))
            tally.record(response, body, error, elapsed)
        else:
            response, error, elapsed = timed(lambda: client.http.get(f"/t/{thread_id}", follow_redirects=True))
            tally.record(response, None, error, elapsed)
        time.sleep(0.05)
    return step


def test_postgres_outage_gives_fast_503s_then_recovers_without_losing_writes(make_site, drill_postgres):
    site = make_site(users=4, threads=3)
    server = site.serve(workers=2, threads=4)
    clients = [site.client(server.url, user=i) for i in range(4)]
    probe = site.client(server.url, user=0)
    before = site.post_count()
    tally = Tally()

    import threading

    load = threading.Thread(target=run_clients, args=(clients, _step(site), 14, tally), daemon=True)
    load.start()
    time.sleep(3)
    drill_postgres.stop("fast")
    try:
        started = time.monotonic()
        page = probe.http.get("/")
        page_seconds = time.monotonic() - started
        as_json = probe.http.get("/", headers={"Accept": "application/json"})
        reply = probe.reply(site.thread_ids[0], "sent while the database is down")
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        time.sleep(4)
    finally:
        drill_postgres.start()
    load.join(timeout=60)

    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "briefly unavailable" in page.text and page.headers["Retry-After"]
    assert page_seconds < CONNECT_TIMEOUT
    assert as_json.status_code == 503
    assert as_json.json()["error"]["code"] == "database_unavailable"
    assert reply.status_code == 503 and reply.json()["error"]["status"] == 503
    assert ready.status_code == 503 and ready.json()["checks"]["database"].startswith("error")

    # Back by itself: no restart of gunicorn, the pool reconnects (pool_pre_ping).
    wait_until(lambda: probe.http.get("/").status_code == 200, timeout=30, what="site serving again")
    assert probe.reply(site.thread_ids[0], "sent after the database returned").status_code == 201

    assert tally.server_errors == tally.statuses[503], f"non-503 server errors: {tally.statuses}\n{_tracebacks(server)}"
    assert tally.statuses[503] > 0, "the load never saw the outage"
    assert max(tally.slow_failures, default=0) < CONNECT_TIMEOUT, "a failed request waited too long"
    assert not tally.errors, f"connections failed instead of answering: {tally.errors}"
    bodies = site.bodies()
    assert tally.confirmed <= bodies, f"confirmed replies lost: {sorted(tally.confirmed - bodies)[:5]}"
    assert "sent while the database is down" not in bodies
    assert site.post_count() == before + len(tally.confirmed) + 1
    assert site.counters_consistent() == []


def _tracebacks(server) -> str:
    """The unhandled-error log lines and tracebacks, so a rare 500 during the outage can be diagnosed."""
    text = server.log_text()
    # Our handler logs "unhandled error"; Flask logs "Exception on" when an error handler itself
    # failed; gunicorn logs "Error handling request" for an exception that escaped the app.
    marks = ("unhandled error", "Exception on ", "Error handling request")
    starts = [index for index in (text.find(mark) for mark in marks) if index >= 0]
    if not starts:
        return f"(none of {marks} in the gunicorn log)\n" + text[-3000:]
    return text[min(starts):min(starts) + 6000]
