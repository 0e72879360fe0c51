"""HMAC-SHA256 signatures over "<timestamp>.<body>" with the endpoint's secret.

Receivers recompute the signature from the raw body and the X-Parley-Timestamp header, compare in
constant time, and refuse timestamps older than a few minutes (a captured request cannot be
replayed later). `verify` is the reference implementation the tests and the README use.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Parley-Signature"
TIMESTAMP_HEADER = "X-Parley-Timestamp"
EVENT_HEADER = "X-Parley-Event"
EVENT_ID_HEADER = "X-Parley-Event-Id"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, event_type: str, event_id: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": "Parley-Webhooks/1",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        EVENT_HEADER: event_type,
        EVENT_ID_HEADER: event_id,
    }


def verify(
    secret: str, signature: str | None, timestamp: str | None, body: bytes,
    *, tolerance: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None,
) -> bool:
    """True when the signature matches and the timestamp is within `tolerance` seconds of now."""
    if not signature or not timestamp or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
