"""JSON errors, opaque cursors and input parsing shared by every /api/v1 route.

Every error is {"error": {"status", "code", "message", "fields"}}; never HTML.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from typing import Any

from flask import jsonify, make_response, request

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "validation_failed",
    429: "rate_limited", 500: "internal_error",
}


class ApiError(Exception):
    def __init__(self, status: int, code: str | None, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code or CODES.get(status, "error"), message, fields or {}


def error_response(status: int, code: str | None, message: str, fields: dict[str, str] | None = None):
    body = {"error": {"status": status, "code": code or CODES.get(status, "error"), "message": message,
                      "fields": fields or {}}}
    response = make_response(jsonify(body), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, "bad_request", "Check the request parameters.", {field: message})


# --- cursors: opaque to clients, a keyset position to us ---------------------------------------


def encode_cursor(position: tuple | None) -> str | None:
    if position is None:
        return None
    values = [value.isoformat() if isinstance(value, datetime) else value for value in position]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(kinds: tuple[type, ...]) -> tuple | None:
    """?cursor= back into a position whose values have `kinds` (datetime, int, str); 400 if tampered."""
    raw = request.args.get("cursor")
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return tuple(_typed(value, kind) for value, kind in zip(values, kinds))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad_request("cursor", "This cursor is not valid; use next_cursor from a previous page.") from None


def _typed(value: Any, kind: type) -> Any:
    if kind is datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**62):
        raise ValueError
    if not isinstance(value, kind):
        raise ValueError
    return value


def listing(items: list, next_position: tuple | None):
    return jsonify({"data": items, "next_cursor": encode_cursor(next_position)})


# --- query parameters -------------------------------------------------------------------------


def arg_limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise bad_request("limit", f"Use a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def arg_int(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > 2**62:
        raise bad_request(name, "Use a positive whole number.")
    return int(raw)


def arg_choice(name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise bad_request(name, f"Use one of: {', '.join(allowed)}.")
    return raw


def arg_datetime(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise bad_request(name, "Use an ISO 8601 date or time, e.g. 2026-01-31T12:00:00Z.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def arg_text(name: str, max_length: int = 500) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length or "\x00" in raw:
        raise bad_request(name, f"Use at most {max_length} characters of text.")
    return raw


# --- JSON bodies ------------------------------------------------------------------------------


def json_body() -> dict:
    if not request.is_json:
        raise ApiError(415, None, "Send the request body as JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, None, "The request body must be a JSON object.")
    return body


def body_text(body: dict, name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(422, None, "Please fix the marked fields.", {name: "Send this as a string."})
    return value


def body_int(body: dict, name: str, *, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**62:
        raise ApiError(422, None, "Please fix the marked fields.", {name: "Send this as a positive whole number."})
    return value


def body_bool(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(422, None, "Please fix the marked fields.", {name: "Send true or false."})
    return value
