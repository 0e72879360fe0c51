"""The scale-out shape of live updates, started for a drill or the bench: parley-live and nginx
(deploy/nginx-parley.conf, ports filled in) in front of a running gunicorn, plus the two probes:

- `fanout(...)`: N EventSource-like subscribers (aiohttp, one event loop in a thread) on one
  thread's channel through nginx; the caller posts replies; each subscriber's arrival time for each
  reply. Latency = arrival - the time Redis stamped into the event id at XADD (same machine, same
  clock), so it is the fan-out alone: Redis -> parley-live -> nginx -> subscriber.
- `busy_threads_config(folder)`: a gunicorn config that is the repository's gunicorn.conf.py plus
  pre_request/post_request hooks counting requests in flight per worker (written to
  folder/busy-<pid>: "now peak"). A subscriber held by gunicorn would count as a busy thread.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_CONF = ROOT / "deploy" / "nginx-parley.conf"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


BUSY_HOOKS = '''
# --- bench/live_fanout.py: requests in flight per worker -------------------------------------
import threading as _threading

_busy_lock = _threading.Lock()
_busy = [0, 0]  # now, peak


def _busy_write():
    with open(f"{_BUSY_DIR}/busy-{os.getpid()}", "w") as out:
        out.write(f"{_busy[0]} {_busy[1]}")


def pre_request(worker, req):
    with _busy_lock:
        _busy[0] += 1
        _busy[1] = max(_busy[1], _busy[0])
        _busy_write()


def post_request(worker, req, environ, resp):
    with _busy_lock:
        _busy[0] -= 1
        _busy_write()
'''


def busy_threads_config(folder: Path) -> Path:
    config = folder / "gunicorn_busy.conf.py"
    base = (ROOT / "gunicorn.conf.py").read_text()
    config.write_text(base + f"\n_BUSY_DIR = {str(folder)!r}\n" + BUSY_HOOKS)
    return config


def busy_threads(folder: Path) -> tuple[int, int]:
    """(requests in flight now over all workers, the highest any one worker reached)."""
    now = peak = 0
    for path in folder.glob("busy-*"):
        try:
            current, most = map(int, path.read_text().split())
        except ValueError:
            continue
        now += current
        peak = max(peak, most)
    return now, peak


def write_nginx_conf(folder: Path, port: int, app_port: int, live_port: int | None = None,
                     worker_connections: int = 1024) -> Path:
    """deploy/nginx-parley.conf with its ports filled in, in a standalone nginx.conf under `folder`
    (also tests/drills/test_slow_clients.py's proxy)."""
    site = SITE_CONF.read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    if live_port is not None:
        site = site.replace("server 127.0.0.1:8001;", f"server 127.0.0.1:{live_port};")
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{port};", site)
    (folder / "parley.conf").write_text(site)
    config = folder / "nginx.conf"
    config.write_text(
        f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"worker_rlimit_nofile {worker_connections * 2};\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        f"http {{ access_log off; client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;\n"
        f"  include {folder}/parley.conf; }}\n"
    )
    return config


class LiveStack:
    """parley-live and nginx for a gunicorn on `app_port`, with the app's COMMUNITY_* `env`."""

    def __init__(self, env: dict[str, str], app_port: int, worker_connections: int = 4096) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parley-live-"))
        self.live_port, self.port = _free_port(), _free_port()
        self.live_url = f"http://127.0.0.1:{self.live_port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.live_log = open(self.dir / "parley-live.log", "wb")
        self.live = subprocess.Popen(
            [sys.executable, "-m", "community.live.server", "--bind", f"127.0.0.1:{self.live_port}"],
            cwd=ROOT, env={**os.environ, **env}, stdout=self.live_log, stderr=subprocess.STDOUT,
        )
        write_nginx_conf(self.dir, self.port, app_port, self.live_port, worker_connections)
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: httpx.get(f"{self.live_url}/live/health", timeout=2).status_code == 200, 30, "parley-live")
        _wait(lambda: httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200, 30, "nginx proxying")

    def subscribers(self) -> int:
        return httpx.get(f"{self.live_url}/live/health", timeout=5).json()["subscribers"]

    def close(self) -> None:
        for process in (self.nginx, self.live):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.live_log.close()
        if os.environ.get("BENCH_LIVE_KEEP"):
            print(f"kept {self.dir} (nginx error.log, parley-live.log)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Fanout:
    subscribers: int
    posts: list[int] = field(default_factory=list)
    # subscriber -> post id -> seconds from XADD to arrival
    latencies: dict[int, dict[int, float]] = field(default_factory=dict)
    connected: int = 0

    def delivered(self) -> int:
        return sum(1 for seen in self.latencies.values() for post in self.posts if post in seen)

    def expected(self) -> int:
        return self.subscribers * len(self.posts)

    def values(self) -> list[float]:
        return sorted(seen[post] for seen in self.latencies.values() for post in self.posts if post in seen)

    def percentile(self, p: float) -> float:
        values = self.values()
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")

    def within(self, seconds: float) -> int:
        return sum(1 for value in self.values() if value <= seconds)


def _xadd_seconds(event_id: str) -> float:
    return int(event_id.split("-", 1)[0]) / 1000


async def _subscriber(session, url: str, index: int, result: Fanout, ready: asyncio.Event, total: int) -> None:
    import aiohttp

    seen = result.latencies.setdefault(index, {})
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=None, sock_read=None)) as response:
            if response.status != 200:
                return
            result.connected += 1
            if result.connected == total:
                ready.set()
            async for raw in response.content:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event.get("kind") == "reply":
                        seen[event["post"]] = time.time() - _xadd_seconds(event["id"])
    except (asyncio.CancelledError, aiohttp.ClientError):
        pass


def fanout(stream_url: str, subscribers: int, post_replies, settle: float = 3.0, connect_timeout: float = 60) -> Fanout:
    """Open `subscribers` streams at `stream_url`, then call `post_replies()` (which returns the
    new post ids), then wait until every subscriber has them all or `settle` seconds pass."""
    import aiohttp

    result = Fanout(subscribers)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: dict = {}

    async def run() -> None:
        connected = asyncio.Event()
        stop["event"] = asyncio.Event()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            tasks = [asyncio.create_task(_subscriber(session, stream_url, i, result, connected, subscribers))
                     for i in range(subscribers)]
            await asyncio.wait_for(connected.wait(), connect_timeout)
            ready.set()
            await stop["event"].wait()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(run()), daemon=True)
    thread.start()
    if not ready.wait(connect_timeout + 5):
        raise TimeoutError(f"only {result.connected} of {subscribers} subscribers connected")
    try:
        result.posts = list(post_replies())
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and result.delivered() < result.expected():
            time.sleep(0.05)
    finally:
        loop.call_soon_threadsafe(lambda: stop["event"].set() if "event" in stop else None)
        thread.join(timeout=15)
    return result
