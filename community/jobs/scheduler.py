"""The built-in timer for periodic jobs: digests, auto-close, SLA checks, bridge polling, webhook
retries, rollups, search upkeep.

Every process that runs a scheduler (each web process in the embedded default, each
`flask community worker` with RQ) wakes every SCHEDULER_TICK_SECONDS and, for each task that is due,
inserts a `scheduled_runs` row for (task, slot), where task is the job's registered name and
slot = now // interval. The unique key lets one process win each slot, so a task runs once per
interval however many schedulers are up; the winner enqueues it (RQ, or in this thread when inline). Cron with `flask community run-scheduled` still works,
and is what SCHEDULER=off leaves you with.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import delete

from ..extensions import db
from ..models import ScheduledRun, utcnow
from ..rows import insert_once
from . import queue
from .registry import job, resolve

log = logging.getLogger(__name__)

HOUR = 3600
KEEP_RUNS = timedelta(days=7)


@dataclass(frozen=True)
class PeriodicTask:
    task: str  # a registered job name (registry.py): no arguments, returns how many things it did
    every_seconds: Callable[[Flask], int]


def _fixed(seconds: int) -> Callable[[Flask], int]:
    return lambda _app: seconds


# By registered name rather than by function: importing every domain here would run the jobs
# package back up over the layers it serves. tests/jobs/test_registry.py checks each name.
PERIODIC_TASKS: list[PeriodicTask] = [
    PeriodicTask("notifications.send_daily_digests", _fixed(HOUR)),
    PeriodicTask("lifecycle.auto_close_solved", _fixed(HOUR)),
    PeriodicTask("lifecycle.send_accept_reminders", _fixed(HOUR)),
    PeriodicTask("bridge.scheduled_poll", lambda app: app.config["BRIDGE_POLL_SECONDS"]),
    PeriodicTask("bridge.purge_deleted", _fixed(HOUR)),
    PeriodicTask("bridge.outbox.process_due", _fixed(60)),
    PeriodicTask("metrics.csat.offer_recent", _fixed(15 * 60)),
    PeriodicTask("metrics.sla.check_breaches", _fixed(5 * 60)),
    PeriodicTask("metrics.rollup.refresh", _fixed(15 * 60)),
    PeriodicTask("webhooks.retry_due", _fixed(60)),
    PeriodicTask("search.scheduled_maintenance", _fixed(HOUR)),
    PeriodicTask("scheduler.prune_runs", _fixed(HOUR)),
    PeriodicTask("accounts.prune_revoked_logins", _fixed(HOUR)),
    PeriodicTask("identity.prune_logins", _fixed(HOUR)),
    PeriodicTask("attachments.remove_orphans", _fixed(HOUR)),
]


def claim_due(app: Flask, now: float | None = None, tasks: list[PeriodicTask] | None = None) -> list[int]:
    """Claim every task whose current slot nobody has claimed yet; the ids of this process's claims."""
    now = time.time() if now is None else now
    claimed = []
    for periodic in PERIODIC_TASKS if tasks is None else tasks:
        interval = max(1, int(periodic.every_seconds(app)))
        run = ScheduledRun(task=periodic.task, slot=int(now // interval))
        if insert_once(run):
            claimed.append(run.id)
    return claimed


def tick(app: Flask, now: float | None = None, tasks: list[PeriodicTask] | None = None) -> int:
    """One wake-up: claim what is due and enqueue it. Returns how many runs this process claimed."""
    with app.app_context():
        claimed = claim_due(app, now, tasks)
        for run_id in claimed:
            queue.enqueue(run_claimed, run_id)
        return len(claimed)


@job("scheduler.run_claimed")
def run_claimed(run_id: int) -> None:
    """Job: run a claimed task and record the outcome. Safe twice: a finished run is left alone."""
    run = db.session.get(ScheduledRun, run_id)
    if run is None or run.finished_at is not None:
        return
    try:
        done, error = resolve(run.task)(), None
    except Exception as failure:  # recorded on the run; the next slot tries again
        db.session.rollback()
        log.exception("scheduled task %s failed", run.task)
        done, error = None, f"{type(failure).__name__}: {failure}"[:500]
        run = db.session.get(ScheduledRun, run_id)
    run.finished_at, run.done, run.error = utcnow(), done if isinstance(done, int) else None, error
    db.session.commit()


@job("scheduler.prune_runs")
def prune_runs() -> int:
    """Scheduled: forget runs older than a week (about 3,000 rows a day otherwise)."""
    result = db.session.execute(delete(ScheduledRun).where(ScheduledRun.claimed_at < utcnow() - KEEP_RUNS))
    db.session.commit()
    return result.rowcount


# --- the timer thread ----------------------------------------------------------------------------


class Scheduler:
    def __init__(self, app: Flask) -> None:
        self.app, self.pid = app, os.getpid()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="parley-scheduler", daemon=True)

    def start(self) -> "Scheduler":
        self.thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        self.thread.join(timeout)

    def _loop(self) -> None:
        every = max(0.05, float(self.app.config["SCHEDULER_TICK_SECONDS"]))
        while not self.stopped.is_set():
            try:
                tick(self.app)
            except Exception:  # a database outage must not end the timer; the next tick retries
                log.exception("scheduler tick failed")
            self.stopped.wait(every)


_started: dict[int, Scheduler] = {}  # app id -> this process's scheduler
_start_lock = threading.Lock()


def _running_here(app: Flask) -> Scheduler | None:
    running = _started.get(id(app))
    return running if running is not None and running.pid == os.getpid() else None


def start_in_process(app: Flask) -> Scheduler:
    """This process's scheduler for `app`, started once (a forked child starts its own)."""
    with _start_lock:
        running = _running_here(app)
        if running is None:
            running = _started[id(app)] = Scheduler(app).start()
        return running


def stop_in_process(app: Flask) -> None:
    with _start_lock:
        running = _started.pop(id(app), None)
    if running is not None:
        running.stop()


def runs_in(app: Flask, where: str) -> bool:
    """Whether the scheduler belongs in the web processes ("web") or the RQ workers ("worker")."""
    setting = app.config["SCHEDULER"]
    if setting == "auto":
        if app.testing:
            return False
        setting = "worker" if app.config["JOB_QUEUE"] == "rq" else "web"
    return setting == where


def start_on_first_request() -> None:
    """before_request where the scheduler runs in the web processes (create_app adds it)."""
    app = current_app._get_current_object()
    if _running_here(app) is None:
        start_in_process(app)
