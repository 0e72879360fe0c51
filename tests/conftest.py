"""Shared fixtures: app (on SQLite and PostgreSQL), client, auth, factories, live server, browser,
SMTP server and Redis.

Every test that uses `app` runs once per database backend. A test restricted to one backend says
so with `@pytest.mark.backends("sqlite")`. Outside CI a missing PostgreSQL or Redis skips, and the
skip names what is missing; under CI=true it fails instead.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from community import create_app, migrate
from community.extensions import db
from community.models import Base

from . import factories
from .security.report import pytest_sessionstart, pytest_terminal_summary  # noqa: F401 (hooks)

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("COMMUNITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("COMMUNITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RUN_ID = uuid.uuid4().hex[:8]


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run only on these database backends")
    config.addinivalue_line("markers", "browser: drives headless Chromium")
    config.addinivalue_line("markers", "drill: fault drill against real gunicorn, PostgreSQL and Redis (make drills)")
    # pytest-xdist registers it too; declared here so runs with `-p no:xdist` accept it.
    config.addinivalue_line("markers", "xdist_group(name): run on one xdist worker with its group (--dist loadgroup)")
    # Apps built without TESTING (and the gunicorn servers tests start) would time the real periodic
    # jobs in a background thread against the test's database; tests/jobs/test_scheduler.py asks for it.
    os.environ.setdefault("COMMUNITY_SCHEDULER", "off")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = list(marker.args) if marker else ["sqlite", "postgres"]
        metafunc.parametrize("db_backend", names, indirect=True, scope="function")


def require_service(available: bool, what: str) -> None:
    """Skip (outside CI) or fail (under CI=true) when a service a test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not reachable")
    pytest.skip(f"{what} not reachable; these tests run under CI=true")


def shared_data(relative: str) -> Path:
    """A file from ../shared/data; skip outside CI when absent, fail under CI."""
    path = SHARED_DATA / relative
    require_service(path.exists(), f"shared data file {path}")
    return path


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# --- databases: one migrated database per backend per test process ----------------------------


class _Databases:
    def __init__(self, tmp_root: Path) -> None:
        self.tmp_root = tmp_root
        self.urls: dict[str, str] = {}
        self.engines: dict = {}
        self.pg_name: str | None = None

    def url_for(self, backend: str) -> str:
        if backend not in self.urls:
            url = self._create(backend)
            engine = create_engine(url)
            migrate.upgrade(engine)
            self.urls[backend] = url
            self.engines[backend] = engine
        return self.urls[backend]

    def _create(self, backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.tmp_root / 'test.db'}"
        require_service(_port_open("127.0.0.1", 5432), "PostgreSQL at 127.0.0.1:5432")
        self.pg_name = f"parley_t_{RUN_ID}_{_worker()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}"'))
            connection.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
            # Commits need not wait for the disk: a crash would lose only a throwaway test database.
            connection.execute(text(f'ALTER DATABASE "{self.pg_name}" SET synchronous_commit = off'))
        admin.dispose()
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.pg_name

    def clean(self, backend: str) -> None:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with self.engines[backend].begin() as connection:
            if backend == "postgres":
                _wipe_postgres(connection, tables)
            else:
                _wipe_sqlite(connection, tables)

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        if self.pg_name:
            _drop_database_after_exit(self.pg_name)


