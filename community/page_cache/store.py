"""Whole-page cache for anonymous readers, invalidated by generation counters.

A stored page remembers the generations it depended on: GLOBAL (brand, settings, categories,
people: anything every page may show), LISTINGS (any thread or post: the home page, /latest),
one category's (its listing), one thread's (its pages) or SEARCH (anonymous search pages: moved when
a change is queued for the search index and again when the index applies it). After a commit that changed content,
the counters of what changed are bumped, and a page whose remembered generations differ from
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
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..models import Category, Post, Thread, User

log = logging.getLogger(__name__)

GLOBAL, LISTINGS, WRITES, SEARCH = "g", "l", "w", "s"
STALE = "page_cache.stale"
CATEGORY_OF_THREAD = "page_cache.category_of_thread"

# Tables no anonymous page shows: their writes must not empty the cache.
IGNORED_TABLES = frozenset({
    "notifications", "notification_preferences", "notification_settings", "notification_digests",
    "search_outbox", "search_documents", "search_events", "deflection_events", "widget_event_counts",
    "used_tokens", "revoked_logins", "audit_entries", "accept_reminders", "bridge_poll_logs", "bridge_cursors",
    "webhook_deliveries", "webhook_events", "webhook_endpoints",
    # The X bridge is staff-only: no cached page shows it. (BridgePost.post_id is an X id, not a Post.)
    "bridge_cases", "bridge_posts", "bridge_outbound", "bridge_opt_outs", "bridge_canned_responses",
    "bridge_invites", "bridge_account_links", "bridge_join_rejections",
    # The PostgreSQL search backend's own tables, written with text() after every indexed reply.
    "search_words", "search_documents_build", "search_ranks", "search_ranks_build",
    # Staff-only figures and credentials: the dashboard, SLA clocks, CSAT answers and API tokens.
    "metrics_thread_facts", "metrics_post_sentiment", "sla_targets", "sla_breaches", "csat_surveys", "api_tokens",
})
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


def _changed_columns(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _names_for(session: Session, obj, is_new: bool) -> set[str]:
    table = getattr(obj, "__tablename__", None)
    if table is None or table in IGNORED_TABLES:
        return set()
    if isinstance(obj, User):
        if is_new or not (_changed_columns(obj) - PRIVATE_USER_COLUMNS):
            return set()  # nobody's page shows a new account or a password change
        return {GLOBAL}
    if isinstance(obj, Category):
        if not is_new and not (_changed_columns(obj) - CATEGORY_COUNTER_COLUMNS):
            return {category_gen(obj.id), LISTINGS}
        return {GLOBAL}
    if isinstance(obj, Thread):
        names = {thread_gen(obj.id), category_gen(obj.category_id), LISTINGS}
        names.update(category_gen(old) for old in inspect(obj).attrs.category_id.history.deleted if old is not None)
        return names
    thread_id = getattr(obj, "thread_id", None)
    if thread_id is None and getattr(obj, "post_id", None) is not None:
        thread_id = _thread_of_post(session, obj.post_id)
    if thread_id is None:
        return {GLOBAL}
    names = {thread_gen(thread_id), LISTINGS}
    if isinstance(obj, Post):
        names.update(thread_gen(old) for old in inspect(obj).attrs.thread_id.history.deleted if old is not None)
    category_id = _category_of_thread(session, thread_id)
    if category_id is not None:
        names.add(category_gen(category_id))
    return names


def _thread_of_post(session: Session, post_id: int) -> Optional[int]:
    post = session.identity_map.get(inspect(Post).identity_key_from_primary_key((post_id,)))
    if post is not None:
        return post.thread_id
    return session.connection().scalar(select(Post.thread_id).where(Post.id == post_id))


def _category_of_thread(session: Session, thread_id: int) -> Optional[int]:
    # Remembered for the flush: a batch of rows in one thread must not cost one query per row.
    known = session.info.setdefault(CATEGORY_OF_THREAD, {})
    if thread_id not in known:
        thread = session.identity_map.get(inspect(Thread).identity_key_from_primary_key((thread_id,)))
        if thread is not None:
            return thread.category_id
        known[thread_id] = session.connection().scalar(select(Thread.category_id).where(Thread.id == thread_id))
    return known[thread_id]


def note_search_change(session: Session) -> None:
    """The search index will change when this session commits (search/changes.py queued it)."""
    _note(session, {SEARCH})


def search_index_changed() -> None:
    """The search index applied queued changes: search pages rendered before now are stale."""
    if not has_app_context():
        return
    try:
        store_for(current_app).bump({SEARCH})
    except Exception:  # pages still expire after PAGE_CACHE_SECONDS
        log.warning("could not bump the search page generation", exc_info=True)


def _note(session: Session, names: set[str]) -> None:
    if names:
        session.info.setdefault(STALE, set()).update(names)


def _after_flush(session: Session, _context) -> None:
    names: set[str] = set()
    for obj in session.new:
        names |= _names_for(session, obj, is_new=True)
    for obj in (*session.dirty, *session.deleted):
        if obj in session.deleted or session.is_modified(obj, include_collections=True):
            names |= _names_for(session, obj, is_new=False)
    session.info.pop(CATEGORY_OF_THREAD, None)
    _note(session, names)


def _statement(state) -> None:
    """UPDATE/DELETE/INSERT statements skip the flush: they move GLOBAL unless their table is ignored."""
    if state.is_select:
        return
    statement = state.statement
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        table = mapper.local_table.name if mapper is not None else getattr(getattr(statement, "table", None), "name", None)
    else:  # text(): the search backend writes its tables this way after every indexed reply
        sql = str(statement).lstrip()
        if sql[:7].upper().startswith(("SELECT", "WITH", "PRAGMA", "EXPLAIN", "SET ")):
            return
        match = _TEXT_TABLE.match(sql)
        table = match.group(1).lower() if match else None
    if table in IGNORED_TABLES:
        return
    _note(state.session, {GLOBAL})


# The table a text() statement writes (None, hence GLOBAL, when it cannot tell).
_TEXT_TABLE = re.compile(
    r"(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|"
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+\w+\s+ON|CREATE\s+TABLE|ALTER\s+(?:TABLE|INDEX))\s+\"?(\w+)",
    re.IGNORECASE,
)


def _after_commit(session: Session) -> None:
    names = session.info.pop(STALE, None)
    if not names or not has_app_context():
        return
    try:
        store_for(current_app).bump(names)
    except Exception:  # the commit already happened; entries expire after PAGE_CACHE_SECONDS
        log.warning("could not bump page cache generations", exc_info=True)


def _forget(session: Session) -> None:
    session.info.pop(STALE, None)


_registered = False


def register() -> None:
    """Listen on every Session once per process (apps share the ORM classes)."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _statement)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _registered = True
