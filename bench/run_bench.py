"""`make bench`: seed a community of production size, serve it with gunicorn, load it with wrk.

For each database (PostgreSQL, SQLite): create a fresh database, migrate, bulk seed (timed), count
queries per page in-process, then serve it with gunicorn (gunicorn.conf.py, as in production) and
run wrk against each page. A bare Flask app under the same gunicorn configuration gives the ceiling
every page is compared with. Everything it starts (gunicorn, databases) is removed in finally blocks.

Environment: BENCH_SCALE (1.0 = 1,000,000 posts), BENCH_DURATION (seconds per page, 10),
BENCH_WARMUP (seconds, 2), BENCH_CONNECTIONS (32), BENCH_BACKENDS ("postgres,sqlite"),
BENCH_PG_ADMIN_URL, BENCH_SEARCH_INDEX (backends whose search index is built, "postgres"; the
others answer from an empty index), BENCH_KEEP=1 keeps the databases for a look afterwards,
BENCH_PAGE_CACHE ("on,off": one gunicorn pass per setting of COMMUNITY_PAGE_CACHE_ENABLED),
BENCH_REUSE=1 serves the databases a BENCH_KEEP=1 run of the same scale left instead of seeding again,
BENCH_PAGES (page labels separated by ";", e.g. "home;home, signed in"; all pages when unset) measures only those.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
import platform
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.seed.bulk import SeedReport, SeedSize, bulk_seed  # noqa: E402

OUT = ROOT / "bench_out"
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"
LUA = Path(__file__).with_name("report.lua")
SECRET = "bench-secret-key-not-for-production"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = "parley_bench"
SEARCH_TERM = "invoice"
THREAD_TARGET, FLOOR_TARGET, RSS_TARGET_MB = 0.5, 0.25, 150
# Seconds gunicorn gets to answer its first request (workers import the app; slow on a busy box).
START_TIMEOUT = float(os.environ.get("BENCH_START_TIMEOUT", "240"))


@dataclass(frozen=True)
class Options:
    scale: float = float(os.environ.get("BENCH_SCALE", "1.0"))
    duration: int = int(os.environ.get("BENCH_DURATION", "10"))
    warmup: int = int(os.environ.get("BENCH_WARMUP", "2"))
    connections: int = int(os.environ.get("BENCH_CONNECTIONS", "32"))
    backends: tuple[str, ...] = tuple(os.environ.get("BENCH_BACKENDS", "postgres,sqlite").split(","))
    keep: bool = os.environ.get("BENCH_KEEP") == "1" or os.environ.get("BENCH_REUSE") == "1"
    # Serve the databases a BENCH_KEEP=1 run left (bench_out/seed-<backend>.json) instead of seeding.
    reuse: bool = os.environ.get("BENCH_REUSE") == "1"
    # Whoosh indexes ~75 threads a second here, so a full-scale SQLite index would take most of
    # the half hour; by default only PostgreSQL's search gets a real index.
    search_index: tuple[str, ...] = tuple(os.environ.get("BENCH_SEARCH_INDEX", "postgres").split(","))
    # Each pass serves every page: "on" as deployed (anonymous pages from the page cache), "off"
    # what a cache miss costs (every request renders).
    page_cache: tuple[str, ...] = tuple(os.environ.get("BENCH_PAGE_CACHE", "on,off").split(","))
    # Labels of the pages to measure; empty means every page.
    pages: tuple[str, ...] = tuple(label.strip() for label in os.environ.get("BENCH_PAGES", "").split(";") if label.strip())

    def seed_size(self) -> SeedSize:
        return SeedSize(
            posts=max(2_000, int(1_000_000 * self.scale)), threads=max(100, int(100_000 * self.scale)),
            categories=30, users=max(100, int(50_000 * self.scale)),
        )


@dataclass
class Load:
    """One wrk run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    not_200: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Page:
    label: str
    path: str
    signed_in: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    queries: int | None = None
    status: int | None = None
    load: Load | None = None
    missing: str = ""  # why the page was not measured