def _drop_database_after_exit(name: str) -> None:
    """DROP DATABASE makes PostgreSQL checkpoint the whole shared server (50-90 s on a busy box,
    idle for the test run), and nothing after the run needs the database gone: a detached process
    drops it while pytest ends."""
    code = ("import sys; from sqlalchemy import create_engine, text; "
            "engine = create_engine(sys.argv[1], isolation_level='AUTOCOMMIT'); "
            "engine.connect().execute(text(f'DROP DATABASE IF EXISTS \"{sys.argv[2]}\" WITH (FORCE)'))")
    subprocess.Popen([sys.executable, "-c", code, PG_ADMIN_URL, name], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# The sequences behind serial and identity columns, which TRUNCATE ... RESTART IDENTITY would reset.
_RESTART_OWNED_SEQUENCES = text(
    "SELECT setval(s.oid, 1, false) FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
    "WHERE s.relkind = 'S'"
)


def _wipe_postgres(connection, tables: list[str]) -> None:
    # DELETE, not TRUNCATE: TRUNCATE gives each of ~60 tables and their indexes new files, about
    # 1 s a test on a busy disk, where deleting a test's few rows takes ~0.1 s. The replica role
    # skips foreign-key checks and the append-only audit triggers for the wipe; nobody waits for
    # its commit to reach the disk.
    connection.execute(text("SET LOCAL synchronous_commit = off"))
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    connection.execute(text("; ".join(f'DELETE FROM "{table}"' for table in tables)))
    connection.execute(_RESTART_OWNED_SEQUENCES)


def _wipe_sqlite(connection, tables: list[str]) -> None:
    connection.execute(text("PRAGMA synchronous=OFF"))  # the wipe need not survive a power cut
    connection.execute(text("PRAGMA foreign_keys=OFF"))
    # Append-only triggers (audit_entries) would refuse the wipe: lift them around it.
    triggers = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type='trigger'")).all()
    for name, _sql in triggers:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    for table in tables:
        connection.execute(text(f"DELETE FROM {table}"))
    for _name, sql in triggers:
        connection.execute(text(sql))
    connection.execute(text("DELETE FROM sqlite_sequence")) if _has_sqlite_sequence(connection) else None
    connection.execute(text("PRAGMA foreign_keys=ON"))


def _has_sqlite_sequence(connection) -> bool:
    return bool(connection.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first())


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    registry = _Databases(tmp_path_factory.mktemp("db"))
    yield registry
    registry.close()


@pytest.fixture
def db_backend(request):
    return request.param


@pytest.fixture
def database_url(databases, db_backend):
    url = databases.url_for(db_backend)
    databases.clean(db_backend)
    return url


# --- app, client, auth -------------------------------------------------------------------------


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module to change settings for every test there."""
    return {}


def base_settings(database_url: str, tmp_path: Path) -> dict:
    """The settings every test app starts from (the quality crawl builds its module-wide app from them too)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search_index"),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Like rate limits, spam heuristics would trip over tests that post the same text quickly;
        # tests/services/test_moderation_spam.py turns them on.
        "SPAM_CHECKS_ENABLED": False,
        "JOBS_RAISE": True,
        "JOBS_RUN_IMMEDIATELY": True,
        "SEED_DEMO": False,
        "LOG_LEVEL": "WARNING",
        "PASSWORD_HASH_FAST": True,
    }


@pytest.fixture
def app(database_url, tmp_path, app_overrides):
    settings = base_settings(database_url, tmp_path)
    settings.update(app_overrides)
    application = create_app(settings)
    with application.app_context():
        yield application
        db.session.remove()
    forget_app(application)


def forget_app(application) -> None:
    """After a test app's context: its pending writes dropped, its connections closed."""
    # Cached-search hits are written by a thread up to 5 s later: into the next test's database, or
    # into one already dropped at the end of the run. Forget them with the app.
    from community.search import query_log as search_hits

    application.extensions.pop(search_hits.PENDING_KEY, None)
    application.extensions["community.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Sign a user in or out of the test client. `sign_in` skips the form for speed; the auth tests
    drive the real form."""

    def __init__(self, client) -> None:
        self.client = client

    def sign_in(self, user) -> None:
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        _forget_loaded_user()

    def sign_out(self) -> None:
        with self.client.session_transaction() as session:
            session.clear()
        _forget_loaded_user()


def _forget_loaded_user() -> None:
    # Requests reuse the test's app context, so Flask-Login's per-request user cache (g._login_user)
    # would otherwise keep the previous user across a sign-in switch.
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_login_user", None)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def published(monkeypatch):
    """Notification events services publish, captured instead of delivered: [(kind, ids)]."""
    from community.services import notifications

    events = []
    monkeypatch.setattr(notifications, "publish", lambda kind, **ids: events.append((kind, ids)))
    return events


@pytest.fixture
def make_user(app):
    return factories.make_user


@pytest.fixture
def make_category(app):
    return factories.make_category


@pytest.fixture
def make_thread(app):
    return factories.make_thread


@pytest.fixture
def make_post(app):
    return factories.make_post


class CountedQueries:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def n(self) -> int:
        return len(self.statements)


@pytest.fixture
def query_counter(app):
    """`with query_counter() as counted: client.get(...)`, then `counted.n` is the number of SQL
    statements the app's engine ran inside the block (for N+1 tests)."""
    from contextlib import contextmanager

    from sqlalchemy import event

    engine = app.extensions["community.engine"]

    @contextmanager
    def counting():
        counted = CountedQueries()

        def record(_conn, _cursor, statement, *_args) -> None:
            counted.statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield counted
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


# --- real servers on 127.0.0.1 -----------------------------------------------------------------


class LiveServer:
    def __init__(self, app) -> None:
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, with CSRF on, as a browser sees it."""
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["JOBS_RUN_IMMEDIATELY"] = False
    server = LiveServer(app).start()
    yield server
    server.stop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    require_service(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


class CapturedMail:
    def __init__(self) -> None:
        self.messages: list = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    handler = CapturedMail()
    handler.host, handler.port = "127.0.0.1", free_port()
    controller = Controller(handler, hostname=handler.host, port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def redis_url():
    """The real Redis at 127.0.0.1:6379 (skips outside CI when it is not running)."""
    require_service(_port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
    return REDIS_URL
