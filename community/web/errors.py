"""Branded error pages, and JSON errors when the client asks for JSON."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request, url_for
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import policies
from ..errors import ServiceError
from ..services.forum import Unreadable
from ..storage import StorageError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Check your input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, message: str, code: str | None = None):
    """{"error": {"status", "code", "message"}}: what the site's JSON endpoints answer a refusal with."""
    code = code or TITLES.get(status, "Error").lower().replace(" ", "_")
    return make_response(jsonify(error={"status": status, "code": code, "message": message}), status)


def error_response(status: int, message: str, code: str | None = None, **page_context):
    title = TITLES.get(status, "Error")
    if wants_json():
        return json_error(status, message, code)
    try:
        page = render_template("errors/error.html", status=status, title=title, message=message, **page_context)
    except SQLAlchemyError:
        # The layout could not load what it shows (database down): a bare page still says what happened.
        page = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
    return make_response(page, status)


UNREADABLE_SIGNED_IN = "It may have been removed, or it is in an area your account can't see."
UNREADABLE_UNVERIFIED = "If you are a customer: areas for verified customers open once your account is verified."
UNREADABLE_SIGNED_OUT = "It may have been removed, or it is in an area for signed-in members."


def unreadable_response():
    """One 404 for a category, thread or post that is missing or closed to the viewer
    (services.forum.Unreadable): what it says depends on who asks, never on which case it is.
    Signed out, it offers to sign in and come back to this page (links in emails land here)."""
    user = current_user if current_user.is_authenticated else None
    if user is None:
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return error_response(
            404, Unreadable.MESSAGE, "not_found", detail=UNREADABLE_SIGNED_OUT,
            sign_in_url=url_for("auth.sign_in", next=back), sign_up_url=url_for("auth.sign_up", next=back),
        )
    hint = None if policies.is_staff(user) or user.is_verified_customer else UNREADABLE_UNVERIFIED
    return error_response(404, Unreadable.MESSAGE, "not_found", detail=UNREADABLE_SIGNED_IN, hint=hint)


def unavailable_response(message: str, code: str):
    """503 with Retry-After, rendered as an anonymous visitor: the database may not answer at all."""
    g._login_user = AnonymousUserMixin()
    response = error_response(503, message, code)
    response.headers["Retry-After"] = "5"
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(400, "Your form expired or was sent from another site. Please try again.", "csrf")

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if isinstance(error, Unreadable):
            return unreadable_response()
        return error_response(error.status_code, error.message or TITLES.get(error.status_code, "Error"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        message = error.description or TITLES.get(error.code, "Error")
        if error.code == 429:
            message = "You are doing that too often. Please wait a moment and try again."
        elif error.code == 413:
            message = "That upload or form is too large."
        response = error_response(error.code, message)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        # Connection refused or lost, statement timeout, pool exhausted, SQLite busy: all pass;
        # the client may retry the same request once the database answers again.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, type(error).__name__)
        return unavailable_response("The community is briefly unavailable. Please try again in a moment.",
                                    "database_unavailable")

    @app.errorhandler(StorageError)
    def storage_unavailable(error: StorageError):
        log.warning("upload storage unavailable on %s %s: %s", request.method, request.path, error)
        return unavailable_response("Uploaded files are briefly unavailable. Please try again in a moment.",
                                    "storage_unavailable")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)
