"""The httpx sender: one POST, no redirects, a short timeout, and only the start of the reply kept.

One client per sender (per process) keeps connections and TLS setup across deliveries: building
a client per request cost more than the request itself.
"""
from __future__ import annotations

import threading
import time

import httpx

from .transport import EXCERPT_CHARS, SendResult


class HttpxSender:
    def __init__(self) -> None:
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _shared_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(follow_redirects=False, trust_env=False)
            return self._client

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> SendResult:
        started = time.perf_counter()
        try:
            response = self._shared_client().post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as error:
            return SendResult(None, error=_describe(error)[:300], duration_ms=_ms_since(started))
        return SendResult(response.status_code, excerpt=response.text[:EXCERPT_CHARS], duration_ms=_ms_since(started))


def _describe(error: httpx.HTTPError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
