"""Whole-page cache for anonymous readers, invalidated by generation counters.

A stored page remembers the generations it depended on: GLOBAL (brand, settings, categories,
people: anything every page may show), LISTINGS (any thread or post: the home page, /latest),
one category's (its listing), one thread's (its pages) or SEARCH (anonymous search pages: moved when
a change is queued for the search index and again when the index applies it). After a commit that
changed a row of CACHED_TABLES (the change tracker, community/changes.py, tells this module once per
commit), the counters of what changed are bumped, and a page whose remembered generations differ from
the current ones is a miss. A WRITES counter moves on every such commit: a page whose render
overlapped a commit is not stored, since it may show the rows from before it.

Redis holds pages and counters when REDIS_URL is set (shared by every worker). Otherwise each
process keeps its own pages, and an epoch file in the instance folder, rewritten on every
content commit, tells the other processes on this machine to drop theirs. Entries also expire
after PAGE_CACHE_SECONDS, which bounds staleness from writes that bypass the ORM session.

Only the web hooks (page_cache/anonymous.py) decide what may be cached; this module never sees a
request. Nothing here may make a commit fail: errors are logged and the cache is skipped.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from flask import Flask, current_app, has_app_context
from sqlalchemy import select

from .. import changes, services as forum_core, widgets
from ..models import Category, User
from ..search.indexed_fields import touches_index

log = logging.getLogger(__name__)

GLOBAL, LISTINGS, WRITES, SEARCH = "g", "l", "w", "s"

# The tables whose rows some cached page shows, each declared by the domain that owns them. A write
# to any other table is invisible to the cache (tests/web/test_page_cache_tables.py makes a new
# table take a side).
CACHED_TABLES = forum_core.PAGE_TABLES | widgets.PAGE_TABLES
# User columns no page shows (sign-ins and password changes must not empty the cache).
PRIVATE_USER_COLUMNS = frozenset({
    "password_hash", "session_version", "last_seen_at", "email", "email_normalized", "email_verified_at",
    "updated_at",
})
# Category columns that only counters touch: a new post bumps its category, not GLOBAL.
CATEGORY_COUNTER_COLUMNS = frozenset({"thread_count", "post_count", "updated_at"})


def thread_gen(thread_id: int) -> str:
    return f"t{thread_id}"


def category_gen(category_id: int) -> str:
    return f"c{category_id}"


@dataclass
class CachedPage:
    body: bytes
    content_type: str
    deps: dict[str, int] = field(default_factory=dict)
    # A first search page's (query, result count): each hit is still counted for the insights page.
    search: tuple[str, int] | None = None
    # A shared listing fragment's oldest shown activity (ISO time; None when the list is not full).
    oldest_shown: str | None = None

    def encode(self) -> bytes:
        meta = {"t": self.content_type, "d": self.deps, "s": self.search, "o": self.oldest_shown}
        return json.dumps(meta).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> "CachedPage":
        head, _, body = raw.partition(b"\n")
        meta = json.loads(head)
        search = meta.get("s")
        return cls(body, meta["t"], meta["d"], tuple(search) if search else None, meta.get("o"))


# --- stores -------------------------------------------------------------------------------------


class LocalStore:
    """Per-process pages (LRU, bounded in bytes) and counters; a file epoch across processes."""

    def __init__(self, epoch_path: Path, max_bytes: int, seconds: int) -> None:
        self.epoch_path, self.max_bytes, self.seconds = epoch_path, max_bytes, seconds
        # Reentrant: put() re-checks the epoch (which may empty the pages) while holding it.
        self._lock = threading.RLock()
        self._pages: OrderedDict[str, tuple[float, CachedPage]] = OrderedDict()
        self._bytes = 0
        self._gens: dict[str, int] = {}
        self._seen_epoch = self._epoch()

    def _epoch(self) -> tuple[int, int, int] | None:
        try:
            stat = os.stat(self.epoch_path)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _follow_other_processes(self) -> tuple | None:
        epoch = self._epoch()
        if epoch != self._seen_epoch:
            with self._lock:
                self._pages.clear()
                self._bytes = 0
                self._seen_epoch = epoch
        return epoch

    def start_token(self) -> object:
        return self._follow_other_processes(), self._gens.get(WRITES, 0)

    def gens(self, names: Iterable[str]) -> tuple:
        # Another process's commit shows here only as a new epoch, which outdates everything.
        return self._follow_other_processes(), *(self._gens.get(name, 0) for name in names)

    def get(self, key: str) -> tuple[CachedPage | None, object]:
        token = self.start_token()
        entry = self._pages.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None, token
        page = entry[1]
        if any(self._gens.get(name, 0) != gen for name, gen in page.deps.items()):
            return None, token
        return page, token

    def put(self, key: str, page: CachedPage, deps: Iterable[str], token: object) -> bool:
        with self._lock:
            if self.start_token() != token:
                return False  # a commit happened while this page rendered
            page.deps = {name: self._gens.get(name, 0) for name in deps}
            old = self._pages.pop(key, None)
            self._bytes -= len(old[1].body) if old else 0
            self._pages[key] = (time.monotonic() + self.seconds, page)
            self._bytes += len(page.body)
            while self._bytes > self.max_bytes and self._pages:
                _key, (_expires, dropped) = self._pages.popitem(last=False)
                self._bytes -= len(dropped.body)
        return True

    def bump(self, names: set[str]) -> None:
        with self._lock:
            for name in names | {WRITES}:
                self._gens[name] = self._gens.get(name, 0) + 1
            self._write_epoch()

    def _write_epoch(self) -> None:
        self.epoch_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.epoch_path.with_name(f"{self.epoch_path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(f"{time.time_ns()} {os.getpid()}\n")
        os.replace(temporary, self.epoch_path)  # a new inode: other processes' stat sees the change
        self._seen_epoch = self._epoch()


class RedisStore:
    """Pages as keys with a TTL; every counter in one hash, read with a single HMGET."""

    def __init__(self, connection, namespace: str, seconds: int) -> None:
        self.redis, self.seconds = connection, seconds
        self.prefix = f"parley:page:{namespace}:"
        self.gens_key = self.prefix + "gens"

    def start_token(self) -> object:
        return self.redis.hget(self.gens_key, WRITES)

    def gens(self, names: Iterable[str]) -> tuple:
        return tuple(self.redis.hmget(self.gens_key, list(names)))

    def get(self, key: str) -> tuple[CachedPage | None, object]:
        raw, token = self.redis.pipeline(transaction=False).get(self.prefix + key).hget(self.gens_key, WRITES).execute()
        if raw is None:
            return None, token
        page = CachedPage.decode(raw)
        names = list(page.deps)
        current = self.redis.hmget(self.gens_key, names) if names else []
        if any(int(value or 0) != page.deps[name] for name, value in zip(names, current)):
            return None, token
        return page, token

    def put(self, key: str, page: CachedPage, deps: Iterable[str], token: object) -> bool:
        names = [WRITES, *deps]
        values = self.redis.hmget(self.gens_key, names)
        if values[0] != token:
            return False
        page.deps = {name: int(value or 0) for name, value in zip(names[1:], values[1:])}
        self.redis.set(self.prefix + key, page.encode(), ex=self.seconds)
        return True

    def bump(self, names: set[str]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for name in sorted(names | {WRITES}):
            pipe.hincrby(self.gens_key, name, 1)
        pipe.execute()


def store_for(app: Flask):
    """The app's store, made on first use (per app, so test apps never share pages)."""
    store = app.extensions.get("community.page_cache")
    if store is None:
        seconds = int(app.config["PAGE_CACHE_SECONDS"])
        if app.config.get("REDIS_URL"):
            from ..jobs.redis_conn import redis_connection

            store = RedisStore(redis_connection(app), site_namespace(app), seconds)
        else:
            epoch = Path(app.instance_path) / "page_cache.epoch"
            store = LocalStore(epoch, int(app.config["PAGE_CACHE_LOCAL_MB"]) * 1024 * 1024, seconds)
        app.extensions["community.page_cache"] = store
    return store


