"""Which Sender deliveries use: the httpx one (http.py), or whatever object with the same `post`
method a test put in app.extensions["community.webhook_sender"]."""
from __future__ import annotations

from flask import Flask

from .transport import Sender


def get_sender(app: Flask) -> Sender:
    sender = app.extensions.get("community.webhook_sender")
    if sender is None:
        from .http import HttpxSender

        sender = app.extensions["community.webhook_sender"] = HttpxSender()
    return sender
