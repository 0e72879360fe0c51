"""The `flask bridge ...` command group (the X bridge).

Commands live in their own modules (for example bridge/cli/fake_server.py, bridge/cli/classify.py) that
import `bridge_cli` from here and attach to it; community/bridge/__init__.py:init_app imports them.
"""
from __future__ import annotations

from flask.cli import AppGroup

bridge_cli = AppGroup("bridge", help="The X bridge: fake X server, ingest, classify, invite.")
