"""Throwaway servers for the fault drills: a PostgreSQL cluster, a Redis and gunicorn, each on a
free port in a temporary folder, so a drill can stop, kill and restart them without touching the
shared services other tests use."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ..conftest import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Debian's server binaries, newest major version installed (initdb is not on PATH there).
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), default=Path("/nonexistent"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/sbin/redis-server"
VENV_BIN = Path(sys.executable).parent


def wait_until(check, timeout: float = 30.0, interval: float = 0.1, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # the server is still coming up
            pass
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s")


def _as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def postgres_available() -> bool:
    return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent`, read from /proc (gunicorn's workers, for a kill -9)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        # Field 4 is the parent pid; the command name (field 2) may hold spaces, so split after ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry.name))
    return pids


class PostgresCluster:
    """Its own initdb'd cluster: `stop()` and `start()` simulate the database going away."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parley-drill-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-sync"])

    def _run(self, command: list[str]) -> None:
        subprocess.run(_as_postgres_user() + command, check=True, capture_output=True, cwd=self.dir)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=150"
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                   "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def create_database(self, name: str) -> str:
        self._run([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
                   "-c", f'CREATE DATABASE "{name}"'])
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """Its own redis-server with an append-only file, so what was queued survives a restart."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parley-drill-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        wait_until(lambda: redis.Redis.from_url(self.url, socket_connect_timeout=1).ping(), what="redis up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """`gunicorn --config gunicorn.conf.py wsgi:app`, as `make serve-prod` runs it, on a free port."""

    def __init__(self, env: dict[str, str], workers: int | None = 2, threads: int | None = 4,
                 extra_args: list[str] | None = None, app: str = "wsgi:app", ready_path: str = "/healthz"):
        # `app` and `ready_path`: another WSGI app served the same way (the bare ceiling of the benches).
        self.app, self.ready_path = app, ready_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="parley-drill-gunicorn-"))
        # None keeps gunicorn.conf.py's own choice (workers = 2 x cores, 4 threads each).
        sizes = {"GUNICORN_WORKERS": workers, "GUNICORN_THREADS": threads}
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESSLOG": "/dev/null",
            **{name: str(value) for name, value in sizes.items() if value is not None},
        }
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        self.log = open(self.dir / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--config", "gunicorn.conf.py", *self.extra_args, self.app],
            cwd=PROJECT_ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        # Generous: on a busy 2-core box importing the app in each worker can take a minute.
        wait_until(lambda: httpx.get(f"{self.url}{self.ready_path}", timeout=2).status_code == 200, timeout=240,
                   what="gunicorn serving")
        return self

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return child_pids(self.process.pid)

    def log_text(self) -> str:
        return (self.dir / "gunicorn.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # SIGINT: quick shutdown; the drills have already checked what they needed.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def flask_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`flask community ...` against the drill's site, as an operator would run it."""
    return subprocess.run([str(VENV_BIN / "flask"), "community", *args], cwd=PROJECT_ROOT,
                          env={**env, "FLASK_APP": "wsgi:app"}, capture_output=True, text=True, timeout=timeout)
