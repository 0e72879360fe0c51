"""`flask community worker`: runs RQ jobs with the app configured from the environment."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import community_cli


@community_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty (for drills and tests).")
@with_appcontext
def worker(burst: bool) -> None:
    """Process background jobs from Redis (needs COMMUNITY_REDIS_URL), and time the periodic ones."""
    from ..jobs import scheduler
    from ..jobs.worker import run_worker

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.UsageError("COMMUNITY_REDIS_URL is not set: in the embedded default jobs run in-process.")
    if not burst and scheduler.runs_in(app, "worker"):
        scheduler.start_in_process(app)  # several workers may run one: each slot is claimed once
    run_worker(app, burst=burst)
