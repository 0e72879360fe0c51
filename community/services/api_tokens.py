"""API tokens: create (shown once), list, revoke, and authenticate a bearer token.

A token is `pk_` + 43 random URL-safe characters (256 bits). Only its sha256 is stored: a token
this long cannot be guessed, so a fast hash is enough and lookups stay one indexed query.

Personal tokens act as the member who made them. Service tokens (for a CRM or other system) are
made by an admin and act as a dedicated service account created with the token: staff, or admin
when the token has the admin scope. Its posts show the token's name, it survives the admin leaving,
and revoking the token leaves the account unable to do anything (it has no password).

Scopes (read, write, moderate, admin) cap what a token may do; the account's own permissions
(policies.py) still decide every object, so a token never reads more than its user could.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Optional

from sqlalchemy import select, update

from .. import policies
from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import ApiToken, Role, TokenKind, User, utcnow
from . import audit
from .accounts import unique_username

TOKEN_PREFIX = "pk_"
SCOPES = ("read", "write", "moderate", "admin")
NAME_MAX = 80
MAX_EXPIRY_DAYS = 3650
# last_used_at is written at most this often per token, so busy tokens don't write on every call.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown to its maker once


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def has_scope(token: ApiToken, scope: str) -> bool:
    """The admin scope includes every other scope."""
    return scope in token.scopes or "admin" in token.scopes


def is_live(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


# --- input ------------------------------------------------------------------------------------


def clean_name(raw: str | None) -> tuple[str, str | None]:
    name = " ".join((raw or "").split())
    if not name:
        return name, "Give the token a name, so you know later what uses it."
    if len(name) > NAME_MAX:
        return name, f"The name is too long: at most {NAME_MAX} characters."
    return name, None


def clean_scopes(raw: Iterable[str] | None, user: User) -> tuple[list[str], str | None]:
    given = {str(scope).strip() for scope in raw or () if str(scope).strip()}
    unknown = sorted(given - set(SCOPES))
    if unknown:
        return sorted(given), f"Unknown scope {unknown[0]!r}: choose from {', '.join(SCOPES)}."
    scopes = [scope for scope in SCOPES if scope in given]
    if not scopes:
        return scopes, "Choose at least one scope."
    if "moderate" in scopes and not policies.is_staff(user):
        return scopes, "Only staff accounts can use the moderate scope."
    if "admin" in scopes and not policies.is_admin(user):
        return scopes, "Only admin accounts can use the admin scope."
    return scopes, None


def clean_expiry(raw_days: object) -> tuple[datetime | None, str | None]:
    """Days until the token expires; blank means never."""
    text = str(raw_days if raw_days is not None else "").strip()
    if not text:
        return None, None
    try:
        days = int(text)
    except ValueError:
        return None, "Enter a whole number of days, or leave it blank for no expiry."
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        return None, f"Choose between 1 and {MAX_EXPIRY_DAYS} days."
    return utcnow() + timedelta(days=days), None


def _require_valid(problems: dict[str, str | None]) -> None:
    fields = {name: message for name, message in problems.items() if message}
    if fields:
        raise ValidationFailed("Please fix the marked fields.", fields=fields)


# --- creating ---------------------------------------------------------------------------------


def _issue(owner: User, maker: User, name: str, kind: TokenKind, scopes: list[str],
           expires_at: datetime | None) -> NewToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=owner, created_by_id=maker.id, name=name, kind=kind, scopes=scopes,
                     token_hash=hash_token(secret), prefix=secret[:10], expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    audit.record(maker, "api_token.create", "api_token", token.id,
                 after={"name": name, "kind": kind.value, "scopes": scopes, "user_id": owner.id,
                        "expires_at": expires_at.isoformat() if expires_at else None})
    db.session.commit()
    return NewToken(token, secret)


def create_personal_token(user: Optional[User], name: str | None, scopes: Iterable[str] | None,
                          expires_in_days: object = None) -> NewToken:
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to create API tokens.")
    name, name_problem = clean_name(name)
    scopes, scope_problem = clean_scopes(scopes, user)
    expires_at, expiry_problem = clean_expiry(expires_in_days)
    _require_valid({"name": name_problem, "scopes": scope_problem, "expires_in_days": expiry_problem})
    return _issue(user, user, name, TokenKind.personal, scopes, expires_at)


def create_service_token(admin: Optional[User], name: str | None, scopes: Iterable[str] | None,
                         expires_in_days: object = None) -> NewToken:
    if not policies.can_manage_site(admin):
        raise PermissionDenied("Only admins can create service tokens.")
    name, name_problem = clean_name(name)
    scopes, scope_problem = clean_scopes(scopes, admin)
    expires_at, expiry_problem = clean_expiry(expires_in_days)
    _require_valid({"name": name_problem, "scopes": scope_problem, "expires_in_days": expiry_problem})
    return _issue(_service_account(name, scopes), admin, name, TokenKind.service, scopes, expires_at)


def _service_account(name: str, scopes: list[str]) -> User:
    """A password-less, verified account the service token acts as."""
    marker = secrets.token_hex(6)
    account = User(
        email=f"service-{marker}@service.invalid", email_normalized=f"service-{marker}@service.invalid",
        username=unique_username(f"{name} bot"), display_name=f"{name} (service)"[:80], password_hash=None,
        role=Role.admin if "admin" in scopes else Role.staff, email_verified_at=utcnow(),
    )
    db.session.add(account)
    db.session.flush()
    return account


# --- listing and revoking ---------------------------------------------------------------------


def personal_tokens(user: Optional[User]) -> list[ApiToken]:
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to see your API tokens.")
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == TokenKind.personal)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def service_tokens(admin: Optional[User]) -> list[ApiToken]:
    if not policies.can_manage_site(admin):
        raise PermissionDenied("Only admins can see service tokens.")
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.kind == TokenKind.service).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke(actor: Optional[User], token_id: int) -> ApiToken:
    """Members revoke their own personal tokens; admins revoke service tokens. Twice is harmless."""
    token = db.session.get(ApiToken, token_id)
    if token is None or actor is None or not actor.is_authenticated:
        raise NotFound("There is no such token.")
    mine = token.kind == TokenKind.personal and token.user_id == actor.id
    if not mine and not (token.kind == TokenKind.service and policies.can_manage_site(actor)):
        raise NotFound("There is no such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(actor, "api_token.revoke", "api_token", token.id, before={"revoked": False},
                     after={"revoked": True, "name": token.name, "kind": token.kind.value})
        db.session.commit()
    return token


# --- authenticating ---------------------------------------------------------------------------


def authenticate(secret: str | None) -> ApiToken | None:
    """The live token for this secret, or None (unknown, revoked, expired, or its user cannot sign in)."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = utcnow()
    if token is None or not is_live(token, now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        # A plain UPDATE, committed at once: the request's own transaction stays untouched.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                           .execution_options(synchronize_session=False))
        db.session.commit()
    return token
