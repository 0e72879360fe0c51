"""`flask community run-scheduled`: every periodic job once, now (for cron with SCHEDULER=off, or by hand).

Each task is safe to run as often as the timer fires: it works out what is due and does only that
(the daily digest sends at most one email per user and day).
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import community_cli


@community_cli.command("run-scheduled")
@with_appcontext
def run_scheduled() -> None:
    """Run every scheduled task once (daily digests, ...)."""
    from ..jobs.registry import resolve
    from ..jobs.scheduler import PERIODIC_TASKS

    for periodic in PERIODIC_TASKS:
        task = resolve(periodic.task)
        # Printed as module:function, as before the registry, for scripts that read this output.
        click.echo(f"{task.__module__}:{task.__name__}: {task()}")
