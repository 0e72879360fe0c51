"""CPU time per request, in-process: what the page cache and the widget fast path save.

Load generators on a shared machine measure the neighbours as much as the app; CPU time of this
process (time.process_time) per request does not. For each case the app's WSGI callable is called
directly BENCH_REQUESTS times (default 2000) with a prebuilt environ, after a warm-up:
- thread, home, category and search pages, anonymous: page cache off (every request renders), hits
  through Flask (before_request hook), and hits answered by the WSGI fast path before Flask;
- the home page signed in (a verified customer's session cookie holding a CSRF token, as a browser
  has it after its first page, so no response sets a cookie): CPU and SQL statements per request,
  rendered by Flask (the shared listing fragment cached as in production) and answered from the
  kept page (page_cache/signed_in.py);
- widget JSON: the WSGI fast path vs the Flask route behind it; and, when Redis answers, the fast
  path on the Redis cache with the per-process version memo vs a Redis GET of the version per hit
  (VERSION_SECONDS = 0), in CPU and wall time (wall time includes the round trip; load-dependent).
A small SQLite community (bench/widgets_bench.py's seed) is enough: hits and the fast path never
touch the database, and the renders are the same code as at 1M posts minus the query time.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.run_bench import OUT, session_cookie  # noqa: E402
from bench.widgets_bench import ORIGIN, REDIS_URL, _redis_up, seed  # noqa: E402
from community import create_app  # noqa: E402
from community.page_cache.anonymous import AnonymousPageFastPath  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))


def cpu_per_request(wsgi, environ: dict, expect: str = "200") -> float:
    statuses = []

    def start_response(status, _headers, _exc=None):
        statuses.append(status)

    def call():
        body = wsgi(dict(environ, **{"wsgi.input": environ["wsgi.input"]}), start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()

    for _ in range(20):
        call()
    assert statuses[-1].startswith(expect), statuses[-1]
    started = time.process_time()
    for _ in range(REQUESTS):
        call()
    return (time.process_time() - started) / REQUESTS * 1e6


def inner(wsgi, kind: type):
    """The first layer of `kind` in a chain of WSGI middleware (ProxyFix and the fast paths)."""
    while not isinstance(wsgi, kind):
        wsgi = getattr(wsgi, "wsgi_app", None) or wsgi.app
    return wsgi


def environ(path: str, headers: dict[str, str] | None = None) -> dict:
    # REMOTE_ADDR as a server sets it: Flask-Login ties a session to the client's address.
    return EnvironBuilder(path=path, base_url="http://127.0.0.1:8000", headers=headers or {},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()


def main() -> int:
    OUT.mkdir(exist_ok=True)
    database = OUT / "request_cpu_bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = seed(database)
    settings = {key.removeprefix("COMMUNITY_"): value for key, value in env.items() if key.startswith("COMMUNITY_")}
    app = create_app(settings)
    with app.app_context():
        from sqlalchemy import select

        from community.extensions import db
        from community.models import Category, Thread

        thread = db.session.scalar(select(Thread).order_by(Thread.id))
        category = db.session.scalar(select(Category).order_by(Category.id))
        pages = {"thread page": f"/t/{thread.id}-{thread.slug}", "home page": "/", "category page": f"/c/{category.slug}",
                 "search page": "/search?q=problem"}
    print(f"CPU time per request in one process (time.process_time, {REQUESTS} requests each, after warm-up); "
          f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    flask_path = inner(app.wsgi_app, AnonymousPageFastPath).wsgi_app
    for label, path in pages.items():
        app.config["PAGE_CACHE_ENABLED"] = False
        render = cpu_per_request(app.wsgi_app, environ(path))
        app.config["PAGE_CACHE_ENABLED"] = True
        hit = cpu_per_request(flask_path, environ(path))
        fast = cpu_per_request(app.wsgi_app, environ(path))
        print(f"  {label:14} render {render:7.0f} us   hit via Flask {hit:6.0f} us   hit via fast path {fast:5.0f} us"
              f"   ({render / fast:.0f}x render, {hit / fast:.1f}x Flask hit)")
    signed_in_home(app)
    widget = environ(f"/embed/w/{env['WIDGET_ID']}.json", {"Origin": ORIGIN})
    fast = cpu_per_request(app.wsgi_app, widget)
    route = cpu_per_request(flask_path, widget)  # the Flask app behind both fast paths
    print(f"  {'widget JSON':14} route  {route:7.0f} us   fast path      {fast:6.0f} us   ({route / fast:.1f}x)")
    if _redis_up():
        redis_widget_hits(settings, widget)
    return 0


def signed_in_home(app) -> None:
    from community.extensions import db
    from tests import factories

    with app.app_context():
        cookie = session_cookie(app, factories.make_user(email_verified=True).id)
        db.session.remove()
    home = environ("/", {"Cookie": cookie})
    app.config["PAGE_CACHE_ENABLED"] = True
    headers = response_headers(app.wsgi_app, home)
    assert "Set-Cookie" not in headers, headers
    figures = {}
    for kept in (False, True):  # rendered by Flask every time, then kept (page_cache/signed_in.py)
        app.config["PAGE_CACHE_SIGNED_IN"] = kept
        figures[kept] = (cpu_per_request(app.wsgi_app, home), queries_per_request(app, app.wsgi_app, home))
    (render, render_queries), (fast, fast_queries) = figures[False], figures[True]
    print(f"  {'home, signed in':14} render {render:7.0f} us ({render_queries} SQL)   "
          f"kept page via fast path {fast:5.0f} us ({fast_queries} SQL)   ({render / fast:.1f}x)")


def response_headers(wsgi, environ: dict) -> dict:
    seen = {}

    def start_response(status, headers, _exc=None):
        seen.update(headers, status=status)

    b"".join(wsgi(dict(environ), start_response))
    assert seen["status"].startswith("200"), seen["status"]
    return seen


def queries_per_request(app, wsgi, environ: dict) -> int:
    from sqlalchemy import event

    from community.extensions import db

    counted = []
    with app.app_context():
        engine = db.engine
    listener = lambda *_args: counted.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response_headers(wsgi, environ)  # fills per-process memos
        counted.clear()
        response_headers(wsgi, environ)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(counted)


def redis_widget_hits(settings: dict, widget: dict) -> None:
    from community.widgets import cache as widget_cache

    app = create_app({**settings, "REDIS_URL": REDIS_URL, "JOB_QUEUE": "inline", "RATELIMIT_ENABLED": False})
    bound = widget_cache.VERSION_SECONDS
    for label, seconds in (("version read per hit", 0.0), (f"version memo {bound:g} s", bound)):
        widget_cache.VERSION_SECONDS = seconds
        wall = time.perf_counter()
        cpu = cpu_per_request(app.wsgi_app, widget)
        wall = (time.perf_counter() - wall) / (REQUESTS + 20) * 1e6
        print(f"  {'widget, Redis':14} {label:22} CPU {cpu:5.0f} us   wall {wall:5.0f} us")
    widget_cache.VERSION_SECONDS = bound


if __name__ == "__main__":
    sys.exit(main())
