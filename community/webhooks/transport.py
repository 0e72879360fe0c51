"""The interface deliveries go through: post a signed body, get back what happened.

sender.py picks the implementation (the httpx one, http.py, unless a test put another).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


EXCERPT_CHARS = 500


@dataclass(frozen=True)
class SendResult:
    status: int | None          # HTTP status, None when no response came back
    excerpt: str = ""           # the start of the response body, for the delivery log
    error: str = ""             # connection errors, timeouts
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> SendResult: ...
