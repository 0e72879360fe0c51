"""`flask community run-scheduled`: every periodic job once (auto-close, reminders, ...)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import community_cli


@community_cli.command("run-scheduled")
@with_appcontext
def run_scheduled() -> None:
    """Run each periodic job once. Schedule it hourly (cron: `0 * * * * flask community run-scheduled`)."""
    from ..jobs.scheduled import run_periodic_jobs

    results = run_periodic_jobs(current_app._get_current_object())
    failed = False
    for task, result in results.items():
        name = task.rpartition(":")[2]
        if isinstance(result, Exception):
            failed = True
            click.echo(f"{name}: FAILED ({result})", err=True)
        else:
            click.echo(f"{name}: {result}")
    if failed:
        raise SystemExit(1)
