"""`flask community ...` commands. Each module adds its commands to the group."""
from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

community_cli = AppGroup("community", help="Parley community administration.")


def register_cli(app: Flask) -> None:
    from . import accounts, bench, content, database, worker  # noqa: F401  (modules attach their commands)
    from . import search  # noqa: F401
    from . import backup  # noqa: F401  (attaches `flask community backup` and `restore`)
    from . import scheduled  # noqa: F401  (attaches `flask community run-scheduled`)
    from . import bridge_fake  # noqa: F401  (attaches `flask bridge fake-x`)
    from . import bridge_demo  # noqa: F401  (attaches `flask bridge demo`)
    from . import bridge_classify  # noqa: F401  (attaches train, classifiers, use, classify)
    from . import bridge_ingest  # noqa: F401  (attaches poll, run, import, export-labels, purge-deleted)
    from . import bridge_outbox  # noqa: F401  (attaches `flask bridge outbox`)
    from . import webhooks  # noqa: F401  (attaches `flask community webhooks-retry`)

    from .bridge import bridge_cli

    if "community" not in app.cli.commands:
        app.cli.add_command(community_cli)
    if "bridge" not in app.cli.commands:
        app.cli.add_command(bridge_cli)
