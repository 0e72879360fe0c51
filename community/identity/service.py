"""Signing in with an OpenID provider: start (state, nonce, PKCE), finish (every check of the
answer), then the account (identity/accounts.py). A refusal is a `SignInRefused` with a message for
the person and a code for the audit log, where every refusal is written; nobody is signed in.

The view keeps the pending sign-in (`Pending`) in the signed session cookie and passes it back;
the state is also spent in used_tokens, so a copy of the cookie cannot finish a sign-in twice.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from flask import current_app

from ..errors import ServiceError
from ..extensions import db
from ..models import UsedToken, User
from ..rows import insert_once
from ..services import audit
from . import oidc_client, providers
from .oidc_client import OidcError
from .providers import Provider

REFUSALS = {
    "state_missing": "This sign-in was already finished or never started here. Please start again.",
    "state_mismatch": "This sign-in answer does not belong to the sign-in you started. Please start again.",
    "state_expired": "This sign-in took too long. Please start again.",
    "state_replayed": "This sign-in answer was already used. Please start again.",
    "provider_mismatch": "This answer came for another sign-in provider. Please start again.",
    "issuer_mismatch": "The answer did not come from the provider you chose. Nobody was signed in.",
    "nonce_mismatch": "The identity token belongs to another sign-in. Nobody was signed in.",
    "token_algorithm": "The identity token is not signed in a way we accept. Nobody was signed in.",
    "token_signature": "The identity token's signature is not the provider's. Nobody was signed in.",
    "token_expired": "The identity token has expired. Please start again.",
    "audience_mismatch": "The identity token was made for another site. Nobody was signed in.",
    "provider_denied": "The sign-in provider did not sign you in.",
    "email_missing": "The sign-in provider did not share an email address, which an account here needs.",
    "account_blocked": "This account may not sign in.",
}
GENERIC_REFUSAL = "Signing in with this provider did not work. Please try again."


class SignInRefused(ServiceError):
    status_code = 400

    def __init__(self, code: str, detail: str = "", message: str | None = None) -> None:
        super().__init__(message or REFUSALS.get(code, GENERIC_REFUSAL))
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Pending:
    provider: str
    state: str
    nonce: str
    verifier: str
    next: str
    started: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> "Pending | None":
        try:
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


def refuse(code: str, provider_slug: str, detail: str = "", message: str | None = None) -> SignInRefused:
    """Write the refusal to the audit log (its own commit) and give back the error to raise."""
    db.session.rollback()
    audit.record(None, "identity.refused", "identity_provider", None,
                 after={"provider": provider_slug[:40], "code": code}, reason=detail[:500])
    db.session.commit()
    return SignInRefused(code, detail, message)


def start(slug: str, redirect_uri: str, next_path: str) -> tuple[str, Pending]:
    provider = providers.get(slug)
    pending = Pending(slug, secrets.token_urlsafe(32), secrets.token_urlsafe(32), oidc_client.new_secret(),
                      next_path, time.time())
    try:
        url = oidc_client.authorization_url(provider.client(), redirect_uri, state=pending.state,
                                            nonce=pending.nonce, code_verifier=pending.verifier)
    except OidcError as error:
        raise refuse(error.code, slug, error.detail) from None
    return url, pending


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: the checked ID token's claims, with userinfo merged in."""

    provider: Provider
    subject: str
    claims: dict[str, Any]
    id_token: str
    next: str


def finish(slug: str, pending_data: Any, answer: Mapping[str, str], redirect_uri: str) -> Identity:
    """Every check of the provider's answer, in order; the first that fails refuses the sign-in."""
    pending = Pending.from_dict(pending_data)
    if pending is None:
        raise refuse("state_missing", slug)
    if answer.get("error"):
        detail = f"{answer.get('error')}: {answer.get('error_description', '')}"[:300]
        raise refuse("provider_denied", slug, detail)
    if not hmac.compare_digest(str(answer.get("state", "")), pending.state):
        raise refuse("state_mismatch", slug)
    if pending.provider != slug:
        raise refuse("provider_mismatch", slug, f"started with {pending.provider}")
    if time.time() - pending.started > int(current_app.config["OIDC_STATE_MAX_AGE"]):
        raise refuse("state_expired", slug)
    if not insert_once(UsedToken(token_id=_digest(pending.state), purpose="oidc_state")):
        raise refuse("state_replayed", slug)
    try:
        provider = providers.get(slug)
        return _identity(provider, pending, answer, redirect_uri)
    except OidcError as error:
        raise refuse(error.code, slug, error.detail) from None


def _identity(provider: Provider, pending: Pending, answer: Mapping[str, str], redirect_uri: str) -> Identity:
    client = provider.client()
    metadata = oidc_client.discover(client)
    # RFC 9207: the answer names its issuer; a mix-up sends another provider's answer here.
    issued_by = answer.get("iss")
    if issued_by is not None and issued_by != provider.issuer:
        raise OidcError("issuer_mismatch", f"answer from {issued_by[:200]!r}")
    if issued_by is None and metadata.get("authorization_response_iss_parameter_supported"):
        raise OidcError("issuer_mismatch", "the answer does not name its issuer")
    code = answer.get("code")
    if not code:
        raise OidcError("provider_denied", "no code in the answer")
    tokens = oidc_client.exchange_code(client, redirect_uri, code=code, code_verifier=pending.verifier)
    claims = oidc_client.validate_id_token(
        tokens["id_token"], client, metadata, nonce=pending.nonce,
        min_refresh=float(current_app.config["OIDC_JWKS_MIN_REFRESH_SECONDS"]),
    )
    info = oidc_client.userinfo(client, tokens.get("access_token", ""))
    if info and info.get("sub") != claims["sub"]:
        raise OidcError("token_claims", "userinfo is about someone else")
    merged = {**info, **{k: v for k, v in claims.items() if k not in info or k in ("iss", "aud", "sub")}}
    return Identity(provider, claims["sub"], merged, tokens["id_token"], pending.next)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def spend_once(purpose: str, value: str, user: User | None = None) -> bool:
    return insert_once(UsedToken(token_id=_digest(f"{purpose}:{value}"), purpose=purpose,
                                 user_id=user.id if user is not None else None))
