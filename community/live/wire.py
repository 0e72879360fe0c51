"""The wire format both transports share: event ids, what a subscriber is sent, SSE frames.

A `Delivered` is one event as a subscriber receives it: its id (the broker's sequence), its channel
and its payload (ids only, events.py). Brokers keep a short replay buffer; a subscriber that asks
for events after an id the buffer no longer holds gets a `reset` (reload what you show) instead of
a silent gap.
"""
from __future__ import annotations

import json
import re
from typing import Iterable, NamedTuple

RESET = {"kind": "reset"}
_STREAM_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")


class Delivered(NamedTuple):
    id: str
    channel: str
    payload: dict

    def as_json(self) -> dict:
        return {"id": self.id, "channel": self.channel, **self.payload}


def stream_id(raw: str) -> tuple[int, int]:
    """A Redis stream id ("ms-seq") as a sortable pair; ValueError for anything else."""
    match = _STREAM_ID.match(raw or "")
    if not match:
        raise ValueError("not an event id")
    return int(match.group(1)), int(match.group(2))


def sse_frame(event: Delivered) -> bytes:
    data = json.dumps(event.as_json(), separators=(",", ":"))
    return f"id: {event.id}\ndata: {data}\n\n".encode()


def sse_reset(last_id: str) -> bytes:
    data = json.dumps({"id": last_id, **RESET}, separators=(",", ":"))
    return f"id: {last_id}\ndata: {data}\n\n".encode()


SSE_HEARTBEAT = b": keep-alive\n\n"
SSE_RETRY = b"retry: 3000\n\n"


def for_channels(events: Iterable[Delivered], channels: frozenset[str]) -> list[Delivered]:
    return [event for event in events if event.channel in channels]


# --- Redis stream entries (redis_broker.py and server.py) ----------------------------------------


def decode_entry(entry_id, fields) -> Delivered:
    entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    channel = fields[b"c"].decode() if b"c" in fields else fields["c"]
    payload = fields[b"e"] if b"e" in fields else fields["e"]
    return Delivered(entry_id, channel, json.loads(payload))


def lost_since(max_deleted: str, last_id: str) -> bool:
    """Whether an event after `last_id` was trimmed from the buffer (XINFO's max-deleted-entry-id)."""
    return stream_id(last_id) < stream_id(max_deleted)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def max_deleted(info: dict) -> str:
    return _text(info.get(b"max-deleted-entry-id", info.get("max-deleted-entry-id", b"0-0")))
