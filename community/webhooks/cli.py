"""`flask community webhooks-retry`: queue webhook deliveries whose retry time has come.

Run it from cron every minute (run-scheduled also calls it, hourly is too coarse for back-off
measured in minutes). It is safe to run as often as you like: each delivery is claimed once.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import community_cli


@community_cli.command("webhooks-retry")
@with_appcontext
def webhooks_retry() -> None:
    """Queue due webhook retries (and free deliveries a crashed worker held)."""
    from . import delivery as webhooks

    click.echo(f"queued {webhooks.retry_due()} webhook deliveries")
