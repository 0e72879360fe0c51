"""Extensions, created unbound and bound to an app with init_app (as in Flask's tutorial)."""
from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session


class Database:
    """One engine per app and a session scoped to the app context.

    A small replacement for Flask-SQLAlchemy so that pool settings, statement timeouts and
    SQLite pragmas stay in plain sight.
    """

    def __init__(self) -> None:
        self.session = scoped_session(self._new_session, scopefunc=_app_context_id)

    def _new_session(self) -> Session:
        return Session(bind=self.engine, expire_on_commit=False)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], app.config)
        app.extensions["community.engine"] = engine
        app.teardown_appcontext(self._remove_session)

    @property
    def engine(self) -> Engine:
        from flask import current_app

        return current_app.extensions["community.engine"]

    def _remove_session(self, _exc: BaseException | None = None) -> None:
        try:
            self.session.remove()
        except DBAPIError:
            # The ROLLBACK that ends the request met a connection the database just closed
            # (restart, failover). The response is already made; SQLAlchemy has invalidated the
            # connection, so forget the session rather than turn the answer into a 500.
            self.session.registry.clear()


def _app_context_id() -> int:
    # One session per app context: requests, CLI commands and jobs each get their own.
    return id(g._get_current_object())


def make_engine(url: str, config: dict[str, Any] | None = None) -> Engine:
    config = config or {}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    statement_timeout_ms = int(config.get("STATEMENT_TIMEOUT_MS", 15_000))
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=int(config.get("DB_POOL_SIZE", 5)),
        max_overflow=int(config.get("DB_MAX_OVERFLOW", 10)),
        pool_timeout=5,
        connect_args={
            "connect_timeout": 5,
            "options": f"-c statement_timeout={statement_timeout_ms}",
        },
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _rate_limit_key() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=_rate_limit_key, default_limits=[], headers_enabled=True)
