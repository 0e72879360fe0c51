"""Outgoing webhooks: endpoints admins manage (endpoints.py, views.py), what is sent and when
(delivery.py), and the plumbing with no business rules: signing, URL safety and the HTTP adapter
(signing.py, addresses.py, transport.py, http.py). Only `http.py` imports httpx.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Adds `flask community webhooks-retry`."""
    from . import cli  # noqa: F401  (attaches its command to the community group)
