"""The httpx sender: one POST, no redirects, a short timeout, and only the start of the reply kept."""
from __future__ import annotations

import time

import httpx

from .transport import EXCERPT_CHARS, SendResult


class HttpxSender:
    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> SendResult:
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return SendResult(None, error=_describe(error)[:300], duration_ms=_ms_since(started))
        return SendResult(response.status_code, excerpt=response.text[:EXCERPT_CHARS], duration_ms=_ms_since(started))


def _describe(error: httpx.HTTPError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
