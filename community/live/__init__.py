"""Live updates: after each commit, ids of what changed go out on channels; pages re-read them.

- events.py: a commit's ChangeSet -> events (thread, user's bell, staff pages); ids only.
- broker.py / redis_broker.py: the in-process broker (make run) or a Redis stream (scale-out).
- service.py: who may follow which channel (policies), signed into a token (tokens.py).
- views.py: /live/token, /live/poll (the fallback) and /live/stream, the embedded SSE stream.
- server.py: parley-live, the async SSE process of the scale-out shape: subscribers wait there,
  on one event loop, never on a gunicorn thread.
"""
from __future__ import annotations

from flask import Flask, current_app, has_app_context

EXTENSION = "community.live.broker"


def make_broker(config):
    """The broker LIVE_BROKER names; empty: Redis when REDIS_URL is set, else in-process."""
    kind = config["LIVE_BROKER"] or ("redis" if config["REDIS_URL"] else "memory")
    if kind == "memory":
        from .broker import MemoryBroker

        return MemoryBroker(config["LIVE_REPLAY_EVENTS"])
    if kind == "redis":
        from .redis_broker import RedisBroker

        return RedisBroker(config["REDIS_URL"], config["LIVE_STREAM_KEY"], config["LIVE_REPLAY_EVENTS"])
    raise ValueError(f"LIVE_BROKER must be memory or redis, not {kind!r}")


def init_app(app: Flask) -> None:
    """The app's broker, and one after-commit subscriber on the change tracker (subscribed after
    the page cache's, so a page re-read for an event is never the cached page from before it)."""
    from .. import changes
    from .events import WATCHED_TABLES

    app.extensions[EXTENSION] = make_broker(app.config)
    changes.subscribe(_publish, WATCHED_TABLES)


def _publish(change_set) -> None:
    # Commits run in an app context (Flask-SQLAlchemy's session): that app's broker gets the events.
    if has_app_context() and EXTENSION in current_app.extensions:
        from .service import publish

        publish(current_app.extensions[EXTENSION], change_set)


def current_broker():
    return current_app.extensions[EXTENSION]
