"""Drill: `kill -9` a gunicorn worker while members post replies.

Each reply is all there (post, thread counters, search outbox row: one transaction) or not there
at all; a client whose request died with the worker got a connection error it can retry (and the
retry works); gunicorn replaces the worker, and search catches up with what was committed.
"""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from .load import Tally, run_clients, timed
from .servers import wait_until

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]  # one worker, one cluster, one drill at a time


def test_killed_worker_leaves_whole_replies_and_search_catches_up(make_site):
    site = make_site(users=8, threads=4)
    server = site.serve(workers=2, threads=4)
    clients = [site.client(server.url, user=i) for i in range(8)]
    before = site.post_count()
    attempted: set[str] = set()
    retried: list[int] = []
    tally = Tally()

    def step(client, name, tally: Tally) -> None:
        body = f"kill drill reply {name}"
        attempted.add(body)
        thread_id = site.thread_ids[hash(name) % len(site.thread_ids)]
        response, error, elapsed = timed(lambda: client.reply(thread_id, body))
        tally.record(response, body, error, elapsed)
        if error is not None:  # the user is told to retry: the same client sends it again
            again = f"{body} (retry)"
            attempted.add(again)
            response, error, elapsed = timed(lambda: client.reply(thread_id, again))
            tally.record(response, again, error, elapsed)
            retried.append(response.status_code if response is not None else 0)

    load = threading.Thread(target=run_clients, args=(clients, step, 12, tally), daemon=True)
    load.start()
    killed = []
    for _ in range(3):
        time.sleep(3)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
    load.join(timeout=90)

    assert tally.errors, "no request was cut off: the kills missed every in-flight reply"
    assert tally.server_errors == 0, f"5xx answers: {tally.statuses}"
    assert retried and all(code == 201 for code in retried if code), retried
    wait_until(lambda: len(set(server.worker_pids()) - set(killed)) == 2, timeout=30, what="workers replaced")

    bodies = site.bodies()
    new_bodies = {body for body in bodies if body.startswith("kill drill reply")}
    assert tally.confirmed <= new_bodies, "a reply the client was told about is missing"
    assert new_bodies <= attempted
    assert site.post_count() == before + len(new_bodies)
    assert site.counters_consistent() == [], "a reply is in the database without its counters"

    def search_caught_up() -> bool:
        result = site.cli("search", "check")
        return result.exit_code == 0 and "missing: 0" in result.output and "stale: 0" in result.output

    wait_until(search_caught_up, timeout=60, interval=2, what="search index caught up")
