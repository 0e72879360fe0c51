"""The social-network bridge: find complaints on X, route them, invite, close the loop.

Find (ingest.py, x_api.py behind client.py) -> route (classify.py, triage.py) -> respond (respond.py,
invite_links.py, outbox.py) -> track (linking.py, followup.py). views.py and join_views.py are its
pages, cli/ its `flask bridge` commands, settings.py its admin-set settings. fake_x/ is a local X
for tests and the offline demo: nothing on the app's import path loads it.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Adds the `flask bridge ...` commands."""
    from .cli import bridge_cli, classify, demo, fake_server, ingest, outbox  # noqa: F401  (attach their commands)

    if "bridge" not in app.cli.commands:
        app.cli.add_command(bridge_cli)
