"""Parley: a self-hosted, branded customer community.

create_app is the one place the app is wired: every extension, request hook, blueprint, domain and
WSGI middleware is listed below in the order it is installed, with the reason where the order
matters. No blueprint or domain module changes the app on its own (README "Architecture").
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from . import config
from .logs import configure_logging

TEMPLATE_DIR = config.PROJECT_ROOT / "templates"
STATIC_DIR = config.PROJECT_ROOT / "static"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    settings = config.from_environment(overrides)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(TEMPLATE_DIR),
        static_folder=str(STATIC_DIR),
    )
    app.config.update(_flask_settings(settings))
    from .web.converters import DatabaseIdConverter
    from .widgets.embed_views import CookielessEmbedSessions

    app.url_map.converters["int"] = DatabaseIdConverter
    app.session_interface = CookielessEmbedSessions()  # the embed routes never read or set a cookie
    _early_request_hooks(app)
    _init_extensions(app)
    _request_hooks(app)
    _blueprints(app)
    _domains(app)
    _wsgi_middleware(app)
    return app


def _early_request_hooks(app: Flask) -> None:
    """Hooks that must run before the extensions' own (CSRFProtect and the limiter read the request)."""
    from .web.forms import decode_invalid_utf8_consistently

    # Before CSRFProtect reads the form, or the raw body is already consumed (forum forms only).
    app.before_request(decode_invalid_utf8_consistently)
    configure_logging(app)  # the request id, before anything logs; echoed in X-Request-ID


def _init_extensions(app: Flask) -> None:
    from .extensions import csrf, db, limiter, login_manager
    from .web.reader import load_user_from_session

    db.init_app(app)
    csrf.init_app(app)  # before_request: refuses a state-changing request without a valid token
    limiter.init_app(app)  # before_request: rate limits; after_request: the X-RateLimit headers
    login_manager.init_app(app)  # after_request: refreshes the remember-me cookie
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user_from_session)


def _request_hooks(app: Flask) -> None:
    """App-wide hooks. before_request hooks run in the order added; after_request in reverse."""
    from . import search
    from .api import unrouted_api_request
    from .jobs import queue, scheduler
    from .page_cache import anonymous, signed_in
    from .web import errors, helpers
    from .web.security import add_security_headers

    # A job queued by any hook below (or any after_request) is handed to the response's runner.
    app.teardown_request(queue.hand_over_pending_jobs)
    if scheduler.runs_in(app, "web"):
        app.before_request(scheduler.start_on_first_request)  # not at import: CLI commands load the app too
    app.before_request(search.drain_outbox_on_first_request)  # a crash may have left outbox rows
    # The page cache's lookups come after CSRF, limits and the request id, so a hit is limited and
    # logged like any page; the signed-in one first notes what the page will be kept under.
    app.before_request(signed_in.note_request)
    app.before_request(anonymous.serve_cached)
    app.before_request(unrouted_api_request)  # /api/v1/<unknown>: a JSON 404, not the HTML page
    app.after_request(add_security_headers)  # runs first of the after_request hooks
    # The page cache stores last, once every other hook has set its cookies and headers: at the
    # front of the list, since Flask runs after_request hooks from the end.
    app.after_request_funcs.setdefault(None, []).insert(0, signed_in.store_page)
    app.after_request_funcs[None].insert(0, anonymous.store_page)
    errors.init_app(app)  # HTML or JSON error pages for every status and for database outages
    helpers.init_app(app)  # /brand.css, /favicon.ico, template filters and the template context


