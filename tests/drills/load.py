"""A small load driver for the drills: signed-in clients that read pages and post replies over
real HTTP (httpx), counting what the server answered."""
from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class SiteClient:
    """One browser-like session: cookies, a CSRF token, JSON answers for replies."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout, follow_redirects=False)
        self.csrf = ""

    def sign_in(self, email: str, password: str) -> None:
        page = self.http.get("/sign-in")
        token = CSRF_RE.search(page.text).group(1)
        answer = self.http.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})
        assert answer.status_code == 302, f"sign-in failed: {answer.status_code} {answer.text[:300]}"

    def load_csrf(self, path: str) -> None:
        self.csrf = CSRF_RE.search(self.http.get(path, follow_redirects=True).text).group(1)

    def reply(self, thread_id: int, body: str) -> httpx.Response:
        return self.http.post(f"/t/{thread_id}/reply", data={"csrf_token": self.csrf, "body": body},
                              headers={"Accept": "application/json"})

    def clone(self) -> "SiteClient":
        """Another connection in the same signed-in session (many clients, few sign-ins)."""
        twin = SiteClient(str(self.http.base_url), timeout=self.http.timeout.read or 30.0)
        twin.http.cookies = httpx.Cookies(self.http.cookies)
        twin.csrf = self.csrf
        return twin

    def close(self) -> None:
        self.http.close()


@dataclass
class Tally:
    """What the clients saw: status codes, replies the server confirmed, and failures by kind."""

    statuses: Counter = field(default_factory=Counter)
    confirmed: set = field(default_factory=set)  # reply bodies answered 201
    errors: Counter = field(default_factory=Counter)
    slow_failures: list = field(default_factory=list)  # seconds taken by failed requests
    latencies: list = field(default_factory=list)  # seconds taken by every answered request
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response | None, body: str | None = None, error: str | None = None,
               elapsed: float = 0.0) -> None:
        with self.lock:
            self.requests += 1
            if error is not None:
                self.errors[error] += 1
                self.slow_failures.append(elapsed)
                return
            self.statuses[response.status_code] += 1
            self.latencies.append(elapsed)
            if response.status_code >= 500:
                self.slow_failures.append(elapsed)
            if body is not None and response.status_code == 201:
                self.confirmed.add(body)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def timed(call):
    started = time.monotonic()
    try:
        return call(), None, time.monotonic() - started
    except httpx.HTTPError as error:
        return None, type(error).__name__, time.monotonic() - started


def run_clients(clients: list[SiteClient], step, seconds: float, tally: Tally) -> float:
    """Call `step(client, n, tally)` in a loop on one thread per client for `seconds`; returns req/s."""
    stop = threading.Event()

    def loop(client: SiteClient, index: int) -> None:
        n = 0
        while not stop.is_set():
            step(client, f"{index}-{n}", tally)
            n += 1

    threads = [threading.Thread(target=loop, args=(client, i), daemon=True) for i, client in enumerate(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return tally.requests / (time.monotonic() - started)
