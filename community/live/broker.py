"""Where live events go after a commit and where subscribers read them: one interface, two brokers.

- `MemoryBroker`: one process (`make run`, the threaded dev server, tests). A numbered ring buffer
  and a Condition the embedded stream waits on. Nothing to install.
- `RedisBroker` (redis_broker.py, the only module of this package that imports redis): a Redis
  stream (XADD with MAXLEN) shared by every gunicorn worker and by parley-live, the separate
  async process that holds the subscribers' connections (server.py).

Ids are the broker's own sequence (memory: "1", "2", ...; Redis: the stream's "ms-seq"); a client
echoes them back as Last-Event-ID and never reads them.
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Iterable, Protocol

from .events import Event
from .wire import Delivered, for_channels


class Broker(Protocol):
    serves_streams: bool  # True: Flask may hold a subscriber itself (one process, threads to spare)

    def publish(self, events: Iterable[Event]) -> None: ...

    def latest_id(self) -> str: ...

    def since(self, channels: frozenset[str], last_id: str) -> tuple[list[Delivered], bool]:
        """Events on `channels` after `last_id`, and whether the buffer lost some (reset).
        ValueError when last_id is not one of this broker's ids."""

    def wait(self, channels: frozenset[str], cursor: str, timeout: float) -> tuple[list[Delivered], bool, str]:
        """Like since, once anything newer than `cursor` is published (or after `timeout`), with the
        cursor to wait from next (the newest id seen, whatever its channel)."""


class MemoryBroker:
    serves_streams = True

    def __init__(self, keep: int) -> None:
        self._events: deque[tuple[int, Delivered]] = deque(maxlen=keep)
        self._sequence = itertools.count(1)
        self._last = 0
        self._changed = threading.Condition()

    def publish(self, events: Iterable[Event]) -> None:
        with self._changed:
            for event in events:
                number = next(self._sequence)
                self._events.append((number, Delivered(str(number), event.channel, event.payload())))
                self._last = number
            self._changed.notify_all()

    def latest_id(self) -> str:
        return str(self._last)

    def since(self, channels: frozenset[str], last_id: str) -> tuple[list[Delivered], bool]:
        after = _number(last_id)
        with self._changed:
            return self._since(channels, after)

    def _since(self, channels, after: int) -> tuple[list[Delivered], bool]:
        kept = [(number, event) for number, event in self._events if number > after]
        oldest = self._events[0][0] if self._events else self._last + 1
        lost = after < oldest - 1 and after < self._last
        return for_channels((event for _number, event in kept), channels), lost

    def wait(self, channels: frozenset[str], cursor: str, timeout: float) -> tuple[list[Delivered], bool, str]:
        after = _number(cursor)
        with self._changed:
            self._changed.wait_for(lambda: self._last > after, timeout)
            events, lost = self._since(channels, after)
            return events, lost, str(self._last)


def _number(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise ValueError("not an event id")
    return int(raw)
