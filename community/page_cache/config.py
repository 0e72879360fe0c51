"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

The page caches: anonymous pages, signed-in home pages, their sizes and lifetime.
community/config.py adds them to the one settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "PAGE_CACHE_ENABLED": (True, "Serve anonymous readers' home, listing, category, thread and search pages from a cache invalidated on content changes."),
    "PAGE_CACHE_SIGNED_IN": (True, "Also keep each signed-in reader's home page, keyed by their session and checked against their user row on every request (needs PAGE_CACHE_ENABLED)."),
    "PAGE_CACHE_SIGNED_IN_MB": (8, "Signed-in home pages kept per process (the latest per browser session), in MB; the least recently read go first."),
    "PAGE_CACHE_SECONDS": (300, "Longest a cached page lives, bounding staleness from writes outside the app (bulk SQL)."),
    "PAGE_CACHE_LOCAL_MB": (16, "Page cache size per process without Redis, in MB (with REDIS_URL pages live in Redis)."),
    "PAGE_CACHE_NAMESPACE": (None, "Redis key namespace of the page cache and the widget cache. Unset: derived from DATABASE_URL, so one site's workers share it."),
}
