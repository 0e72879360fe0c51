"""The WSGI fast paths answer before Flask, so they skip every app-wide request hook.

AnonymousPageFastPath (page_cache/anonymous.py), SignedInHomeFastPath (page_cache/signed_in.py) and the
widget fast path (widgets/embed_fast.py) each repeat by hand what these hooks would add to a cached
response: the request id and the security headers. This test lists the hooks they were checked
against; a new one fails it, so that whoever adds it decides what the fast paths must do about it.
"""
from __future__ import annotations

import functools

CHECKED_BEFORE_REQUEST = [
    "community.web.forms.decode_invalid_utf8_consistently",  # forms only: fast paths answer GET/HEAD
    "community.logs.configure_logging.<locals>.assign_request_id",  # fast paths: request_id_for()
    "flask_wtf.csrf.CSRFProtect.init_app.<locals>.csrf_protect",  # GET/HEAD need no token
    "flask_limiter._extension.Limiter._check_request_limit",  # no limit on the cached pages' GETs
    "community.search.drain_outbox_on_first_request",  # the first request goes to Flask
    "community.page_cache.signed_in.note_request",
    "community.page_cache.anonymous.serve_cached",
    "community.api.unrouted_api_request",  # /api paths only
    # Starts the scheduler at a process's first request through Flask; a process serves some.
    "community.jobs.scheduler.start_on_first_request",
]
CHECKED_AFTER_REQUEST = [
    "community.page_cache.anonymous.store_page",
    "community.page_cache.signed_in.store_page",
    "community.logs.configure_logging.<locals>.send_request_id",  # fast paths: X-Request-ID
    "flask_limiter._extension.Limiter.__inject_headers",  # headers only for limited routes
    "flask_login.login_manager.LoginManager._update_remember_cookie",  # a kept page set no cookie
    "community.web.security.add_security_headers",  # fast paths: page_cache.fixed_hit_headers()
]


def _names(funcs) -> list[str]:
    def name(func) -> str:
        func = func.func if isinstance(func, functools.partial) else func
        return f"{func.__module__}.{func.__qualname__}"

    return [name(func) for func in funcs]


def test_the_fast_paths_were_checked_against_every_app_wide_request_hook(app):
    # Settings leave some out (the tests turn rate limits off), so: nothing beyond the lists.
    new_before = set(_names(app.before_request_funcs.get(None, []))) - set(CHECKED_BEFORE_REQUEST)
    new_after = set(_names(app.after_request_funcs.get(None, []))) - set(CHECKED_AFTER_REQUEST)
    message = "new app-wide request hooks: check what the WSGI fast paths must do, then list them here"
    assert not new_before and not new_after, (message, new_before, new_after)
    assert "community.page_cache.signed_in.note_request" in _names(app.before_request_funcs[None])
