"""Serve anonymous readers' pages from the page cache (page_cache/store.py).

Only GET requests to the reading pages below, from a visitor with no signed-in session, no
remember-me cookie and no pending flash message, are looked up; only their 200 HTML responses
that set no cookie and leave the session untouched are stored (a page that put a CSRF token in
the session would set a cookie, so no form token is ever cached). What differs per request
(security headers, request id) is added by the after_request hooks on hits as on misses.

Search pages are keyed on their known parameters in one order (blanks dropped, the query's
spaces collapsed), so equivalent URLs share a page; a search URL with any other parameter is not
cached, since the page's links repeat every parameter.

AnonymousPageFastPath answers hits from visitors with no session or remember-me cookie before
Flask sees the request (no request context, session, login or CSRF work), with the same headers;
everything else goes on to Flask unchanged.
"""
from __future__ import annotations

from typing import Callable, Iterable
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, request, session
from werkzeug.datastructures import MultiDict

from ..logs import request_id_for
from . import store as page_cache
from ..search import query_log as search_hits
from ..web.security import add_security_headers

MAX_URL = 2048
SEARCH_PARAMS = ("q", "category", "state", "verified", "from", "to", "sort", "page")


def _thread_deps() -> list[str]:
    return [page_cache.thread_gen(request.view_args["thread_id"])]


def _category_deps() -> list[str] | None:
    category_id = page_cache.category_id_for_slug(request.view_args["slug"])
    return None if category_id is None else [page_cache.category_gen(category_id)]


def _listing_deps() -> list[str]:
    return [page_cache.LISTINGS]


def _search_deps() -> list[str]:
    return [page_cache.SEARCH]


# endpoint -> the generations its page depends on besides GLOBAL (None: do not store).
CACHED_ENDPOINTS = {
    "forum.index": _listing_deps,
    "forum.latest": _listing_deps,
    "forum.unanswered": _listing_deps,
    "forum.categories": _listing_deps,
    "forum.category": _category_deps,
    "forum.thread": _thread_deps,
    "search.search": _search_deps,
}


def cache_url(endpoint: str, full_path: str, args: MultiDict) -> str | None:
    """The URL a page is cached under (None: not cacheable)."""
    if len(full_path) > MAX_URL:
        return None
    if endpoint == "search.search":
        return _search_url(args)
    return full_path


def _search_url(args: MultiDict) -> str | None:
    if any(name not in SEARCH_PARAMS or len(args.getlist(name)) > 1 for name in args):
        return None
    canonical = {name: args.get(name, "") for name in SEARCH_PARAMS}
    canonical["q"] = " ".join(canonical["q"].split())
    if canonical["page"] == "1":
        canonical["page"] = ""
    return "/search?" + urlencode([(name, value) for name, value in canonical.items() if value])


def _anonymous() -> bool:
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return True
    return "_user_id" not in session and "_flashes" not in session


def _cacheable_url() -> str | None:
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS or not page_cache.enabled(current_app):
        return None
    url = cache_url(request.endpoint, request.full_path, request.args)
    return url if url is not None and _anonymous() else None


def _variant(app: Flask, host_url: str) -> str:
    # Settings tests (and admins, through a restart) change; a page made under others is not reused.
    config = app.config
    return f"{host_url}|{config['THREADS_PER_PAGE']}|{config['POSTS_PER_PAGE']}"


def serve_cached() -> Response | None:
    url = _cacheable_url()
    if url is None:
        return None
    key = page_cache.page_key(url, _variant(current_app, request.host_url))
    page, token = page_cache.lookup(key)
    if page is None:
        g.page_cache_miss = (key, token)
        return None
    _count_search(current_app, page)
    response = Response(page.body, status=200, content_type=page.content_type)
    response.headers["X-Page-Cache"] = "hit"
    return response


def _count_search(app: Flask, page: page_cache.CachedPage) -> None:
    if page.search is not None:
        search_hits.note(app, *page.search)


def store_page(response: Response) -> Response:
    pending = g.pop("page_cache_miss", None)
    if pending is None:
        return response
    response.headers["X-Page-Cache"] = "miss"
    if not _storable(response):
        return response
    deps = CACHED_ENDPOINTS[request.endpoint]()
    if deps is not None:
        key, token = pending
        page = page_cache.CachedPage(response.get_data(), response.content_type, search=g.get("search_recorded"))
        page_cache.store(key, page, [page_cache.GLOBAL, *deps], token)
    return response


def _storable(response: Response) -> bool:
    return storable_html(response) and "_user_id" not in session


def storable_html(response: Response) -> bool:
    """A page made for whoever sent this request, and nothing particular to this one response."""
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
        and "_flashes" not in session
    )


class AnonymousPageFastPath:
    """Page-cache hits for requests without a session or remember-me cookie, before Flask."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        names = (app.config["SESSION_COOKIE_NAME"], app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        # A false match (another cookie's name containing one of these) only means the Flask path.
        self._cookie_marks = tuple(f"{name}=" for name in names)
        self._headers = fixed_hit_headers()
        # Static files are never cached pages: spare them the URL matching (~30 us each).
        self._static_prefix = f"{app.static_url_path}/"

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD") and not any(mark in environ.get("HTTP_COOKIE", "") for mark in self._cookie_marks):
            page = self._cached_page(environ)
            if page is not None:
                _count_search(self.app, page)
                request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
                start_response("200 OK", [
                    ("Content-Type", page.content_type), ("Content-Length", str(len(page.body))),
                    *self._headers, ("X-Request-ID", request_id),
                ])
                return [b"" if method == "HEAD" else page.body]
        return self.wsgi_app(environ, start_response)

    def _cached_page(self, environ: dict) -> page_cache.CachedPage | None:
        if not page_cache.enabled(self.app) or environ.get("PATH_INFO", "").startswith(self._static_prefix):
            return None
        try:
            incoming = self.app.request_class(environ)
            endpoint, _args = self.app.create_url_adapter(incoming).match()
            if endpoint not in CACHED_ENDPOINTS:
                return None
            url = cache_url(endpoint, incoming.full_path, incoming.args)
            if url is None:
                return None
            key = page_cache.page_key(url, _variant(self.app, incoming.host_url))
        except Exception:  # not found, redirects, untrusted hosts, bad encodings: Flask answers those
            return None
        return page_cache.peek(self.app, key)


def fixed_hit_headers() -> list[tuple[str, str]]:
    """What the Flask path adds to every hit: security headers, and Vary: Cookie (the session is read)."""
    response = add_security_headers(Response())
    security = [(name, value) for name, value in response.headers.items() if name not in ("Content-Type", "Content-Length")]
    return [("X-Page-Cache", "hit"), *security, ("Vary", "Cookie")]
