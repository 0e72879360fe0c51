"""Logout both ways. RP-initiated: signing out of Parley offers the provider's end-session page
(with the ID token as the hint). Back-channel: the provider posts a signed logout token, and every
Parley sign-in made in that provider session (or, without `sid`, of that subject) ends through
revoked_logins, kept pages included (the page cache checks the same table)."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..jobs.registry import job
from ..models import IdentityLogin, User, utcnow
from ..services import accounts
from . import oidc_client, providers
from .oidc_client import OidcError
from .service import refuse, spend_once


@dataclass(frozen=True)
class ProviderLogout:
    provider: str
    name: str
    id_token: str


def provider_logout(login_id: str | None) -> ProviderLogout | None:
    """The provider this sign-in came from, when it has an end-session endpoint; None otherwise."""
    if not login_id:
        return None
    login = db.session.get(IdentityLogin, login_id)
    if login is None:
        return None
    try:
        provider = providers.get(login.provider)
        if not oidc_client.discover(provider.client()).get("end_session_endpoint"):
            return None
    except Exception:  # noqa: BLE001 (a provider gone or down: Parley's own sign-out stands)
        return None
    return ProviderLogout(provider.slug, provider.name, login.id_token)


def end_session_url(slug: str, id_token: str, post_logout_redirect_uri: str, state: str) -> str | None:
    try:
        provider = providers.get(slug)
        endpoint = oidc_client.discover(provider.client()).get("end_session_endpoint")
    except Exception:  # noqa: BLE001 (a provider that went away: nothing to offer)
        return None
    if not endpoint:
        return None
    query = {"client_id": provider.client_id, "post_logout_redirect_uri": post_logout_redirect_uri, "state": state}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def backchannel_logout(slug: str, logout_token: str) -> int:
    """Check the logout token; end the matching sign-ins. The number ended."""
    provider = providers.get(slug)
    try:
        claims = oidc_client.validate_logout_token(
            logout_token, provider.client(),
            min_refresh=float(current_app.config["OIDC_JWKS_MIN_REFRESH_SECONDS"]),
        )
    except OidcError as error:
        raise refuse(error.code, slug, f"back-channel logout: {error.detail}") from None
    if not spend_once("oidc_logout", f"{slug}:{claims['jti']}"):
        raise refuse("state_replayed", slug, "back-channel logout token used twice")
    query = select(IdentityLogin).where(IdentityLogin.provider == slug)
    if claims.get("sid"):
        query = query.where(IdentityLogin.sid == claims["sid"])
    if claims.get("sub"):
        query = query.where(IdentityLogin.subject == claims["sub"])
    ended = 0
    for login in db.session.scalars(query).all():
        user = db.session.get(User, login.user_id)
        if user is not None:
            user.login_id = login.login_id
            accounts.end_login(user)  # inserts into revoked_logins and commits
            ended += 1
    return ended


@job("identity.prune_logins")
def prune_logins() -> int:
    """Periodic job: forget provider sign-ins whose cookies have expired anyway (safe to run twice)."""
    deleted = db.session.execute(delete(IdentityLogin).where(IdentityLogin.expires_at < utcnow())).rowcount
    db.session.commit()
    return deleted
