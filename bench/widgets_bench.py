"""`make bench-widgets`: embed.js size, and the widget JSON endpoint under gunicorn + wrk.

Seeds a small SQLite community (the warm path serves from the widget cache, so the database size does
not matter), starts gunicorn with the repository's gunicorn.conf.py on a free 127.0.0.1 port, and loads
/embed/w/<id>.json with wrk at BENCH_CONNECTIONS (32) connections sending an allowed Origin header:
once with the in-process cache and, when Redis answers on 127.0.0.1:6379, once with the Redis cache.
Target: p99 <= 20 ms. gunicorn is stopped in a finally block.
"""
from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run_bench import LUA, OUT, WRK, Gunicorn, Load  # noqa: E402
from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402

ORIGIN = "https://brand.example"
SECRET = "bench-secret-key-not-for-production"
DURATION = int(os.environ.get("BENCH_DURATION", 10))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 32))
P99_TARGET_MS = 20.0
REDIS_URL = "redis://127.0.0.1:6379/0"


def embed_js_sizes() -> tuple[int, int]:
    raw = (ROOT / "static" / "embed.js").read_bytes()
    return len(raw), len(gzip.compress(raw, 9))


def seed(database: Path) -> dict[str, str]:
    settings = {"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": SECRET, "INSTANCE_PATH": str(OUT / "instance"),
                "SEARCH_INDEX_DIR": str(OUT / "search_index_widgets"), "LOG_LEVEL": "WARNING", "SEED_DEMO": "0",
                "SCHEDULER": "off"}
    app = create_app(settings)
    with app.app_context():
        migrate.upgrade(db.engine)
        ids = _content()
    return {**{f"COMMUNITY_{k}": v for k, v in settings.items()}, **ids}


def _content() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from community.models import Role
    from community.widgets import service as widgets
    from tests import factories
    from tests.widgets.helpers import verify

    category = factories.make_category(name="Help")
    for n in range(40):
        thread = factories.make_thread(category=category, title=f"How do I fix problem number {n}?")
        if n % 2:
            verify(thread)
    marketer = factories.make_user(role=Role.marketer)
    form = {"name": "Bench", "kind": "solved", "item_count": "10", "allowed_origins": ORIGIN}
    return {"WIDGET_ID": str(widgets.create_widget(marketer, form).id)}


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def load(url: str) -> Load:
    command = [WRK, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "10s", "--latency",
               "-H", f"Origin: {ORIGIN}", "-s", str(LUA), url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=DURATION + 60).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    figures = dict(item.split("=") for item in line.split()[1:])
    return Load(requests=int(figures["requests"]), seconds=int(figures["duration_us"]) / 1e6,
                p50_ms=int(figures["p50_us"]) / 1000, p99_ms=int(figures["p99_us"]) / 1000,
                not_200=int(figures["not_200"]), socket_errors=int(figures["socket_errors"]))


def run(env: dict[str, str], label: str) -> Load:
    path = f"/embed/w/{env['WIDGET_ID']}.json"
    server = Gunicorn("wsgi:app", env, f"widgets-{label}")
    try:
        server.wait_ready(path)
        for _ in range(50):  # warm every worker's cache
            assert httpx.get(server.url + path, headers={"Origin": ORIGIN}).status_code == 200
        return load(server.url + path)
    finally:
        server.stop()


def main() -> int:
    OUT.mkdir(exist_ok=True)
    raw, gzipped = embed_js_sizes()
    print(f"embed.js: {raw} bytes raw, {gzipped} bytes gzip (target <= 8192)")
    database = OUT / "widgets_bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = seed(database)
    modes = [("in-process", {**env, "COMMUNITY_JOB_QUEUE": "inline"})]
    if _redis_up():
        modes.append(("redis", {**env, "COMMUNITY_REDIS_URL": REDIS_URL, "COMMUNITY_RATELIMIT_ENABLED": "0"}))
    ok = gzipped <= 8192
    for label, mode_env in modes:
        result = run(mode_env, label)
        verdict = "ok" if result.p99_ms <= P99_TARGET_MS and not result.not_200 else "MISSED"
        ok = ok and verdict == "ok"
        print(f"widget JSON ({label} cache), wrk -t2 -c{CONNECTIONS} {DURATION}s: {result.rps:.0f} req/s, "
              f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, non-200 {result.not_200}, "
              f"socket errors {result.socket_errors} [{verdict}]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