@dataclass
class BackendResult:
    name: str
    seed: SeedReport | None = None
    pages: list[Page] = field(default_factory=list)  # the last pass's pages
    passes: list[tuple[str, list[Page]]] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    index_seconds: float | None = None
    error: str = ""


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn with the repository's gunicorn.conf.py, bound to a free port on 127.0.0.1."""

    def __init__(self, app_spec: str, env: dict[str, str], log_name: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = OUT / f"gunicorn-{log_name}.log"
        self.access_log = OUT / f"gunicorn-{log_name}-access.log"
        env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_ACCESSLOG": str(self.access_log)}
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", str(ROOT / "gunicorn.conf.py"), app_spec],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )

    def wait_ready(self, path: str = "/", timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                httpx.get(self.url + path, timeout=5)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s; see {self.log}")

    def settle(self, path: str, timeout: float = 120) -> None:
        """Wait until requests left over from the previous run are done.

        wrk stops at its deadline, but gunicorn still works through the requests it accepted; a
        slow page would otherwise eat into the next page's run.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                httpx.get(self.url + path, timeout=timeout)
            except httpx.TransportError:
                pass
            if time.monotonic() - started < 0.25:
                return

    def worker_rss_mb(self) -> list[tuple[float, float]]:
        return [rss_mb(pid) for pid in child_pids(self.process.pid)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log_name: str, ready_path: str = "/") -> Iterator[Gunicorn]:
    server = Gunicorn(app_spec, env, log_name)
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()


def child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return sorted(children)


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS and its anonymous part (the rest is mapped files: libraries, mmapped search indexes)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status.get("RssAnon", "0 kB").split()[0]) / 1024


def run_wrk(url: str, seconds: int, connections: int, cookie: str | None = None,
            headers: dict[str, str] | None = None) -> Load:
    # A 10 s timeout (wrk's default is 2 s) so slow pages get latencies, not just socket errors.
    command = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(LUA), url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    for name, value in (headers or {}).items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    figures = dict(item.split("=") for item in line.split()[1:])
    return Load(
        requests=int(figures["requests"]), seconds=int(figures["duration_us"]) / 1e6,
        p50_ms=int(figures["p50_us"]) / 1000, p99_ms=int(figures["p99_us"]) / 1000,
        not_200=int(figures["not_200"]), socket_errors=int(figures["socket_errors"]),
    )


def measure(server: Gunicorn, page: Page, options: Options, cookie: str | None, idle_path: str) -> None:
    url = server.url + page.path
    server.settle(idle_path)
    if options.warmup:
        run_wrk(url, options.warmup, options.connections, cookie, page.headers)
    page.load = run_wrk(url, options.duration, options.connections, cookie, page.headers)


# --- databases ----------------------------------------------------------------------------------


@contextmanager
def bench_database(backend: str, options: Options) -> Iterator[str]:
    try:
        with _database(backend, options) as url:
            yield url
    finally:
        if not options.keep:
            shutil.rmtree(OUT / f"search_index_{backend}", ignore_errors=True)


@contextmanager
def _database(backend: str, options: Options, sqlite_name: str = "bench.db", pg_name: str = PG_BENCH_DB) -> Iterator[str]:
    """A fresh, empty database for one bench run (other benches pass their own names)."""
    if backend == "sqlite":
        path = OUT / sqlite_name
        _remove_sqlite(path)
        try:
            yield f"sqlite:///{path}"
        finally:
            if not options.keep:
                _remove_sqlite(path)
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{pg_name}"'))
    try:
        yield pg_database_url(pg_name)
    finally:
        if not options.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()


def pg_database_url(name: str) -> str:
    """A database on the server PG_ADMIN_URL points at."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def app_settings(backend: str, database_url: str) -> dict[str, str]:
    """The settings both the in-process app and gunicorn's workers get (as COMMUNITY_* there).

    Search runs where each deployment would run it: PostgreSQL full text next to PostgreSQL,
    Whoosh next to SQLite.
    """
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(OUT / "instance"),
        "SEARCH_BACKEND": "postgres" if backend == "postgres" else "whoosh",
        "SEARCH_INDEX_DIR": str(OUT / f"search_index_{backend}"),
        "LOG_LEVEL": "WARNING",
        "SEED_DEMO": "0",
        # Periodic jobs (rollups over 1M posts) would run during the measurements.
        "SCHEDULER": "off",
    }


# --- pages --------------------------------------------------------------------------------------


def pages_for(app, seed: SeedReport) -> list[Page]:
    from community.models import Thread

    per_page_threads = app.config["THREADS_PER_PAGE"]
    per_page_posts = app.config["POSTS_PER_PAGE"]
    deep = min(500, max(1, -(-seed.busiest_category_threads // per_page_threads)))
    long_thread = db.session.get(Thread, seed.long_thread_id)
    twenty = db.session.get(Thread, seed.twenty_post_thread_ids[0]) if seed.twenty_post_thread_ids else long_thread
    last_page = -(-(long_thread.reply_count + 1) // per_page_posts)
    category = f"/c/{seed.busiest_category_slug}"
    return [
        Page("home", "/"),
        Page("category, page 1", category),
        Page(f"category, page {deep}", f"{category}?page={deep}"),
        Page(f"thread, {twenty.reply_count + 1} posts", f"/t/{twenty.id}-{twenty.slug}"),
        Page(f"1,000-post thread, last page ({last_page})", f"/t/{long_thread.id}-{long_thread.slug}?page={last_page}"),
        Page("search", f"/search?q={SEARCH_TERM}"),
        Page("widget JSON", f"/embed/w/{bench_widget(app)}.json", headers={"Origin": WIDGET_ORIGIN}),
        Page("home, signed in", "/", signed_in=True),
    ]


WIDGET_ORIGIN = "https://brand.example"


def bench_widget(app) -> int:
    """A "latest threads" widget on the brand's site, made through the service by the seeded admin."""
    from sqlalchemy import select

    from community.models import Role, User
    from community.widgets import service as widgets

    admin = db.session.scalar(select(User).where(User.role == Role.admin).limit(1))
    form = {"name": "Bench", "kind": "latest", "item_count": "10", "allowed_origins": WIDGET_ORIGIN}
    return widgets.create_widget(admin, form).id


def build_search_index(backend: str) -> float:
    from community.search.upkeep import rebuild_index

    started = time.perf_counter()
    count = rebuild_index()
    seconds = time.perf_counter() - started
    print(f"[{backend}] search index: {count:,} threads in {seconds:.1f}s", flush=True)
    return seconds


def session_cookie(app, user_id: int) -> str:
    """A valid signed session for a user, made with the app's own session interface."""
    from community.models import User

    from flask import session
    from flask_login import login_user

    # The session a sign-in from wrk (127.0.0.1, no User-Agent) leaves, with the CSRF token Flask-WTF
    # keeps after the first page: without Flask-Login's client identifier or that token, every
    # signed-in response wrote a new session cookie, which a browser's requests do not.
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        login_user(db.session.get(User, user_id))
        value = app.session_interface.get_signing_serializer(app).dumps(
            {**session, "csrf_token": secrets.token_hex(20)}
        )
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def count_queries(app, pages: list[Page], cookie: str) -> None:
    """Queries per request, counted by an engine listener while the test client fetches each page."""
    from sqlalchemy import event

    counter = {"n": 0}

    def count(*_args) -> None:
        counter["n"] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    cache = app.config["PAGE_CACHE_ENABLED"]
    app.config["PAGE_CACHE_ENABLED"] = False  # what a render costs, not a cache hit
    try:
        for page in pages:
            if page.missing:
                continue
            client = app.test_client()
            if page.signed_in:
                client.set_cookie(*cookie.split("=", 1), domain="localhost")
            client.get(page.path)  # first request fills per-process caches
            counter["n"] = 0
            page.status = client.get(page.path).status_code
            page.queries = counter["n"]
    finally:
        app.config["PAGE_CACHE_ENABLED"] = cache
        event.remove(engine, "before_cursor_execute", count)


# --- the run ------------------------------------------------------------------------------------


def seed_record(backend: str) -> Path:
    return OUT / f"seed-{backend}.json"


def save_seed(backend: str, seed: SeedReport, index_seconds: float | None) -> None:
    record = {"seed": dataclasses.asdict(seed), "index_seconds": index_seconds}
    seed_record(backend).write_text(json.dumps(record))


def load_seed(backend: str) -> tuple[SeedReport, float | None] | None:
    path = seed_record(backend)
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    seed = record["seed"]
    seed["size"] = SeedSize(**seed["size"])
    return SeedReport(**seed), record["index_seconds"]


@contextmanager
def kept_database(backend: str) -> Iterator[str]:
    """The database a BENCH_KEEP=1 run left, as _database named it; nothing is created or dropped."""
    yield f"sqlite:///{OUT / 'bench.db'}" if backend == "sqlite" else pg_database_url(PG_BENCH_DB)


def run_backend(backend: str, options: Options) -> BackendResult:
    result = BackendResult(backend)
    kept = load_seed(backend) if options.reuse else None
    if kept is not None and kept[0].size != options.seed_size():
        kept = None
    with (kept_database(backend) if kept else bench_database(backend, options)) as url:
        settings = app_settings(backend, url)
        app = create_app(settings)
        with app.app_context():
            migrate.upgrade(db.engine)
            if kept:
                result.seed, result.index_seconds = kept
                print(f"[{backend}] reusing the kept database: {result.seed.summary()}", flush=True)
            else:
                seed_record(backend).unlink(missing_ok=True)
                print(f"[{backend}] seeding {options.seed_size()} ...", flush=True)
                result.seed = bulk_seed(db.engine, options.seed_size())
                print(f"[{backend}] {result.seed.summary()}", flush=True)
                if backend in options.search_index:
                    result.index_seconds = build_search_index(backend)
                if options.keep:
                    save_seed(backend, result.seed, result.index_seconds)
            result.pages = [page for page in pages_for(app, result.seed)
                            if not options.pages or page.label in options.pages]
            cookie = session_cookie(app, result.seed.first_user_id + 4)  # a verified customer
            count_queries(app, result.pages, cookie)
            db.session.remove()
        app.extensions["community.engine"].dispose()
        env = {f"COMMUNITY_{key}": value for key, value in settings.items()}
        for mode in options.page_cache:
            pages = copy.deepcopy(result.pages)
            result.passes.append((mode, pages))
            env["COMMUNITY_PAGE_CACHE_ENABLED"] = "1" if mode == "on" else "0"
            try:
                with gunicorn("wsgi:app", env, f"{backend}-cache-{mode}", ready_path="/healthz") as server:
                    for page in pages:
                        if not page.missing:
                            print(f"[{backend}] page cache {mode}: wrk {page.label} ...", flush=True)
                            measure(server, page, options, cookie if page.signed_in else None, "/healthz")
                    result.rss_mb = server.worker_rss_mb()
            except RuntimeError as error:  # keep the other pass's figures
                for page in pages:
                    if page.load is None and not page.missing:
                        page.missing = f"not measured: {error}"
    return result


def bare_ceiling(options: Options) -> Load:
    with gunicorn("bench.bare_app.app:app", {}, "bare") as server:
        page = Page("bare Flask, 2 KB template", "/")
        measure(server, page, options, None, "/")
        return page.load


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def conditions(options: Options) -> str:
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )
    size = options.seed_size()
    return "\n".join([
        f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {platform.system()}",
        f"server: gunicorn {conf['worker_class']}, {conf['workers']} workers x {conf['threads']} threads, "
        f"max_requests {conf['max_requests']}, access log to a file (gunicorn.conf.py)",
        f"load: wrk -t2 -c{options.connections}, {options.duration}s per page after {options.warmup}s warm-up, "
        f"on the same machine as the server (they share the cores); load average at start {loadavg()}",
        f"data: scale {options.scale}: {size.posts:,} posts, {size.threads:,} threads, "
        f"{size.categories} categories, {size.users:,} users",
    ])


def report(result: BackendResult, ceiling: Load) -> str:
    lines = [f"== {result.name} =="]
    if result.error:
        return "\n".join([*lines, f"FAILED: {result.error}"])
    lines.append(result.seed.summary())
    index = "not built: search answers from an empty index" if result.index_seconds is None else f"{result.index_seconds:.1f}s"
    lines.append(f"search index rebuild: {index}")
    for mode, pages in result.passes or [("on", result.pages)]:
        lines.append(f"-- page cache {mode} (queries: per uncached render, counted in-process) --")
        lines.append(f"{'page':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8} {'x bare':>7} {'queries':>7}")
        for page in pages:
            lines.append(_page_line(page, ceiling))
    worst = max((rss for rss, _anon in result.rss_mb), default=0)
    verdict = "ok" if worst <= RSS_TARGET_MB else f"ABOVE {RSS_TARGET_MB} MB TARGET"
    sizes = ", ".join(f"{rss:.0f} ({anon:.0f} anon)" for rss, anon in result.rss_mb)
    lines.append(f"VmRSS per worker after load, MB: {sizes} ({verdict})")
    lines.append(f"load average after the run: {loadavg()}")
    return "\n".join(lines)


def _page_line(page: Page, ceiling: Load) -> str:
    if page.missing:
        return f"{page.label:44} {page.missing}"
    load = page.load
    ratio = load.rps / ceiling.rps if ceiling.rps else 0.0
    target = THREAD_TARGET if page.label.startswith("thread") else FLOOR_TARGET
    flag = "" if ratio >= target else f"  BELOW {target} TARGET"
    status = "" if page.status == 200 else f"  (in-process status {page.status})"
    errors = f"  socket errors {load.socket_errors}" if load.socket_errors else ""
    p50, p99 = (f"{load.p50_ms:8.1f}", f"{load.p99_ms:8.1f}") if load.requests else (f"{'-':>8}", f"{'-':>8}")
    return (
        f"{page.label:44} {load.rps:8.1f} {p50} {p99} {load.not_200:8d} "
        f"{ratio:7.2f} {page.queries if page.queries is not None else '-':>7}{flag}{status}{errors}"
    )


def main() -> int:
    options = Options()
    OUT.mkdir(exist_ok=True)
    setting = conditions(options)
    print(setting, flush=True)
    started = time.perf_counter()
    ceiling = bare_ceiling(options)
    print(f"bare Flask ceiling: {ceiling.rps:.0f} req/s, p50 {ceiling.p50_ms:.1f} ms, "
          f"p99 {ceiling.p99_ms:.1f} ms, non-200 {ceiling.not_200}", flush=True)
    results = []
    for backend in options.backends:
        try:
            results.append(run_backend(backend, options))
        except Exception as error:  # one backend failing should still report the other
            traceback.print_exc()
            results.append(BackendResult(backend, error=f"{type(error).__name__}: {error}"))
        print(report(results[-1], ceiling), flush=True)
    print(f"\n==== summary (total {time.perf_counter() - started:.0f}s) ====")
    print(setting)
    print(f"bare Flask ceiling: {ceiling.rps:.0f} req/s (p50 {ceiling.p50_ms:.1f} ms, p99 {ceiling.p99_ms:.1f} ms)")
    for result in results:
        print(report(result, ceiling))
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
