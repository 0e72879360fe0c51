"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

Outgoing webhooks: timeouts, retries, when an endpoint is switched off, SSRF guard.
community/config.py adds them to the one settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "WEBHOOK_TIMEOUT_SECONDS": (10, "Seconds Parley waits for a webhook endpoint to answer."),
    "WEBHOOK_MAX_ATTEMPTS": (8, "Attempts per webhook delivery before it is marked failed (an admin may redeliver)."),
    "WEBHOOK_RETRY_BASE_SECONDS": (60, "First webhook retry delay in seconds; each later retry waits twice as long."),
    "WEBHOOK_RETRY_MAX_SECONDS": (6 * 3600, "Longest delay between two webhook retries, in seconds."),
    "WEBHOOK_DISABLE_AFTER_FAILURES": (20, "Switch a webhook endpoint off after this many failed attempts in a row and email the admins (0 = never)."),
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": (False, "Let webhooks call private, loopback and link-local addresses (off: only public addresses, against SSRF)."),
}
