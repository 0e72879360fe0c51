"""Extensions, created unbound and bound to an app with init_app (as in Flask's tutorial)."""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, g, has_request_context, request
from psycopg.pq import TransactionStatus
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
        return Session(bind=_request_bind(self.engine), expire_on_commit=False)

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


SAFE_METHODS = frozenset({"GET", "HEAD"})  # also what web/reader.py reads facts for


def _request_bind(engine: Engine) -> Engine:
    """PostgreSQL connections of GET and HEAD requests run in autocommit until their first write.

    A signed-in page reads one row; inside a transaction that cost BEGIN and ROLLBACK around it,
    two of its four round trips. Under READ COMMITTED, PostgreSQL's default, each statement of a
    transaction already sees its own snapshot, so reading outside one changes nothing the pages
    rely on; a write, a SAVEPOINT or a locking read first opens a real transaction
    (_begin_before_write), which the session commits or rolls back as before.
    """
    if not has_request_context() or request.method not in SAFE_METHODS:
        return engine
    return read_engine(engine)


def read_engine(engine: Engine) -> Engine:
    """The engine for reads: on PostgreSQL the same pool in autocommit (see _request_bind)."""
    if engine.dialect.name != "postgresql":
        return engine
    # Kept on the engine itself, so the pair goes away together (a dict of engines kept every
    # test app's pool alive).
    autocommit = engine.__dict__.get("_community_read_engine")
    if autocommit is None:
        autocommit = engine._community_read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return autocommit


# A statement that reads without locking runs outside a transaction; anything else opens one.
_PLAIN_READ = re.compile(r"^\s*(SELECT|SHOW)\b", re.IGNORECASE)
_NEEDS_TRANSACTION = re.compile(r"\b(FOR\s+(NO\s+KEY\s+)?UPDATE|FOR\s+(KEY\s+)?SHARE|INSERT|UPDATE|DELETE|MERGE)\b|_xact_", re.IGNORECASE)


def _begin_before_write(conn, cursor, statement, _parameters, context, _executemany) -> None:
    dbapi_connection = cursor.connection
    if not dbapi_connection.autocommit or dbapi_connection.info.transaction_status != _IDLE:
        return
    streams = context is not None and context.execution_options.get("stream_results")
    if streams or not _PLAIN_READ.match(statement) or _NEEDS_TRANSACTION.search(statement):
        # psycopg's commit() and rollback() act on the server's transaction status, so the
        # session's commit, rollback and the pool's reset end this transaction as usual. On the
        # connection, not this cursor: a server-side cursor (stream_results) would DECLARE it.
        dbapi_connection.execute("BEGIN")


def make_engine(url: str, config: dict[str, Any] | None = None) -> Engine:
    config = config or {}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    statement_timeout_ms = int(config.get("STATEMENT_TIMEOUT_MS", 15_000))
    engine = create_engine(
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
    event.listen(engine, "before_cursor_execute", _begin_before_write)
    return engine


_IDLE = TransactionStatus.IDLE


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