def site_namespace(app: Flask) -> str:
    """This site's part of the Redis keys (the page cache's and the widget cache's)."""
    return app.config["PAGE_CACHE_NAMESPACE"] or _default_namespace(app)


def _default_namespace(app: Flask) -> str:
    # Workers of one site share pages; two sites on one Redis (or a test database) never do.
    return hashlib.sha256(str(app.config["DATABASE_URL"]).encode()).hexdigest()[:12]


def enabled(app: Flask) -> bool:
    return bool(app.config["PAGE_CACHE_ENABLED"])


def page_key(url: str, variant: str) -> str:
    return hashlib.sha256(f"{variant}\n{url}".encode()).hexdigest()


def lookup(key: str) -> tuple[CachedPage | None, object]:
    """The cached page (None on a miss) and the token `store` needs to tell if a commit intervened."""
    try:
        return store_for(current_app).get(key)
    except Exception:
        log.warning("page cache lookup failed", exc_info=True)
        return None, None


def store(key: str, page: CachedPage, deps: Iterable[str], token: object) -> bool:
    if token is None:
        return False
    try:
        return store_for(current_app).put(key, page, deps, token)
    except Exception:
        log.warning("page cache store failed", exc_info=True)
        return False


def current_gens(app: Flask, names: Iterable[str]) -> tuple | None:
    """The generations of `names` now, to compare with a copy taken before a page was made (None:
    the store cannot tell, so nothing counts as current). No app context needed."""
    try:
        return store_for(app).gens(names)
    except Exception:
        log.warning("page cache generations unavailable", exc_info=True)
        return None


