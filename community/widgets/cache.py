"""The widget cache: entries keyed by a content version that commits touching forum content bump.

Redis when REDIS_URL is set (shared by every worker), an in-process dict otherwise. The version
moves after a commit that flushed a row of CONTENT_TABLES (the change tracker, community/changes.py,
tells register()'s subscriber). Entries also expire after CACHE_SECONDS, which bounds staleness from
bulk UPDATE statements (they skip the flush) and, without Redis, between processes.

With Redis, the WSGI fast path (peek_entry) keeps the content version and decoded entries in the
process, so a warm hit makes no Redis round trip: a bump in this process is seen at once, a bump
in another process within VERSION_SECONDS.

Redis keys carry the site's namespace (page_cache.site_namespace: PAGE_CACHE_NAMESPACE, or a hash
of DATABASE_URL), so sites sharing one Redis never read each other's version or entries.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from flask import current_app, has_app_context

from .. import changes
from ..page_cache.store import site_namespace

CACHE_SECONDS = 60
LOCAL_MAX_ENTRIES = 2000
PREFIX_MEMO = "community.widget_cache_prefix"
# The tables a widget's entry is made from: a commit that wrote one moves the content version.
CONTENT_TABLES = frozenset(
    {"threads", "posts", "categories", "verified_answers", "tags", "thread_tags", "widgets", "widget_categories"}
)

_local_lock = threading.Lock()
_local_entries: dict[str, tuple[float, Any]] = {}
_local_version = [0]


def _redis():
    if not has_app_context() or not current_app.config.get("REDIS_URL"):
        return None
    return _redis_of(current_app)


def _redis_of(app):
    from ..jobs.redis_conn import redis_connection

    return redis_connection(app)


def redis_prefix(app) -> str:
    """The start of every Redis key of this site's widget cache."""
    prefix = app.extensions.get(PREFIX_MEMO)
    if prefix is None:
        prefix = app.extensions[PREFIX_MEMO] = f"parley:widgets:{site_namespace(app)}:"
    return prefix


def version_key(app) -> str:
    return redis_prefix(app) + "version"


def entry_key(widget_id: int, version: int) -> str:
    return f"w{widget_id}:v{version}"


# Entries as the fast path serves them, per cache key: the Redis JSON is decoded once per process.
_peeked: dict[str, tuple[float, dict[str, Any]]] = {}
PEEK_SECONDS = 5
# Longest the fast path serves the previous version after another process bumped it.
VERSION_SECONDS = 1.0
VERSION_MEMO = "community.widget_version"


def peek_entry(app, widget_id: int) -> dict[str, Any] | None:
    """The cached entry for a widget at the current version, without an app context or the
    database (None when it is not cached yet): the WSGI fast path in widgets/embed_fast.py."""
    if not app.config.get("REDIS_URL"):
        entry = _local_entries.get(entry_key(widget_id, _local_version[0]))
        return entry[1] if entry is not None and entry[0] >= time.monotonic() else None
    connection = _redis_of(app)
    now = time.monotonic()
    key = redis_prefix(app) + entry_key(widget_id, _known_version(app, connection, now))
    memo = _peeked.get(key)  # the whole Redis key: two sites in one process keep apart here too
    if memo is None or memo[0] < now:
        raw = connection.get(key)
        if raw is None:
            return None
        if len(_peeked) >= LOCAL_MAX_ENTRIES:
            _peeked.clear()
        # Kept briefly, so the Redis entry's expiry still bounds staleness from bulk statements.
        memo = _peeked[key] = (now + PEEK_SECONDS, json.loads(raw))
    return memo[1]


def _known_version(app, connection, now: float) -> int:
    memo = app.extensions.get(VERSION_MEMO)
    if memo is None or memo[0] < now:
        memo = _remember_version(app, int(connection.get(version_key(app)) or 0), now)
    return memo[1]


def _remember_version(app, version: int, now: float) -> tuple[float, int]:
    with _local_lock:
        memo = app.extensions.get(VERSION_MEMO)
        # Versions only grow: a read that started before this process's bump must not undo it.
        if memo is None or memo[0] < now or version >= memo[1]:
            memo = app.extensions[VERSION_MEMO] = (now + VERSION_SECONDS, version)
    return memo


def content_version() -> int:
    connection = _redis()
    if connection is None:
        return _local_version[0]
    return int(connection.get(version_key(current_app)) or 0)


def bump_version() -> None:
    connection = _redis()
    with _local_lock:
        _local_version[0] += 1
        _local_entries.clear()
    if connection is not None:
        app = current_app._get_current_object()
        _remember_version(app, int(connection.incr(version_key(app))), time.monotonic())


def get(key: str) -> Any | None:
    connection = _redis()
    if connection is not None:
        raw = connection.get(redis_prefix(current_app) + key)
        return json.loads(raw) if raw else None
    entry = _local_entries.get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def put(key: str, value: Any) -> None:
    connection = _redis()
    if connection is not None:
        connection.set(redis_prefix(current_app) + key, json.dumps(value), ex=CACHE_SECONDS)
        return
    with _local_lock:
        if len(_local_entries) >= LOCAL_MAX_ENTRIES:
            _local_entries.clear()
        _local_entries[key] = (time.monotonic() + CACHE_SECONDS, value)


def register() -> None:
    """Subscribe to the change tracker (community/changes.py), which create_app registers."""
    changes.subscribe(_bump_after_commit, CONTENT_TABLES)


def _bump_after_commit(change_set: changes.ChangeSet) -> None:
    # Rows written by the flush only: bulk statements are bounded by CACHE_SECONDS (see above).
    if not any(row.table in CONTENT_TABLES for row in change_set.rows):
        return
    try:
        bump_version()
    except Exception:  # a cache outage must never fail the commit that already happened
        logging.getLogger(__name__).warning("could not bump the widget cache version", exc_info=True)
