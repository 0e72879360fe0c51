"""Webhook fixtures: endpoints, a recording fake sender, and a real HTTP receiver on 127.0.0.1."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from community.extensions import db
from community.models import WebhookEndpoint
from community.webhooks import delivery as webhooks
from community.webhooks import signing
from community.webhooks.transport import SendResult

from ..conftest import free_port

SECRET = "whsec_test_secret"


@pytest.fixture
def app_overrides() -> dict:
    return {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True}


@pytest.fixture
def make_endpoint(app):
    def make(url: str = "http://127.0.0.1:9/hook", events=None, *, enabled: bool = True, secret: str = SECRET):
        endpoint = WebhookEndpoint(url=url, secret=secret, events=list(events or webhooks.EVENT_TYPES), enabled=enabled)
        db.session.add(endpoint)
        db.session.commit()
        return endpoint

    return make


class FakeSender:
    """Records what would be sent and answers with the next scripted status (default 200)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.statuses: list[int | None] = []

    def post(self, url, body, headers, timeout):
        self.sent.append({"url": url, "body": body, "headers": headers, "payload": json.loads(body)})
        status = self.statuses.pop(0) if self.statuses else 200
        if status is None:
            return SendResult(None, error="ConnectError: refused")
        return SendResult(status, excerpt="ok")

    def types(self) -> list[str]:
        return [item["payload"]["type"] for item in self.sent]


@pytest.fixture
def sender(app):
    fake = FakeSender()
    app.extensions["community.webhook_sender"] = fake
    return fake


class Receiver:
    """A real HTTP server on 127.0.0.1 that checks signatures and counts events by id.
    `stop()` closes the port (connections are refused); `start()` listens on the same port again."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.port = free_port()
        self.received: list[dict] = []
        self.bad_signatures = 0
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                good = signing.verify(
                    receiver.secret, self.headers.get(signing.SIGNATURE_HEADER),
                    self.headers.get(signing.TIMESTAMP_HEADER), body,
                )
                if not good:
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                receiver.received.append({
                    "id": self.headers.get(signing.EVENT_ID_HEADER), "type": self.headers.get(signing.EVENT_HEADER),
                    "payload": json.loads(body),
                })
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for item in self.received:
            counted[item["id"]] = counted.get(item["id"], 0) + 1
        return counted


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()
