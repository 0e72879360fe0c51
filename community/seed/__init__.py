"""Demo and benchmark communities: `flask community seed-demo`, `flask community bench-seed` and the
bridge demo's data. Never imported on the app's request path.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Adds `flask community bench-seed`."""
    from . import cli  # noqa: F401  (attaches its command to the community group)
