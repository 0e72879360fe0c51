"""Periodic jobs, run together by `flask community run-scheduled` (cron or a systemd timer, hourly).

Each job is safe to run twice and late; add new periodic work to PERIODIC_JOBS.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from .queue import resolve

log = logging.getLogger(__name__)

PERIODIC_JOBS = [
    "community.services.lifecycle:auto_close_solved",
    "community.services.lifecycle:send_accept_reminders",
]


def run_periodic_jobs(app: Flask) -> dict[str, Any]:
    """Run every periodic job once, each in its own app context (own session); one failing job
    does not stop the others. Returns each job's result, or the error it raised."""
    results: dict[str, Any] = {}
    for task in PERIODIC_JOBS:
        with app.app_context():
            try:
                results[task] = resolve(task)()
            except Exception as error:  # noqa: BLE001 (logged and reported; the next job still runs)
                log.exception("periodic job %s failed", task)
                results[task] = error
    return results
