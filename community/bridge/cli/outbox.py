"""`flask bridge outbox`: send what is due in the X bridge outbox and reconcile interrupted sends."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import bridge_cli


@bridge_cli.command("outbox")
@with_appcontext
def outbox_command() -> None:
    """Reconcile rows stuck in sending/unknown against the brand's posts on X, then send due rows."""
    from .. import outbox as bridge_outbox

    settled = bridge_outbox.process_due()
    counts = ", ".join(f"{state} {count}" for state, count in bridge_outbox.state_counts().items())
    click.echo(f"settled {settled}; outbox now: {counts}")
