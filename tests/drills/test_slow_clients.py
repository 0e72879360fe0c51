"""Drill: slow clients (slowloris) against the documented proxy setup, deploy/nginx-parley.conf.

Straight at gunicorn, a handful of connections that trickle their headers hold every worker
thread and normal visitors wait (the control). Behind nginx, which buffers whole requests before
passing them on, a hundred such connections cost nginx a little memory and normal requests are
served as usual.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from bench.live_fanout import write_nginx_conf

from ..conftest import free_port, require_service
from .servers import wait_until

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]  # one worker, one cluster, one drill at a time

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class SlowClients:
    """Connections that send a request line, then one more header line every second, forever."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        n = 0
        while not self.stop.wait(1.0):
            n += 1
            for sock in list(self.sockets):
                try:
                    sock.sendall(f"X-Slow-{n}: a\r\n".encode())
                except OSError:
                    self.sockets.remove(sock)  # the server gave up on it: that is its right

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


class Nginx:
    def __init__(self, upstream_port: int, edit=None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parley-drill-nginx-"))
        self.port = free_port()
        config = write_nginx_conf(self.dir, self.port, upstream_port)
        if edit is not None:
            edit(self.dir, config)  # another drill's folders filled in before nginx reads the files
        self.process = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200, what="nginx proxying")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def served(url: str, timeout: float) -> bool:
    try:
        return httpx.get(url, timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def test_slow_clients_starve_bare_gunicorn_but_not_gunicorn_behind_nginx(make_site):
    require_service(Path(NGINX).exists(), "nginx (make nginx)")
    site = make_site(users=1, threads=1)
    # Few threads on purpose: the point is what slow clients do to a fixed number of them.
    server = site.serve(workers=1, threads=2, PROXY_FIX_HOPS="1")
    proxy = Nginx(server.port)
    try:
        # Control: straight at gunicorn, 20 trickling connections take every thread.
        direct = SlowClients(server.port, 20)
        try:
            time.sleep(2)
            starved = not served(f"{server.url}/healthz", timeout=4)
        finally:
            direct.close()
        wait_until(lambda: served(f"{server.url}/healthz", timeout=5), timeout=60, what="gunicorn free again")
        assert starved, "bare gunicorn answered despite the slow clients: the control shows nothing"

        slow = SlowClients(proxy.port, 100)
        try:
            time.sleep(2)
            open_during = len(slow.sockets)
            # nginx drops them after client_header_timeout (10 s); these requests come well before.
            answers = [served(f"{proxy.url}{path}", timeout=20) for path in ("/healthz", "/", "/latest")]
        finally:
            slow.close()
        assert open_during >= 90, "the slow clients were not held open, so the drill proved nothing"
        assert all(answers), answers
    finally:
        proxy.close()
