"""The OpenID Connect adapter: the only module that imports Authlib (and its JOSE library, joserfc)
and talks HTTP to identity providers.

What it offers the identity service, all plain data in and out:
- `discover(issuer)`: the provider's metadata (cached), whose `issuer` must be the one configured;
- `authorization_url(...)`: Authorization Code with PKCE (S256), `state` and `nonce`;
- `exchange_code(...)`: the token response for a code and its PKCE verifier;
- `validate_id_token(...)` and `validate_logout_token(...)`: signature against the provider's JWKS
  (by `kid`; an unknown `kid` refreshes the cached key set once, so rotated keys are picked up),
  issuer, audience, expiry and the claims each token must carry;
- `userinfo(...)`.
Every failure is an `OidcError` with a short machine code the service records in the audit log.
"""
from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

# Asymmetric algorithms only: never "none", never HS* (a client secret is no proof of the provider).
ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 60
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class OidcError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Client:
    """What Parley is at one provider."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    timeout: float = 5.0


def new_secret() -> str:
    return generate_token(43)


# --- discovery and keys -----------------------------------------------------------------------------

_lock = threading.Lock()
_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_key_sets: dict[str, tuple[float, KeySet]] = {}


def forget_caches() -> None:
    with _lock:
        _metadata.clear()
        _key_sets.clear()


def _get_json(url: str, timeout: float, **kwargs: Any) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=False, **kwargs)
    except httpx.HTTPError as error:
        raise OidcError("provider_unreachable", f"{url}: {error.__class__.__name__}") from None
    if response.status_code != 200:
        raise OidcError("provider_error", f"{url} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise OidcError("provider_error", f"{url} did not answer JSON") from None
    if not isinstance(body, dict):
        raise OidcError("provider_error", f"{url} did not answer a JSON object")
    return body


def discover(client: Client, max_age: float = 3600) -> dict[str, Any]:
    issuer = client.issuer.rstrip("/")
    with _lock:
        cached = _metadata.get(issuer)
    if cached and time.monotonic() - cached[0] < max_age:
        return cached[1]
    metadata = _get_json(f"{issuer}/.well-known/openid-configuration", client.timeout)
    if metadata.get("issuer") != client.issuer:
        # OpenID Connect Discovery 4.3: the metadata must name exactly the issuer asked for.
        raise OidcError("issuer_mismatch", f"discovery names {metadata.get('issuer')!r}, expected {client.issuer!r}")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(field), str):
            raise OidcError("provider_error", f"discovery lacks {field}")
    with _lock:
        _metadata[issuer] = (time.monotonic(), metadata)
    return metadata


def _key_set(jwks_uri: str, timeout: float, *, refresh: bool = False, min_refresh: float = 0.0) -> KeySet:
    with _lock:
        cached = _key_sets.get(jwks_uri)
    if cached and (not refresh or time.monotonic() - cached[0] < min_refresh):
        return cached[1]
    try:
        key_set = KeySet.import_key_set(_get_json(jwks_uri, timeout))
    except (JoseError, KeyError, TypeError, ValueError):
        raise OidcError("provider_error", "the provider's JWKS could not be read") from None
    with _lock:
        _key_sets[jwks_uri] = (time.monotonic(), key_set)
    return key_set


def _verified_claims(token: str, metadata: dict[str, Any], timeout: float, min_refresh: float) -> dict[str, Any]:
    """Check the signature of a compact JWS against the provider's keys; its claims."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise OidcError("token_malformed", "not a signed JWT")
    try:
        header = json.loads(_header_json(token))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise OidcError("token_malformed", "unreadable header") from None
    if not isinstance(header, dict):
        raise OidcError("token_malformed", "unreadable header")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise OidcError("token_algorithm", f"alg {alg!r} is not accepted")
    kid = header.get("kid")
    key_set = _key_set(metadata["jwks_uri"], timeout)
    if not _has_kid(key_set, kid):
        # A rotated key: fetch the key set again (at most every min_refresh seconds).
        key_set = _key_set(metadata["jwks_uri"], timeout, refresh=True, min_refresh=min_refresh)
        if not _has_kid(key_set, kid):
            raise OidcError("token_signature", f"signed with key {kid!r}, which the provider does not publish")
    try:
        decoded = jwt.decode(token, key_set, algorithms=[alg])
    except JoseError as error:
        raise OidcError("token_signature", error.__class__.__name__) from None
    return decoded.claims


