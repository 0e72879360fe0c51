"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

The X bridge: the X API and the brand account, polling budgets, the outbox, invites, Log in with X.
community/config.py adds them to the one settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "X_API_BASE_URL": ("https://api.x.com", "Base URL of the X API v2 the bridge polls (point it at `flask bridge fake-x` offline)."),
    "X_BEARER_TOKEN": (None, "X app bearer token for reading mentions and recent search. Unset: the bridge does not poll."),
    "X_BRAND_USER_ID": (None, "The brand's X user id: whose mentions are polled; its own posts are never ingested."),
    "X_BRAND_HANDLE": (None, "The brand's X handle without @: a post mentioning it summoned us."),
    "BRIDGE_POLL_SECONDS": (120, "Seconds between polls of `flask bridge run`."),
    "BRIDGE_MAX_PAGES": (10, "Most pages one poll reads per source, so a backlog cannot spend the day's budget at once."),
    "BRIDGE_DAILY_READ_BUDGET": (10_000, "Posts the bridge may read from X per day (shown as budget used on the bridge status page)."),
    "X_USER_ACCESS_TOKEN": (None, "The brand account's OAuth 2.0 user access token, for posting invites and replies. Unset: the outbox cannot send."),
    "X_USER_REFRESH_TOKEN": (None, "Refresh token paired with X_USER_ACCESS_TOKEN (used when X_CLIENT_ID is set)."),
    "BRIDGE_OUTBOUND_PER_15MIN": (20, "Most invites and replies the bridge may queue per 15 minutes (global budget)."),
    "BRIDGE_OUTBOUND_PER_DAY": (200, "Most invites and replies the bridge may queue per 24 hours (global budget)."),
    "BRIDGE_AUTO_INVITE": (False, "Invite summoned complaints automatically after each ingest (within the budgets)."),
    "BRIDGE_AUTO_INVITE_MIN_COMPLAINT": (90, "Complaint score, in percent, a summoned post needs to be auto-invited."),
    "BRIDGE_SENDING_STALE_SECONDS": (120, "An outbound post still 'sending' after this many seconds is reconciled against the brand's posts on X."),
    "BRIDGE_OUTBOX_MAX_ATTEMPTS": (5, "Sends tried per outbound post (after 429, 5xx or a refused connection) before it is marked failed."),
    "X_CLIENT_ID": (None, "OAuth 2.0 client id of the brand's X app, for \"Log in with X\" on /join (and token refresh). Unset: no Log in with X."),
    "X_CLIENT_SECRET": (None, "OAuth 2.0 client secret of a confidential X app; unset for a public (PKCE-only) client."),
    "X_AUTHORIZE_URL": (None, "X's OAuth authorize page. Unset: https://x.com/i/oauth2/authorize, or <X_API_BASE_URL>/i/oauth2/authorize when the API is not api.x.com (the fake)."),
    "RATELIMIT_JOIN": ("30 per minute;300 per hour", "Requests to /join invite links (landing, claim, Log in with X) per client address."),
    "BRIDGE_INVITE_DAYS": (7, "Days an X invite link (/join/<token>) stays valid; it can be claimed once."),
}
