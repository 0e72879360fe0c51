"""Bearer-token authentication and scope checks for /api/v1.

Only `Authorization: Bearer <token>` authenticates: session cookies are ignored, so a browser
visiting a malicious page cannot make API calls as its user, and CSRF cannot apply.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import current_app, g, request

from ..models import ApiToken, User
from ..services import api_tokens
from .responses import ApiError

_UNSET = object()
_ENVIRON_KEY = "parley.api_token"


def bearer_secret() -> str | None:
    scheme, _, secret = (request.headers.get("Authorization") or "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def current_token() -> ApiToken | None:
    """The request's live token, looked up once per request (the rate limiter asks first)."""
    # Kept on the request itself (not g), which tests and CLI calls may share across requests.
    token = request.environ.get(_ENVIRON_KEY, _UNSET)
    if token is _UNSET:
        token = api_tokens.authenticate(bearer_secret())
        request.environ[_ENVIRON_KEY] = token
    return token


def api_user() -> User:
    """The account the request acts as; only valid inside a @requires view."""
    return g.api_user


def rate_limit_key() -> str:
    """One bucket per token; requests without a valid token share one per client address."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    token = current_token()
    if token is not None:
        return f"{prefix}:api-token:{token.id}"
    return f"{prefix}:api-anonymous:{request.remote_addr or 'unknown'}"


def poster_key() -> str:
    """The same bucket the web forms use for new threads and replies (web/forum.py)."""
    token = current_token()
    return f"poster:{token.user_id}" if token is not None else f"anonymous:{request.remote_addr}"


def requires(scope: str) -> Callable:
    """A valid token (401 otherwise) that carries `scope` (403 otherwise)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = current_token()
            if token is None:
                message = ("Send a valid API token as 'Authorization: Bearer <token>'."
                           if bearer_secret() is None else "This API token is unknown, revoked or expired.")
                raise ApiError(401, "unauthorized", message)
            if not api_tokens.has_scope(token, scope):
                raise ApiError(403, "insufficient_scope", f"This token lacks the '{scope}' scope.")
            g.api_user = token.user
            return view(*args, **kwargs)

        wrapped.api_scope = scope
        return wrapped

    return decorate
