"""/live: a subscription token, the polling fallback and the embedded event stream.

GET /live/token?thread=<id>&staff=<inbox|queue|bridge>: the channels this reader may follow,
  signed, with where to stream and poll (JSON; 404 for a thread they cannot read, 403 for a staff
  page they cannot open). The signed-in reader's own bell channel is always added.
GET /live/poll?token=...&after=<id>: the events since that id (JSON), for browsers without
  EventSource or when the stream is unreachable. Rate limited per address.
GET /live/stream?token=... (Last-Event-ID header or last_event_id=): server-sent events, served
  here only by the in-process broker (make run). With Redis, parley-live (server.py) serves this
  path behind nginx and gunicorn answers 503 at once, so no gunicorn thread ever waits on it.
No route changes state; nothing here needs CSRF. The events carry ids only.
"""
from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from ..errors import ServiceError
from ..extensions import limiter
from ..web.errors import json_error
from . import current_broker as live_broker, service, tokens
from .wire import SSE_HEARTBEAT, SSE_RETRY, sse_frame, sse_reset

bp = Blueprint("live", __name__, url_prefix="/live")

HEARTBEAT_SECONDS = 15.0


def _client_key() -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}:live:{request.remote_addr or 'unknown'}"


live_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_LIVE"], scope="live", key_func=_client_key)


def _error(status: int, message: str):
    response = json_error(status, message)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    return _error(error.status_code, error.message)


def _thread_arg() -> int | None:
    raw = request.args.get("thread")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise _BadArgument("thread must be a thread id.")
    return int(raw)


class _BadArgument(ServiceError):
    status_code = 400


def _channels():
    try:
        return tokens.channels_of(current_app.config["SECRET_KEY"], request.args.get("token", ""),
                                  current_app.config["LIVE_TOKEN_SECONDS"])
    except tokens.InvalidToken:
        raise _Expired("The live token is invalid or expired; fetch a new one.") from None


class _Expired(ServiceError):
    status_code = 403


@bp.route("/token")
@live_limit
def token():
    from ..web.helpers import viewer

    subscription = service.subscribe(
        viewer(), live_broker(), current_app.config["SECRET_KEY"],
        thread_id=_thread_arg(), staff_queue=request.args.get("staff") or None,
    )
    response = jsonify(
        token=subscription.token, channels=list(subscription.channels), last_id=subscription.last_id,
        stream_url=url_for("live.stream"), poll_url=url_for("live.poll"),
        poll_seconds=current_app.config["LIVE_POLL_SECONDS"], expires_in=current_app.config["LIVE_TOKEN_SECONDS"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _since(channels, last_id: str):
    try:
        return live_broker().since(channels, last_id)
    except ValueError:
        raise _BadArgument("after must be an event id this site gave out.") from None


@bp.route("/poll")
@live_limit
def poll():
    channels = _channels()
    last_id = request.args.get("after", "")
    events, lost = _since(channels, last_id)
    newest = events[-1].id if events else last_id
    if lost:
        newest = live_broker().latest_id()
    response = jsonify(events=[event.as_json() for event in events], last_id=newest, reset=lost)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/stream")
def stream():
    broker = live_broker()
    if not broker.serves_streams:
        response = _error(503, "Live streams are served by parley-live; poll /live/poll instead.")
        response.headers["Retry-After"] = "30"
        return response
    channels = _channels()
    last_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or broker.latest_id()
    _since(channels, last_id)  # a bad id is a 400 now, not a broken stream
    seconds = current_app.config["LIVE_STREAM_SECONDS"]
    return Response(stream_with_context(_events(broker, channels, last_id, seconds)), headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
    })


def _events(broker, channels, last_id: str, seconds: float):
    """The embedded stream: one thread of the dev server per subscriber, for `seconds`; then the
    browser reconnects with Last-Event-ID and loses nothing."""
    yield SSE_RETRY
    until = time.monotonic() + seconds
    cursor = last_id
    timeout = 0.0  # first the replay, at once
    while True:
        events, lost, cursor = broker.wait(channels, cursor, timeout)
        if lost:
            yield sse_reset(cursor)
        for event in events:
            yield sse_frame(event)
        if not events and not lost and timeout:
            yield SSE_HEARTBEAT
        timeout = min(HEARTBEAT_SECONDS, until - time.monotonic())
        if timeout <= 0:
            return
