"""`flask community ...` commands. Each module adds its commands to the group."""
from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

community_cli = AppGroup("community", help="Parley community administration.")


def register_cli(app: Flask) -> None:
    from . import accounts, content, database, worker
    from ..seed import cli as bench  # noqa: F401  (modules attach their commands)
    from ..search import cli as search  # noqa: F401
    from . import backup  # noqa: F401  (attaches `flask community backup` and `restore`)
    from . import scheduled  # noqa: F401  (attaches `flask community run-scheduled`)
    from ..bridge.cli import fake_x_server as bridge_fake  # noqa: F401  (attaches `flask bridge fake-x`)
    from ..bridge.cli import demo as bridge_demo  # noqa: F401  (attaches `flask bridge demo`)
    from ..bridge.cli import classify as bridge_classify  # noqa: F401  (attaches train, classifiers, use, classify)
    from ..bridge.cli import ingest as bridge_ingest  # noqa: F401  (attaches poll, run, import, export-labels, purge-deleted)
    from ..bridge.cli import outbox as bridge_outbox  # noqa: F401  (attaches `flask bridge outbox`)
    from ..webhooks import cli as webhooks  # noqa: F401  (attaches `flask community webhooks-retry`)

    from ..bridge.cli import bridge_cli

    if "community" not in app.cli.commands:
        app.cli.add_command(community_cli)
    if "bridge" not in app.cli.commands:
        app.cli.add_command(bridge_cli)
