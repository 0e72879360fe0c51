"""The fake X as a WSGI app, and FakeX: that app served on 127.0.0.1 from a background thread."""
from __future__ import annotations

import threading

from flask import Flask, Response, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import api, control, oauth
from .state import FakeState


def create_fake_app(state: FakeState | None = None) -> Flask:
    app = Flask(__name__)
    app.extensions["fake_x_state"] = state or FakeState()
    app.json.sort_keys = False  # keep X's key order
    app.register_blueprint(api.bp)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(control.bp)
    app.register_error_handler(404, _no_such_page)
    app.register_error_handler(405, _no_such_page)
    return app


def _no_such_page(error) -> tuple[Response, int]:
    # What api.x.com answers for a path it does not serve.
    return jsonify({"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}), 404


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


class FakeX:
    """A running fake X API v2 server: `with FakeX() as fake: ... fake.url ...`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: FakeState | None = None,
                 log_requests: bool = False) -> None:
        self.host, self.port = host, port
        self._handler = WSGIRequestHandler if log_requests else _QuietHandler
        self.state = state or FakeState()
        self.app = create_fake_app(self.state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeX is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def bind(self) -> FakeX:
        """Open the listening socket (so `url` knows the port) without serving yet."""
        if self._server is None:
            self._server = make_server(self.host, self.port, self.app, threaded=True, request_handler=self._handler)
        return self

    def start(self) -> FakeX:
        self.bind()
        # A short poll interval keeps stop() (and each test using a throwaway FakeX) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-x", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI demo) until interrupted."""
        self.bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeX:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
