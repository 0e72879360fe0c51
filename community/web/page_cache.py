"""Serve anonymous readers' pages from the page cache (services/page_cache.py).

Only GET requests to the reading pages below, from a visitor with no signed-in session, no
remember-me cookie and no pending flash message, are looked up; only their 200 HTML responses
that set no cookie and leave the session untouched are stored (a page that put a CSRF token in
the session would set a cookie, so no form token is ever cached). What differs per request
(security headers, request id) is added by the after_request hooks on hits as on misses.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session

from ..services import page_cache

MAX_URL = 2048


def _thread_deps() -> list[str]:
    return [page_cache.thread_gen(request.view_args["thread_id"])]


def _category_deps() -> list[str] | None:
    category_id = page_cache.category_id_for_slug(request.view_args["slug"])
    return None if category_id is None else [page_cache.category_gen(category_id)]


def _listing_deps() -> list[str]:
    return [page_cache.LISTINGS]


# endpoint -> the generations its page depends on besides GLOBAL (None: do not store).
CACHED_ENDPOINTS = {
    "forum.index": _listing_deps,
    "forum.latest": _listing_deps,
    "forum.unanswered": _listing_deps,
    "forum.categories": _listing_deps,
    "forum.category": _category_deps,
    "forum.thread": _thread_deps,
}


def _anonymous() -> bool:
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        return False
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return True
    return "_user_id" not in session and "_flashes" not in session


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and request.endpoint in CACHED_ENDPOINTS
        and len(request.full_path) <= MAX_URL
        and page_cache.enabled(current_app)
        and _anonymous()
    )


def _variant() -> str:
    # Settings tests (and admins, through a restart) change; a page made under others is not reused.
    config = current_app.config
    return f"{request.host_url}|{config['THREADS_PER_PAGE']}|{config['POSTS_PER_PAGE']}"


def serve_cached() -> Response | None:
    if not _cacheable_request():
        return None
    key = page_cache.page_key(request.full_path, _variant())
    page, token = page_cache.lookup(key)
    if page is None:
        g.page_cache_miss = (key, token)
        return None
    response = Response(page.body, status=200, content_type=page.content_type)
    response.headers["X-Page-Cache"] = "hit"
    return response


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
        page = page_cache.CachedPage(response.get_data(), response.content_type)
        page_cache.store(key, page, [page_cache.GLOBAL, *deps], token)
    return response


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
        and "_flashes" not in session
        and "_user_id" not in session
    )


def init_app(app: Flask) -> None:
    page_cache.register()
    app.before_request(serve_cached)
    # after_request hooks run in reverse order: at the front of the list, this one runs last, so it
    # sees every cookie the other hooks set (only the session cookie is added later: see _storable).
    app.after_request_funcs.setdefault(None, []).insert(0, store_page)
