"""Accounts from identity: the account a provider's subject is linked to; a new account made on
the first sign-in (just in time); an existing account with the same email linked only after the
person proves it with its password, never by the email alone; the admins' claim and group mapping
(verified customer, staff or moderator, display name) applied at every sign-in.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import ServiceError, ValidationFailed
from ..extensions import db
from ..models import IdentityLink, IdentityLogin, Role, User, utcnow
from ..services import accounts, audit
from .providers import Provider
from .service import Identity, refuse

LINK_MAX_AGE = 900  # seconds to prove the existing account after the provider signed you in


@dataclass(frozen=True)
class PendingLink:
    """Kept in the session between the provider's answer and the password proof."""

    provider: str
    subject: str
    email: str
    claims: dict[str, Any]
    id_token: str
    next: str
    started: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "PendingLink | None":
        try:
            link = cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        return link if time.time() - link.started <= LINK_MAX_AGE else None


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    needs_link: PendingLink | None = None


def resolve(identity: Identity) -> Outcome:
    provider = identity.provider
    link = db.session.scalar(select(IdentityLink).where(
        IdentityLink.provider == provider.slug, IdentityLink.subject == identity.subject))
    if link is not None:
        return Outcome(user=_signed_in(db.session.get(User, link.user_id), provider, identity.claims, link))
    email = identity.claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise refuse("email_missing", provider.slug)
    try:
        email = accounts.clean_email(email)
    except ValidationFailed:
        raise refuse("email_missing", provider.slug, "the email claim is not an address") from None
    existing = db.session.scalar(select(User).where(User.email_normalized == email.lower()))
    if existing is not None:
        return Outcome(needs_link=PendingLink(provider.slug, identity.subject, existing.email, identity.claims,
                                              identity.id_token, identity.next, time.time()))
    return Outcome(user=_provision(provider, identity, email))


def _provision(provider: Provider, identity: Identity, email: str) -> User:
    name = _display_name(provider, identity.claims) or email.partition("@")[0]
    for _attempt in range(3):
        user = User(email=email, email_normalized=email.lower(), display_name=name,
                    username=accounts.unique_username(name), password_hash=None)
        if identity.claims.get("email_verified") is True:
            user.email_verified_at = utcnow()
        link = IdentityLink(provider=provider.slug, subject=identity.subject, email=email)
        db.session.add(user)
        try:
            db.session.flush()
            link.user_id = user.id
            db.session.add(link)
            _apply_mapping(user, provider, identity.claims)
            link.last_sign_in_at = utcnow()
            audit.record(None, "identity.provisioned", "user", user.id, after={"provider": provider.slug})
            db.session.commit()
            return user
        except IntegrityError:
            db.session.rollback()
            # A parallel sign-in of the same person made the link first: use it.
            existing = db.session.scalar(select(IdentityLink).where(
                IdentityLink.provider == provider.slug, IdentityLink.subject == identity.subject))
            if existing is not None:
                return _signed_in(db.session.get(User, existing.user_id), provider, identity.claims, existing)
    raise refuse("provision_failed", provider.slug, "could not pick a username")


def _signed_in(user: User | None, provider: Provider, claims: dict[str, Any], link: IdentityLink) -> User:
    if user is None:
        raise refuse("account_blocked", provider.slug, "linked account is gone")
    try:
        accounts.check_may_sign_in(user)
    except ServiceError as blocked:
        raise refuse("account_blocked", provider.slug, f"user {user.id}", message=blocked.message) from None
    _apply_mapping(user, provider, claims)
    link.last_sign_in_at = utcnow()
    user.last_seen_at = utcnow()
    db.session.commit()
    return user


def link_with_password(pending: PendingLink, provider: Provider, password: str) -> User:
    """The person proved the existing account: link it to the provider's subject, then sign in."""
    user = accounts.authenticate(pending.email, password)  # ValidationFailed / AccountBlocked as on /sign-in
    link = IdentityLink(provider=provider.slug, subject=pending.subject, user_id=user.id, email=pending.email)
    db.session.add(link)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed("This identity is already linked to an account. Start the sign-in again.") from None
    audit.record(user, "identity.linked", "user", user.id, after={"provider": provider.slug})
    return _signed_in(user, provider, pending.claims, link)


def _display_name(provider: Provider, claims: dict[str, Any]) -> str:
    value = claims.get(provider.name_claim)
    if not isinstance(value, str):
        return ""
    try:
        return accounts.clean_display_name(value)
    except ValidationFailed:
        return ""


def _groups(provider: Provider, claims: dict[str, Any]) -> set[str]:
    value = claims.get(provider.groups_claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()


def _apply_mapping(user: User, provider: Provider, claims: dict[str, Any]) -> None:
    """The admins' mapping, at every sign-in. Admins are never demoted or promoted by a provider."""
    groups = _groups(provider, claims)
    reason = f"from identity provider {provider.slug}"
    if provider.verified_customer_group:
        verified = provider.verified_customer_group == "*" or provider.verified_customer_group in groups
        if verified != user.is_verified_customer:
            audit.record(None, "user.verified_customer", "user", user.id,
                         before=user.is_verified_customer, after=verified, reason=reason)
            user.is_verified_customer = verified
    if (provider.staff_group or provider.moderator_group) and user.role != Role.admin:
        role = Role.customer
        if provider.moderator_group and provider.moderator_group in groups:
            role = Role.moderator
        elif provider.staff_group and provider.staff_group in groups:
            role = Role.staff
        if user.role in (Role.customer, Role.staff, Role.moderator) and role != user.role:
            audit.record(None, "user.role", "user", user.id, before=user.role.value, after=role.value, reason=reason)
            user.role = role
    name = _display_name(provider, claims)
    if name and name != user.display_name:
        user.display_name = name


def record_login(user: User, provider: Provider, subject: str, claims: dict[str, Any], id_token: str) -> None:
    """After accounts.begin_login: this sign-in's id with the provider's session, for logout."""
    remember = current_app.config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)
    if not isinstance(remember, timedelta):
        remember = timedelta(seconds=int(remember))
    longest = max(current_app.permanent_session_lifetime, remember)
    sid = claims.get("sid") if isinstance(claims.get("sid"), str) else None
    db.session.add(IdentityLogin(login_id=user.login_id, user_id=user.id, provider=provider.slug, subject=subject,
                                 sid=sid[:255] if sid else None, id_token=id_token, expires_at=utcnow() + longest))
    db.session.commit()