def _header_json(token: str) -> str:
    segment = token.split(".", 1)[0]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()


def _has_kid(key_set: KeySet, kid: Any) -> bool:
    if kid is None:
        return len(key_set.keys) == 1
    return any(key.kid == kid for key in key_set.keys)


def _check_common(claims: dict[str, Any], issuer: str, client_id: str, now: float) -> None:
    if claims.get("iss") != issuer:
        raise OidcError("issuer_mismatch", f"token issued by {claims.get('iss')!r}, expected {issuer!r}")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise OidcError("audience_mismatch", "the token is not for this site")
    if len(audiences) > 1 and claims.get("azp") not in (None, client_id):
        raise OidcError("audience_mismatch", "the token was requested by another client")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > now + LEEWAY_SECONDS:
        raise OidcError("token_time", "issued in the future or without iat")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise OidcError("token_claims", "no usable sub")


def validate_id_token(
    token: str, client: Client, metadata: dict[str, Any], *, nonce: str, min_refresh: float = 10.0
) -> dict[str, Any]:
    claims = _verified_claims(token, metadata, client.timeout, min_refresh)
    now = time.time()
    _check_common(claims, client.issuer, client.client_id, now)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp < now - LEEWAY_SECONDS:
        raise OidcError("token_expired", "the ID token has expired")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise OidcError("nonce_mismatch", "the ID token answers another sign-in")
    return claims


def validate_logout_token(token: str, client: Client, *, min_refresh: float = 10.0) -> dict[str, Any]:
    """OpenID Connect Back-Channel Logout 1.0, section 2.6."""
    metadata = discover(client)
    claims = _verified_claims(token, metadata, client.timeout, min_refresh)
    now = time.time()
    _check_common_logout(claims, client, now)
    return claims


def _check_common_logout(claims: dict[str, Any], client: Client, now: float) -> None:
    if claims.get("iss") != client.issuer:
        raise OidcError("issuer_mismatch", f"token issued by {claims.get('iss')!r}")
    audience = claims.get("aud")
    if client.client_id not in (audience if isinstance(audience, list) else [audience]):
        raise OidcError("audience_mismatch", "the token is not for this site")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > now + LEEWAY_SECONDS or iat < now - 600:
        raise OidcError("token_time", "issued too long ago or in the future")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < now - LEEWAY_SECONDS):
        raise OidcError("token_expired", "the logout token has expired")
    events = claims.get("events")
    if not isinstance(events, dict) or BACKCHANNEL_EVENT not in events:
        raise OidcError("token_claims", "not a logout token")
    if "nonce" in claims:
        raise OidcError("token_claims", "a logout token carries no nonce")
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise OidcError("token_claims", "no jti")
    if not claims.get("sub") and not claims.get("sid"):
        raise OidcError("token_claims", "neither sub nor sid")


# --- the code flow ---------------------------------------------------------------------------------


def _oauth(client: Client, redirect_uri: str) -> OAuth2Session:
    # Authlib's httpx integration is deprecated in 1.9; its requests one is the maintained one.
    return OAuth2Session(
        client_id=client.client_id, client_secret=client.client_secret or None, scope=client.scopes,
        redirect_uri=redirect_uri, code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic" if client.client_secret else "none",
    )


def authorization_url(client: Client, redirect_uri: str, *, state: str, nonce: str, code_verifier: str) -> str:
    metadata = discover(client)
    with _oauth(client, redirect_uri) as oauth:
        url, _state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier,
        )
    return url


def exchange_code(client: Client, redirect_uri: str, *, code: str, code_verifier: str) -> dict[str, Any]:
    metadata = discover(client)
    try:
        with _oauth(client, redirect_uri) as oauth:
            token = oauth.fetch_token(
                metadata["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=code_verifier,
                timeout=client.timeout,
            )
    except OAuthError as error:
        raise OidcError("token_error", str(error.error)) from None
    except (requests.RequestException, ValueError) as error:
        raise OidcError("provider_unreachable", error.__class__.__name__) from None
    if not isinstance(token.get("id_token"), str):
        raise OidcError("token_error", "no ID token in the token response")
    return dict(token)


def userinfo(client: Client, access_token: str) -> dict[str, Any]:
    metadata = discover(client)
    endpoint = metadata.get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    return _get_json(endpoint, client.timeout, headers={"Authorization": f"Bearer {access_token}"})
