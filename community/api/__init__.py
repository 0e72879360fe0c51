"""The JSON API at /api/v1: bearer tokens, scopes, cursor pagination, OpenAPI at /api/v1/openapi.json.

Routes parse input, call one service (the same ones the pages use) and serialize what it returns;
permissions come from policies.py through those services.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from werkzeug.exceptions import HTTPException

from ..errors import ServiceError
from ..extensions import csrf, limiter
from ..services.forum import Unreadable
from .responses import ApiError, error_response
from .tokens import rate_limit_key

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

# Token-authenticated only: session cookies are never read here, so there is no CSRF to forge.
csrf.exempt(bp)
# One budget per token across all endpoints (a shared scope), not one per endpoint.
limiter.shared_limit(lambda: current_app.config["API_RATELIMIT"], scope="api", key_func=rate_limit_key)(bp)


# The largest id a database integer column holds; larger ids in a URL cannot name a row.
MAX_ID = 2**63 - 1


@bp.before_request
def _ids_in_range():
    if any(isinstance(value, int) and value > MAX_ID for value in (request.view_args or {}).values()):
        raise ApiError(404, None, "There is no such object.")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.fields)


# Missing or closed to the token's user (services.forum.Unreadable): one body for both cases.
UNREADABLE_MESSAGE = f"{Unreadable.MESSAGE} It may have been removed, or this token's user may not read it."


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    if isinstance(error, Unreadable):
        return error_response(404, "not_found", UNREADABLE_MESSAGE)
    return error_response(error.status_code, None, error.message or "The request could not be completed.", error.fields)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code == 429:
        return error_response(429, None, f"Rate limit exceeded ({error.description}). Retry after the time in Retry-After.")
    return error_response(error.code or 500, None, error.description or "Request failed.")


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unhandled API error on %s %s", request.method, request.path)
    return error_response(500, None, "Something went wrong on our side; it has been logged.")


def unrouted_api_request():
    """404/405 under /api/v1 happen before any blueprint is known: answer them in the API's shape."""
    failure = request.routing_exception
    if failure is None or not request.path.startswith(PREFIX + "/") or getattr(failure, "code", 0) < 400:
        return None
    response = error_response(failure.code, None, failure.description)
    if failure.code == 405 and getattr(failure, "valid_methods", None):
        response.headers["Allow"] = ", ".join(failure.valid_methods)
    return response


def blueprint() -> Blueprint:
    """The API blueprint with every route module attached (create_app registers it)."""
    from . import routes_bridge, routes_forum, routes_meta, routes_metrics, routes_search, routes_users  # noqa: F401

    return bp
