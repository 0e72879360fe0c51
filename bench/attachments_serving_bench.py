"""Attachment serving benchmark (`make bench-attachments`, after the upload figures): figures printed,
never asserted.

GET /attachments/<id>/<name> of a BENCH_SERVING_KB (100) KB JPEG on a reply in a thread everyone may
read, fetched by a signed-in member (a session cookie as a browser holds it), from the local folder,
behind nginx (deploy/nginx-parley.conf, ports and folders filled in) in front of gunicorn as the
drills start it (tests/drills/servers.py; gunicorn.conf.py's workers and threads unless
BENCH_WORKERS / BENCH_THREADS), on SQLite. Next to it, under the same nginx, the ceilings:
- nginx sending the very same file as a static file (no permission check: nothing can be faster);
- the bare Flask app (bench/bare_app: a 2 KB page, no database): what any Flask answer costs here.
When the settings table has ATTACHMENT_ACCEL_REDIRECT, a row with it on: Flask checks, nginx sends.

wrk -t2 -cBENCH_CONNECTIONS (32) for BENCH_DURATION (10) s per row after BENCH_WARMUP (2) s.
Prints a table (path, req/s, p50/p99, non-200 answers) and the load average at the start; the
figures mean something only on an otherwise idle machine. Prove it runs with BENCH_DURATION=1.
Everything lives in a temporary folder, and the servers are stopped, whatever happens.
"""
from __future__ import annotations

import http.client
import io
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.attachments_bench import noisy_jpeg  # noqa: E402
from bench.live_fanout import NGINX, write_nginx_conf  # noqa: E402
from bench.run_bench import Load, run_wrk, session_cookie  # noqa: E402
from community import create_app, migrate  # noqa: E402
from community.attachments.config import SETTINGS as ATTACHMENT_SETTINGS  # noqa: E402
from community.extensions import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.drills.servers import Gunicorn, free_port, wait_until  # noqa: E402
from tests.drills.test_attachment_serving import on_uploads  # noqa: E402

IMAGE_KB = float(os.environ.get("BENCH_SERVING_KB", 100))
DURATION = int(os.environ.get("BENCH_DURATION", 10))
WARMUP = int(os.environ.get("BENCH_WARMUP", 2))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", 32))
WORKERS = int(os.environ["BENCH_WORKERS"]) if os.environ.get("BENCH_WORKERS") else None
THREADS = int(os.environ["BENCH_THREADS"]) if os.environ.get("BENCH_THREADS") else None
SECRET = "bench-serving-secret"
ACCEL_PREFIX = "/_protected_uploads/"
STATIC_PREFIX = "/_bench_static/"
# Noise re-encoded at quality 88 keeps ~0.77 of the bytes of the quality 92 original.
REENCODE_RATIO = 0.77


@dataclass(frozen=True)
class Site:
    env: dict[str, str]  # gunicorn's environment
    uploads: Path
    path: str  # the attachment's URL path
    key: str  # its key in the local folder
    size: int
    cookie: str  # the reader's session


