"""Injected faults that change what the fake X sends: a proxy's HTML page, a dropped connection,
partial errors, ids as numbers, a missing field. (Status, slow and timeout faults are in serve().)"""
from __future__ import annotations

import socket

from flask import Response, request

from . import payloads as p
from .state import Fault


def proxy_page() -> Response:
    html = ("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
            "</center><hr><center>nginx</center></body></html>")
    return Response(html, status=502, content_type="text/html")


def drop_connection() -> None:
    """Crash mode: the work is done, then the peer sees the connection close with no answer."""
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        connection.shutdown(socket.SHUT_RDWR)


def apply_output_fault(fault: Fault | None, payload: dict) -> dict:
    if not fault:
        return payload
    if fault.kind == "partial":
        missing = p.user_not_found("404", "author_id")
        return {**payload, "errors": [*payload.get("errors", []), missing]}
    if fault.kind == "numeric_ids":
        return _numeric_ids(payload)
    if fault.kind == "missing_field":
        return _drop_first_id(payload)
    return payload


def _numeric_ids(value):
    id_keys = {"id", "author_id", "conversation_id", "in_reply_to_user_id", "newest_id", "oldest_id"}
    if isinstance(value, list):
        return [_numeric_ids(item) for item in value]
    if isinstance(value, dict):
        return {key: int(item) if key in id_keys and isinstance(item, str) and item.isdigit()
                else _numeric_ids(item) for key, item in value.items()}
    return value


def _drop_first_id(payload: dict) -> dict:
    data = payload.get("data")
    if isinstance(data, list) and data:
        return {**payload, "data": [{k: v for k, v in data[0].items() if k != "id"}, *data[1:]]}
    if isinstance(data, dict):
        return {**payload, "data": {k: v for k, v in data.items() if k != "id"}}
    return payload