def peek(app: Flask, key: str) -> CachedPage | None:
    """The cached page without an app context: the WSGI fast path (page_cache/anonymous.py)."""
    try:
        return store_for(app).get(key)[0]
    except Exception:  # the Flask path degrades the way it knows
        log.warning("page cache peek failed", exc_info=True)
        return None


def category_id_for_slug(slug: str) -> Optional[int]:
    from ..extensions import db

    return db.session.scalar(select(Category.id).where(Category.slug == slug))


# --- invalidation: which generations a commit moves ---------------------------------------------


def register() -> None:
    """Subscribe to the change tracker (community/changes.py), which create_app registers."""
    changes.subscribe(_bump_after_commit, CACHED_TABLES)


def stale_generations(change_set: changes.ChangeSet) -> set[str]:
    """The generations a committed change moves."""
    names: set[str] = set()
    for row in change_set.rows:
        if row.table in CACHED_TABLES:
            names |= _names_for(row)
    if any(s.table in CACHED_TABLES or s.table == changes.UNKNOWN_TABLE for s in change_set.statements):
        names.add(GLOBAL)  # a statement that skipped the flush may have written any row of its table
    if touches_index(change_set):
        names.add(SEARCH)  # cached search pages show threads' titles and visibility from the database
    return names


def _names_for(row: changes.Row) -> set[str]:
    if row.table == User.__tablename__:
        if row.op == changes.INSERT or not (row.columns - PRIVATE_USER_COLUMNS):
            return set()  # nobody's page shows a new account or a password change
        return {GLOBAL}
    if row.table == Category.__tablename__:
        if row.op != changes.INSERT and not (row.columns - CATEGORY_COUNTER_COLUMNS):
            return {category_gen(row.key), LISTINGS}
        return {GLOBAL}
    if not row.thread_ids:
        return {GLOBAL}
    return {LISTINGS, *map(thread_gen, row.thread_ids), *map(category_gen, row.category_ids)}


def search_index_changed() -> None:
    """The search index applied queued changes: search pages rendered before now are stale."""
    if not has_app_context():
        return
    try:
        store_for(current_app).bump({SEARCH})
    except Exception:  # pages still expire after PAGE_CACHE_SECONDS
        log.warning("could not bump the search page generation", exc_info=True)


def _bump_after_commit(change_set: changes.ChangeSet) -> None:
    names = stale_generations(change_set)
    if not names or not has_app_context():
        return
    try:
        store_for(current_app).bump(names)
    except Exception:  # the commit already happened; entries expire after PAGE_CACHE_SECONDS
        log.warning("could not bump page cache generations", exc_info=True)
