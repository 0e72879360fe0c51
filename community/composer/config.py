"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>)."""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "DRAFT_MAX_LENGTH": (60_000, "Longest draft body in characters (a little above BODY_MAX_LENGTH, so nothing typed is refused before the post itself would be)."),
    "RATELIMIT_DRAFTS": ("60 per minute;3000 per day", "Draft saves per member (the composer saves at most every second or so while typing)."),
    "RATELIMIT_AUTOCOMPLETE": ("120 per minute;3000 per hour", "@ and # suggestions per member."),
}
