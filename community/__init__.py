"""Parley: a self-hosted, branded customer community."""
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

    app.url_map.converters["int"] = DatabaseIdConverter
    configure_logging(app)
    _init_extensions(app)

    from .web import register_web

    register_web(app)

    from .api import init_app as init_api

    init_api(app)

    from .cli import register_cli

    register_cli(app)
    # Last, so it is the outermost middleware: the fast paths and the job runner see the client's
    # host and scheme, as Flask does.
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    return app


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


def _init_extensions(app: Flask) -> None:
    from .extensions import csrf, db, limiter, login_manager

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    from .jobs import queue, scheduler

    queue.init_app(app)
    scheduler.init_app(app)

    from . import search

    search.init_app(app)

    from .services.accounts import load_user_from_session

    login_manager.user_loader(load_user_from_session)
