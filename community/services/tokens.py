"""Signed, expiring, single-use tokens for the links we email (verification, password reset).

A token is an itsdangerous signature over a small payload with a random id (`jti`). Spending a
token inserts that id into used_tokens, whose primary key makes a second use impossible even when
two requests race.
"""
from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from ..errors import ServiceError
from ..extensions import db
from ..models import UsedToken

VERIFY_EMAIL = "verify-email"
CHANGE_EMAIL = "change-email"
RESET_PASSWORD = "reset-password"


class TokenInvalid(ServiceError):
    """A link that cannot be used: `reason` is expired, invalid or used."""

    status_code = 400

    def __init__(self, reason: str, purpose: str) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason = reason
        self.purpose = purpose


_MESSAGES = {
    "expired": "This link has expired.",
    "invalid": "This link is not valid. It may have been copied incompletely or replaced by a newer one.",
    "used": "This link has already been used.",
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The salt binds a token to its purpose: a verification token can never reset a password.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"parley.{purpose}")


def make_token(purpose: str, user_id: int, **claims: Any) -> str:
    payload = {"uid": user_id, "jti": secrets.token_hex(16), **claims}
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a valid, unexpired, unspent token; TokenInvalid otherwise."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenInvalid("expired", purpose) from None
    except BadSignature:
        raise TokenInvalid("invalid", purpose) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int) or "jti" not in payload:
        raise TokenInvalid("invalid", purpose)
    if db.session.get(UsedToken, payload["jti"]) is not None:
        raise TokenInvalid("used", purpose)
    return payload


def spend_token(payload: dict[str, Any], purpose: str) -> None:
    """Mark the token used in the caller's transaction; the caller's commit makes it final."""
    db.session.add(UsedToken(token_id=payload["jti"], purpose=purpose, user_id=payload["uid"]))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise TokenInvalid("used", purpose) from None


def password_fingerprint(password_hash: str | None) -> str:
    """Changes whenever the password does, so a reset link dies once the password changed."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]
