"""`flask community ...` commands of the forum core. Domains add theirs from their own init_app."""
from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

community_cli = AppGroup("community", help="Parley community administration.")


def init_app(app: Flask) -> None:
    # The modules attach their commands to community_cli when imported.
    from . import accounts, backup, content, database, scheduled, worker  # noqa: F401

    if "community" not in app.cli.commands:
        app.cli.add_command(community_cli)
