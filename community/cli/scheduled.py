"""`flask community run-scheduled`: the periodic jobs, for cron or a systemd timer (say hourly).

Each task is safe to run as often as the timer fires: it works out what is due and does only that
(the daily digest sends at most one email per user and day).
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import community_cli

# "module:function" tasks taking no arguments and returning how many things they did.
SCHEDULED_TASKS: list[str] = [
    "community.services.notifications:send_daily_digests",
    "community.services.lifecycle:auto_close_solved",
    "community.services.lifecycle:send_accept_reminders",
    "community.services.bridge_ingest:scheduled_poll",
    "community.services.bridge_ingest:purge_deleted",
    "community.services.bridge_outbox:process_due",
    "community.services.csat:offer_recent",
    "community.services.sla:check_breaches",
    "community.services.metrics_rollup:refresh",
    "community.services.webhooks:retry_due",
    "community.services.search:scheduled_maintenance",
]


@community_cli.command("run-scheduled")
@with_appcontext
def run_scheduled() -> None:
    """Run every scheduled task once (daily digests, ...)."""
    from ..jobs.queue import resolve

    for task in SCHEDULED_TASKS:
        done = resolve(task)()
        click.echo(f"{task}: {done}")
