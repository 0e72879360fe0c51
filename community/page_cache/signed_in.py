"""Signed-in readers' home page, answered before Flask while it is still what Flask would make.

The home page a signed-in reader gets is the shared listing (cached per audience) inside a header
made of their user row, their reader facts (bell count, own private or held threads, branding
version: web/reader.py) and their session (CSRF token). Through Flask that cost about four
times an anonymous page. Here each process keeps the last page Flask made for a request key:
- the key is a digest of what Flask reads from the request: the Cookie header verbatim (the
  session with its CSRF token, flashes and Flask-Login's ids, and any remember-me cookie: a
  changed cookie is another key), the client address, X-Forwarded-For and User-Agent (what
  Flask-Login's session identifier is made of), scheme, host and script root;
- the entry holds the reader's fingerprint (every column of their row, their facts, whether their
  sign-in was ended, whether a suspension is running) and the generations of the shared listing,
  both read before the page was made.
SignedInHomeFastPath serves the entry when the generations are unchanged and the fingerprint,
read again with one statement, is the same. A notification, a read, a role, ban or name change,
a sign-out (of this sign-in, or everywhere), a new thread or a branding change therefore reaches the
reader on the very next request, in every process. The session's signature was checked by Flask
when the page was made for that exact cookie, and an entry lives no longer than the page cache's
lifetime nor past the moment Flask would refuse that cookie as too old.

Only a page Flask made for that reader is kept: a 200 HTML response that set no cookie, left the
session unmodified and had no flash message. Anything else goes to Flask, which renders.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user

from ..extensions import read_engine
from ..logs import request_id_for
from ..web import reader
from . import store as page_cache
from ..web.forum import LISTING_DEPS
from .anonymous import fixed_hit_headers, storable_html
from ..web.security import SIGNED_IN_CACHE_CONTROL

PATH = "/"
ENDPOINT = "forum.index"
DEPS = LISTING_DEPS  # what the shared listing on the page depends on


def _request_key(app: Flask, environ: dict) -> bytes | None:
    """A digest of what Flask reads from the request to make this page (None: not this page)."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("PATH_INFO") != PATH:
        return None
    if environ.get("QUERY_STRING") or not environ.get("HTTP_COOKIE"):
        return None
    material = "\n".join((
        # Flask-Login's session identifier reads X-Forwarded-For when present, else the address.
        environ["HTTP_COOKIE"], environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR", ""),
        environ.get("HTTP_USER_AGENT", ""),
        environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", ""),
        # Settings tests (and admins, through a restart) change.
        str(app.config["THREADS_PER_PAGE"]),
    ))
    return hashlib.blake2b(material.encode("utf-8", "surrogateescape"), digest_size=16).digest()


@dataclass
class Entry:
    user_id: int
    login_id: str | None  # the sign-in the page was made for (a sign-out revokes it)
    fingerprint: str  # web/reader.py: the reader's row and facts when the page was made
    gens: tuple  # the generations of DEPS before the page was made
    body: bytes
    content_type: str
    expires: float


class LocalPages:
    """The latest page of each request key, per process: an LRU bounded in bytes, with a lifetime.

    Per process, not in Redis: a reader's page is worth keeping only while they keep reading, and
    a bounded LRU here cannot grow with the number of readers. Kept apart from the anonymous pages
    so that signed-in readers never push those out."""

    def __init__(self, max_bytes: int, seconds: float) -> None:
        self.max_bytes, self.seconds = max_bytes, seconds
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires <= time.monotonic():
                return None
            self._entries.move_to_end(key)  # the least recently read go first
            return entry

    def put(self, key: bytes, entry: Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old.body) if old else 0
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)


def enabled(app: Flask) -> bool:
    return page_cache.enabled(app) and bool(app.config["PAGE_CACHE_SIGNED_IN"])


def _pages(app: Flask) -> LocalPages:
    pages = app.extensions.get("community.signed_in_pages")
    if pages is None:
        size = int(app.config["PAGE_CACHE_SIGNED_IN_MB"]) * 1024 * 1024
        pages = app.extensions["community.signed_in_pages"] = LocalPages(size, int(app.config["PAGE_CACHE_SECONDS"]))
    return pages


# --- the Flask path: renders, and keeps what it may -------------------------------------------------


def note_request() -> None:
    """before_request: what the page will be kept under, read before it is made."""
    if request.endpoint != ENDPOINT or not enabled(current_app):
        return
    if "_flashes" in session or not current_user.is_authenticated:
        return
    key = _request_key(current_app, request.environ)
    fingerprint = reader.fingerprint(current_user._get_current_object())
    gens = page_cache.current_gens(current_app, DEPS)
    if key is not None and fingerprint is not None and gens is not None:
        g.signed_in_page = (key, current_user.id, current_user.login_id, fingerprint, gens)


def store_page(response: Response) -> Response:
    """after_request: keep the page when nothing about it was particular to this one response."""
    pending = g.pop("signed_in_page", None)
    if pending is None or not storable_html(response):
        return response
    key, user_id, login_id, fingerprint, gens = pending
    pages = _pages(current_app)
    lifetime = min(pages.seconds, _session_cookie_life_left(current_app))
    if lifetime > 0:
        expires = time.monotonic() + lifetime
        entry = Entry(user_id, login_id, fingerprint, gens, response.get_data(), response.content_type, expires)
        pages.put(key, entry)
    return response


def _session_cookie_life_left(app: Flask) -> float:
    """Seconds until Flask would refuse this request's session cookie as too old (the fast path
    never reads the cookie, so a kept page must not outlive it)."""
    raw = request.cookies.get(app.config["SESSION_COOKIE_NAME"], "")
    serializer = app.session_interface.get_signing_serializer(app)
    try:
        _payload, signed_at = serializer.loads(raw, return_timestamp=True)
    except Exception:  # no valid cookie: nothing to keep
        return 0.0
    return signed_at.timestamp() + app.permanent_session_lifetime.total_seconds() - time.time()


# --- before Flask ---------------------------------------------------------------------------------


class SignedInHomeFastPath:
    """Hits for the signed-in home page with one statement and no request context."""

    def __init__(self, app: Flask, wsgi_app: Callable, hit_headers: list[tuple[str, str]]) -> None:
        self.app, self.wsgi_app, self.hit_headers = app, wsgi_app, hit_headers

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        entry = self._current_entry(environ)
        if entry is None:
            return self.wsgi_app(environ, start_response)
        start_response("200 OK", [
            ("Content-Type", entry.content_type), ("Content-Length", str(len(entry.body))),
            *self.hit_headers, ("X-Request-ID", request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))),
        ])
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else entry.body]

    def _current_entry(self, environ: dict) -> Entry | None:
        if not enabled(self.app):
            return None
        key = _request_key(self.app, environ)
        entry = _pages(self.app).get(key) if key is not None else None
        if entry is None or page_cache.current_gens(self.app, DEPS) != entry.gens:
            return None
        try:
            with read_engine(self.app.extensions["community.engine"]).connect() as connection:
                fingerprint = reader.fingerprint_from_database(connection, entry.user_id, entry.login_id)
        except Exception:  # the database is down or busy: Flask answers with its own error page
            return None
        return entry if fingerprint == entry.fingerprint else None


def hit_headers() -> list[tuple[str, str]]:
    """What the Flask path adds to every signed-in hit (create_app gives them to the fast path)."""
    return [*fixed_hit_headers(), ("Cache-Control", SIGNED_IN_CACHE_CONTROL)]
