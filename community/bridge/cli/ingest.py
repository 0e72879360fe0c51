"""`flask bridge poll | run | import | export-labels | purge-deleted`: bringing posts in from X."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ...errors import ServiceError
from . import bridge_cli

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _echo_counts(source: str, counts) -> None:
    click.echo(f"{source}: {counts.summary()}")


@bridge_cli.command("poll")
@with_appcontext
def poll() -> None:
    """Poll X once: the brand's mentions and the keyword search."""
    from ..ingest import poll_once

    try:
        results = poll_once()
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    if not results:
        click.echo("skipped: the daily read budget is spent")
    for source, counts in results.items():
        _echo_counts(source, counts)


@bridge_cli.command("run")
@click.option("--every", type=int, default=None, help="Seconds between polls (default BRIDGE_POLL_SECONDS).")
@with_appcontext
def run(every: int | None) -> None:
    """Poll X in a loop until Ctrl-C. With the RQ job queue, each poll is enqueued for a worker."""
    from ...jobs.queue import enqueue
    from ..ingest import poll_configured, poll_once, scheduled_poll
    from ..outbox import process_due

    if not poll_configured():
        raise click.ClickException("Set COMMUNITY_X_BEARER_TOKEN and COMMUNITY_X_BRAND_USER_ID to poll X.")
    seconds = every or int(current_app.config["BRIDGE_POLL_SECONDS"])
    queued = current_app.config.get("JOB_QUEUE") == "rq"
    click.echo(f"polling every {seconds}s{' via the job queue' if queued else ''}; Ctrl-C stops")
    try:
        while True:
            if queued:
                enqueue(scheduled_poll)
            else:
                for source, counts in poll_once().items():
                    _echo_counts(source, counts)
            # Outbound posts waiting out a rate limit or a backoff, and interrupted sends, go with each poll.
            enqueue(process_due)
            time.sleep(seconds)
    except KeyboardInterrupt:
        click.echo("stopped")


@bridge_cli.command("import")
@click.argument("export_file", type=_FILE)
@with_appcontext
def import_posts(export_file: Path) -> None:
    """Import exported posts (TWCS CSV, or JSON lines with the same fields); inbound posts become cases."""
    from ..ingest import import_export

    try:
        counts = import_export(export_file)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    _echo_counts("import", counts)


@bridge_cli.command("export-labels")
@click.argument("out_file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_labels(out_file: Path) -> None:
    """Write staff-labelled cases as CSV (text,label) for `flask bridge train`."""
    from ..triage import export_labels as export

    written = export(out_file)
    click.echo(f"wrote {written} labelled posts to {out_file}")


@bridge_cli.command("purge-deleted")
@with_appcontext
def purge_deleted() -> None:
    """Remove the text and raw JSON of posts deleted on X (also part of run-scheduled)."""
    from ..ingest import purge_deleted as purge

    click.echo(f"purged {purge()} posts")