def seed(work: Path) -> Site:
    """A member's reply with the photo on it, in a thread of a public category; another member reads."""
    settings = {"DATABASE_URL": f"sqlite:///{work}/bench.db", "INSTANCE_PATH": str(work / "instance"),
                "UPLOAD_DIR": str(work / "uploads"), "SEARCH_INDEX_DIR": str(work / "index"), "SECRET_KEY": SECRET,
                "SEED_DEMO": "false", "LOG_LEVEL": "WARNING", "SCHEDULER": "off", "RATELIMIT_ENABLED": "false",
                "SPAM_CHECKS_ENABLED": "false", "PASSWORD_HASH_FAST": "true", "JOB_QUEUE": "inline"}
    app = create_app({**settings, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        migrate.upgrade(db.engine)
        author, reader = factories.make_user(), factories.make_user()
        thread = factories.make_thread(author=author, title="Serving bench thread")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = author.get_id(), True
        photo = noisy_jpeg(int(IMAGE_KB * 1024 / REENCODE_RATIO))
        sent = client.post("/attachments", data={"file": (io.BytesIO(photo), "photo.jpg")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
        assert sent.status_code == 201, sent.get_data(as_text=True)
        body = sent.get_json()
        assert client.post(f"/t/{thread.id}/reply", data={"body": f"Photo: {body['markdown']}"}).status_code == 302
        from community.models import Attachment

        attachment = db.session.get(Attachment, body["id"])
        assert attachment.post_id is not None, "the reply did not claim the upload"
        site = Site(env=_server_env(settings), uploads=work / "uploads", path=body["url"], key=attachment.storage_key,
                    size=attachment.size_bytes, cookie=session_cookie(app, reader.id))
        db.session.remove()
    app.extensions["community.engine"].dispose()
    return site


def _server_env(settings: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    env.update({f"COMMUNITY_{key}": value for key, value in settings.items()})
    env["COMMUNITY_PROXY_FIX_HOPS"] = "1"  # behind nginx, as deploy/nginx-parley.conf says
    return env


@contextmanager
def nginx(work: Path, app_port: int, uploads: Path) -> Iterator[str]:
    """deploy/nginx-parley.conf before `app_port`, its upload folder pointed at `uploads` and its
    workers in our group as the attachment drill does, plus a location sending that folder as
    plain static files (the ceiling); yields its base URL."""
    folder = Path(tempfile.mkdtemp(prefix="nginx-", dir=work))
    port = free_port()
    on_uploads(uploads)(folder, write_nginx_conf(folder, port, app_port))
    site = folder / "parley.conf"
    text = site.read_text()
    static = (f"    location {STATIC_PREFIX} {{\n        alias {uploads}/;\n        types {{ image/jpeg jpg; }}\n"
              "    }\n\n    location / {")
    site.write_text(text.replace("    location / {", static, 1))
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(url + STATIC_PREFIX + "missing", timeout=2).status_code == 404,
                   what="nginx answering")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def gunicorn(env: dict[str, str], **options) -> Iterator[Gunicorn]:
    server = Gunicorn(env, workers=WORKERS, threads=THREADS, **options).start()
    try:
        yield server
    finally:
        server.stop()


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET as wrk sends it: no User-Agent (the session's Flask-Login identifier has none)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", parts.path, headers={"Cookie": cookie} if cookie else {})
        answer = connection.getresponse()
        return answer.status, {name.lower(): value for name, value in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def check(url: str, site: Site, cookie: str | None = None) -> None:
    """Before any load: the URL answers 200 with the whole file, so wrk measures real answers; and
    the cookie is a signed-in member's (a page for members only answers 200, not a redirect)."""
    status, headers, body = get(url, cookie)
    assert status == 200 and len(body) == site.size, (url, status, len(body))
    assert headers["content-type"] == "image/jpeg", headers
    if cookie:
        base = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}"
        assert get(base + "/settings", cookie)[0] == 200, "the reader's session is not signed in"


def measure(url: str, cookie: str | None = None) -> Load:
    if WARMUP:
        run_wrk(url, WARMUP, CONNECTIONS, cookie)
    return run_wrk(url, DURATION, CONNECTIONS, cookie)


def accel_available() -> bool:
    """ATTACHMENT_ACCEL_REDIRECT is in the settings table and deploy/nginx-parley.conf has its location."""
    conf = (ROOT / "deploy" / "nginx-parley.conf").read_text()
    return "ATTACHMENT_ACCEL_REDIRECT" in ATTACHMENT_SETTINGS and f"location {ACCEL_PREFIX}" in conf


def parley_rows(work: Path, site: Site) -> list[tuple[str, Load]]:
    rows = []
    with gunicorn(site.env) as server, nginx(work, server.port, site.uploads) as proxy:
        static = proxy + STATIC_PREFIX + site.key
        check(static, site)
        rows.append(("nginx static file (no check; ceiling)", measure(static)))
        check(proxy + site.path, site, site.cookie)
        rows.append(("Parley via nginx: check, Flask sends", measure(proxy + site.path, site.cookie)))
    if accel_available():
        env = {**site.env, "COMMUNITY_ATTACHMENT_ACCEL_REDIRECT": ACCEL_PREFIX}
        with gunicorn(env) as server, nginx(work, server.port, site.uploads) as proxy:
            _status, headers, body = get(server.url + site.path, site.cookie)
            assert headers.get("x-accel-redirect", "").startswith(ACCEL_PREFIX) and not body, headers
            check(proxy + site.path, site, site.cookie)
            rows.append(("Parley via nginx: check, X-Accel-Redirect", measure(proxy + site.path, site.cookie)))
    return rows


def bare_row(work: Path, site: Site) -> tuple[str, Load]:
    with gunicorn(site.env, app="bench.bare_app.app:app", ready_path="/") as server, \
            nginx(work, server.port, site.uploads) as proxy:
        assert httpx.get(proxy + "/").status_code == 200
        return "bare Flask app via nginx (2 KB page)", measure(proxy + "/")


def table(rows: list[tuple[str, Load]]) -> str:
    lines = [f"{'path':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}"]
    for label, load in rows:
        lines.append(f"{label:<44} {load.rps:>8.0f} {load.p50_ms:>8.1f} {load.p99_ms:>8.1f} "
                     f"{load.not_200 + load.socket_errors:>8}")
    return "\n".join(lines)


def main() -> None:
    if not shutil.which("wrk") or not Path(NGINX).exists():
        sys.exit("needs wrk and nginx: make wrk nginx")
    started = " ".join(f"{value:.2f}" for value in os.getloadavg())
    with ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix="parley-bench-serving-"))
        cleanup.callback(shutil.rmtree, work, True)
        site = seed(work)
        shape = f"{WORKERS or 'gunicorn.conf.py'} workers x {THREADS or 'gunicorn.conf.py'} threads"
        print(f"attachment serving: {site.size / 1024:.0f} KB JPEG, signed-in reader, local folder, SQLite; "
              f"gunicorn {shape} behind nginx; wrk -t2 -c{CONNECTIONS} {DURATION} s (+{WARMUP} s warm-up); "
              f"load average at start {started}")
        rows = parley_rows(work, site)
        rows.append(bare_row(work, site))
        if not accel_available():
            print("(no X-Accel-Redirect row: ATTACHMENT_ACCEL_REDIRECT is not in the settings yet)")
        print(table(rows))
        print(f"load average at end {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
