"""The Redis broker: one stream of live events, shared by every gunicorn worker and parley-live.

XADD with an approximate MAXLEN keeps the replay buffer short; XRANGE after an id answers polls and
Last-Event-ID replays. Publishing is one round trip after the commit; a Redis outage loses the live
events of that moment (pages are still right on reload) and never fails the request.
"""
from __future__ import annotations

import json
from typing import Iterable

import redis

from .events import Event
from .wire import Delivered, decode_entry, for_channels, lost_since, max_deleted, stream_id



class RedisBroker:
    serves_streams = False  # parley-live holds the subscribers, never a gunicorn thread

    def __init__(self, url: str, key: str, keep: int) -> None:
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self.key, self.keep = key, keep

    def publish(self, events: Iterable[Event]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for event in events:
            fields = {"c": event.channel, "e": json.dumps(event.payload(), separators=(",", ":"))}
            pipe.xadd(self.key, fields, maxlen=self.keep, approximate=True)
        pipe.execute()

    def latest_id(self) -> str:
        newest = self.redis.xrevrange(self.key, count=1)
        return newest[0][0].decode() if newest else "0-0"

    def since(self, channels: frozenset[str], last_id: str) -> tuple[list[Delivered], bool]:
        stream_id(last_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.xrange(self.key, min="(" + last_id, count=self.keep)
        pipe.exists(self.key)
        entries, exists = pipe.execute()
        lost = bool(exists) and lost_since(max_deleted(self.redis.xinfo_stream(self.key)), last_id)
        return for_channels((decode_entry(*entry) for entry in entries), channels), lost

    def wait(self, channels, cursor, timeout):  # pragma: no cover - the embedded stream is off with Redis
        raise NotImplementedError("parley-live serves streams when the broker is Redis")
