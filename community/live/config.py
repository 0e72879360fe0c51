"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

Live updates: which broker carries the events, how long a subscription token and an embedded
stream last, the replay buffer, and the polling fallback. community/config.py adds them to the one
settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "LIVE_BROKER": ("", "Live events broker: memory (one process, make run) or redis (gunicorn + parley-live). Empty: redis when REDIS_URL is set, else memory."),
    "LIVE_STREAM_KEY": ("parley:live:events", "Redis stream that holds the live events (the replay buffer for Last-Event-ID)."),
    "LIVE_REPLAY_EVENTS": (5000, "Live events kept for replay; a client further behind reloads what it shows."),
    "LIVE_TOKEN_SECONDS": (3600, "Seconds a live subscription token is valid; the page fetches a new one after."),
    "LIVE_STREAM_SECONDS": (300, "Seconds an embedded (in-process) event stream stays open before the browser reconnects with Last-Event-ID."),
    "LIVE_POLL_SECONDS": (10, "Seconds between two polls when the browser falls back to polling."),
    "LIVE_SERVER_BIND": ("127.0.0.1:8001", "Address parley-live (python -m community.live.server) listens on in the scale-out shape."),
    "RATELIMIT_LIVE": ("60 per minute", "Live token and poll requests per client address."),
}