def _blueprints(app: Flask) -> None:
    from .api import blueprint as api_blueprint
    from .attachments import views as attachment_views
    from .bridge import join_views, views as bridge_views
    from .composer import views as composer_views
    from .identity import views as identity_views
    from .live import views as live_views
    from .metrics import csat_views, views as dashboard_views
    from .people import views as people_views
    from .search import views as search_views
    from .web import account_settings, admin, answers, api_tokens, auth, feeds, forum, health, inbox, member_admin
    from .web import mod, notifications
    from .webhooks import views as webhooks_views
    from .widgets import embed_views, views as widget_views
    from .tags import views as tag_views

    for blueprint in (
        # the forum core
        answers.bp, inbox.bp, auth.bp, account_settings.bp, forum.bp, admin.bp, admin.brand_bp, member_admin.bp,
        search_views.bp, health.bp, notifications.bp, mod.bp, people_views.bp,
        # side domains
        bridge_views.bp, join_views.bp, widget_views.bp, embed_views.bp, dashboard_views.bp, csat_views.bp,
        webhooks_views.bp, feeds.bp, tag_views.bp, tag_views.admin_bp,
        live_views.bp,  # /live: tokens, the polling fallback, the embedded stream
        attachment_views.bp, attachment_views.admin_bp, identity_views.bp, identity_views.admin_bp,
        composer_views.bp,
        # the JSON API, and the pages where people make and revoke its tokens
        api_blueprint(), api_tokens.bp,
    ):
        app.register_blueprint(blueprint)


def _domains(app: Flask) -> None:
    """Each domain's own set-up: its CLI commands, settings checks, backends, change listeners."""
    from . import attachments, bridge, changes, cli, identity, live, search, seed, webhooks
    from .page_cache import store as page_cache_store
    from .widgets import cache as widget_cache

    changes.register()  # the one Session listener: what each commit changed, told to the subscribers below
    page_cache_store.register()  # subscribes: the page cache's generations
    widget_cache.register()  # subscribes: the widget cache's content version
    search.init_app(app)  # the backend for SEARCH_BACKEND, and its change subscriber (outbox rows, drain)
    live.init_app(app)  # subscribes after the caches: a page re-read for a live event is already fresh
    for domain in (attachments, bridge, identity, seed, webhooks):
        domain.init_app(app)
    cli.init_app(app)  # the `flask community` group, once every domain added its commands


def _wsgi_middleware(app: Flask) -> None:
    """Innermost first. Each fast path answers before Flask only what Flask would answer the same."""
    from .attachments.uploads_host import UploadsHost
    from .jobs.queue import RunJobsAfterResponse
    from .page_cache.anonymous import AnonymousPageFastPath
    from .page_cache.signed_in import SignedInHomeFastPath, hit_headers
    from .web import transport
    from .widgets.embed_fast import WidgetJsonFastPath

    # First, before any layer is built: the fast paths read the cookie names (__Host-) once.
    transport.configure_cookies(app)
    # Jobs queued by a request run once its body is sent: innermost, so only Flask queues them.
    app.wsgi_app = RunJobsAfterResponse(app, app.wsgi_app)
    app.wsgi_app = SignedInHomeFastPath(app, app.wsgi_app, hit_headers())
    app.wsgi_app = AnonymousPageFastPath(app, app.wsgi_app)
    app.wsgi_app = WidgetJsonFastPath(app, app.wsgi_app)  # warm widget JSON, the busiest embed route
    # The cookieless UPLOADS_HOST answers alone, outside every fast path (none may answer a page
    # there) and inside ProxyFix (its Host is the client's): no session, no user, only files.
    app.wsgi_app = UploadsHost(app, app.wsgi_app)
    # Secure cookies and HSTS on https responses: outside every fast path, so their answers get HSTS
    # too, and just inside ProxyFix, so "https" is the scheme the client used (from a trusted hop).
    app.wsgi_app = transport.SecureTransport(app.wsgi_app, transport.hsts_header(app.config))
    # Last, so it is the outermost: the fast paths and the job runner see the client's host and
    # scheme, as Flask does, and the cache keys carry them.
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def _flask_settings(settings: dict[str, Any]) -> dict[str, Any]:
    secure = str(settings["BASE_URL"]).startswith("https://")
    flask_settings = {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": settings["REDIS_URL"] or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: limits fall back to per-process memory, with a logged warning, rather than
        # failing requests (README "Fault tolerance"); short timeouts so a hung Redis cannot stall pages.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        "JSON_SORT_KEYS": False,
    }
    flask_settings.update(settings)
    return flask_settings
