"""Bad answers from (or in the name of) an identity provider: each is refused with a clear page
(400), an audit entry naming the case, and nobody signed in. Both databases."""
from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from sqlalchemy import select

from community.extensions import db
from community.identity import oidc_client
from community.identity.views import PENDING_KEY
from community.models import AuditEntry, IdentityLogin, User

from .provider import CLIENT_ID, CLIENT_SECRET, callback_path, query_of
from .test_sign_in import sign_in_as, start


def refused(client, response, code, words):
    assert response.status_code == 400, response.data[:400]
    assert words.encode() in response.data
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.refused")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.after["code"] == code, entry and entry.after
    assert client.get("/settings").status_code == 302  # nobody signed in
    assert db.session.scalar(select(IdentityLogin)) is None


def answer_for(client, idp, login="alice", slug="acme"):
    return idp.log_in(start(client, slug), login)


def with_query(url, **changes):
    parts = query_of(url)
    parts.update(changes)
    from urllib.parse import urlencode, urlsplit

    return f"{urlsplit(url).path}?{urlencode({k: v for k, v in parts.items() if v is not None})}"


# --- state ---------------------------------------------------------------------------------------


def test_a_tampered_state_is_refused(client, registered):
    back = answer_for(client, registered)
    response = client.get(with_query(back, state=query_of(back)["state"][:-2] + "xx"))
    refused(client, response, "state_mismatch", "does not belong to the sign-in you started")


def test_an_expired_state_is_refused(client, registered):
    back = answer_for(client, registered)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "started": time.time() - 601}
    refused(client, client.get(callback_path(back)), "state_expired", "took too long")


def test_an_answer_used_twice_is_refused_even_with_a_copy_of_the_cookie(client, registered):
    back = answer_for(client, registered)
    with client.session_transaction() as session:
        kept = dict(session[PENDING_KEY])
    assert client.get(callback_path(back)).status_code == 302
    client.post("/sign-out")
    db.session.query(IdentityLogin).delete()
    db.session.commit()
    again = client.get(callback_path(back))  # same browser: the pending sign-in is gone
    refused(client, again, "state_missing", "already finished")
    with client.session_transaction() as session:
        session[PENDING_KEY] = kept  # a copy of the cookie from before the first callback
    refused(client, client.get(callback_path(back)), "state_replayed", "already used")


def test_an_answer_for_another_provider_s_callback_is_refused(client, registered):
    back = answer_for(client, registered, slug="acme")
    response = client.get(callback_path(back).replace("/sso/acme/", "/sso/globex/"))
    refused(client, response, "provider_mismatch", "another sign-in provider")


def test_the_provider_saying_no_is_a_clear_page(client, registered):
    back = answer_for(client, registered)
    response = client.get(with_query(back, code=None, error="access_denied", error_description="<b>nope</b>"))
    refused(client, response, "provider_denied", "did not sign you in")
    assert b"<b>nope</b>" not in response.data


# --- issuer mix-up --------------------------------------------------------------------------------


def test_an_answer_naming_the_other_issuer_is_refused(client, registered):
    back = answer_for(client, registered, slug="acme")
    response = client.get(with_query(back, iss=registered.issuers["globex"]))
    refused(client, response, "issuer_mismatch", "did not come from the provider you chose")


def test_an_answer_without_its_issuer_is_refused_when_the_provider_names_it(client, registered):
    back = answer_for(client, registered)
    refused(client, client.get(with_query(back, iss=None)), "issuer_mismatch", "did not come from the provider")


def test_an_id_token_from_the_other_provider_is_refused(client, registered, monkeypatch):
    sign_in_as(client, registered, "alice", slug="globex")
    globex_token = db.session.scalar(select(IdentityLogin)).id_token
    client.post("/sign-out")
    db.session.query(IdentityLogin).delete()
    db.session.commit()
    back = answer_for(client, registered, slug="acme")
    monkeypatch.setattr(oidc_client, "exchange_code", lambda *a, **k: {"id_token": globex_token, "access_token": ""})
    response = client.get(callback_path(back))
    assert response.status_code == 400
    code = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first().after["code"]
    assert code in ("token_signature", "issuer_mismatch")  # signed by globex's key, which acme does not publish


# --- the ID token ----------------------------------------------------------------------------------


def _spy_token(monkeypatch):
    """The next code exchange answers this token instead of the provider's (the network edge)."""
    box = {}
    real = oidc_client.exchange_code

    def exchange(*args, **kwargs):
        tokens = real(*args, **kwargs)
        return {**tokens, "id_token": box["make"](tokens["id_token"])}

    monkeypatch.setattr(oidc_client, "exchange_code", exchange)
    return box


def _parts(token):
    header, payload, _sig = token.split(".")
    load = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))  # noqa: E731
    return load(header), load(payload)


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_an_unsigned_id_token_alg_none_is_refused(client, registered, monkeypatch):
    box = _spy_token(monkeypatch)
    box["make"] = lambda real: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_parts(real)[1])}."
    refused(client, client.get(callback_path(answer_for(client, registered))), "token_algorithm", "not signed in a way")


def test_an_id_token_signed_with_the_client_secret_hs256_is_refused(client, registered, monkeypatch):
    box = _spy_token(monkeypatch)
    box["make"] = lambda real: jwt.encode({"alg": "HS256"}, _parts(real)[1], OctKey.import_key(CLIENT_SECRET))
    refused(client, client.get(callback_path(answer_for(client, registered))), "token_algorithm", "not signed in a way")


@pytest.mark.parametrize("kid", ["the-provider-s-own-kid", "a-kid-nobody-publishes"])
def test_an_id_token_signed_by_a_wrong_key_is_refused(client, registered, monkeypatch, kid):
    attacker = RSAKey.generate_key(2048)
    box = _spy_token(monkeypatch)

    def forge(real):
        header, claims = _parts(real)
        return jwt.encode({"alg": "RS256", "kid": header["kid"] if kid.startswith("the") else kid}, claims, attacker)

    box["make"] = forge
    refused(client, client.get(callback_path(answer_for(client, registered))), "token_signature", "signature is not the provider")


@pytest.fixture
def trusted_key(registered):
    """A key the provider publishes (put in Parley's key cache as the provider's JWKS would)."""
    key = RSAKey.generate_key(2048, parameters={"kid": "test-published"})
    metadata = oidc_client.discover(oidc_client.Client(registered.issuers["acme"], CLIENT_ID, CLIENT_SECRET, "openid"))
    published = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    oidc_client._key_sets[metadata["jwks_uri"]] = (time.monotonic(), KeySet([key, *published.keys]))
    return key


def _resign(key, **changes):
    def make(real):
        claims = {**_parts(real)[1], **changes}
        return jwt.encode({"alg": "RS256", "kid": "test-published"}, {k: v for k, v in claims.items() if v is not None}, key)
    return make


def test_an_expired_id_token_is_refused(client, registered, monkeypatch, trusted_key):
    box = _spy_token(monkeypatch)
    box["make"] = _resign(trusted_key, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    back = answer_for(client, registered)
    refused(client, client.get(callback_path(back)), "token_expired", "has expired")


def test_an_id_token_for_another_client_is_refused(client, registered, monkeypatch, trusted_key):
    box = _spy_token(monkeypatch)
    box["make"] = _resign(trusted_key, aud="someone-else")
    refused(client, client.get(callback_path(answer_for(client, registered))), "audience_mismatch", "another site")


def test_an_id_token_from_another_sign_in_replayed_nonce_is_refused(client, registered, monkeypatch):
    sign_in_as(client, registered, "alice")
    first_token = db.session.scalar(select(IdentityLogin)).id_token
    client.post("/sign-out")
    db.session.query(IdentityLogin).delete()
    db.session.commit()
    box = _spy_token(monkeypatch)
    box["make"] = lambda real: first_token  # validly signed by the provider, for an earlier sign-in
    refused(client, client.get(callback_path(answer_for(client, registered))), "nonce_mismatch", "another sign-in")
    assert len(db.session.scalars(select(User)).all()) == 1


def test_a_sanity_check_the_untouched_answer_signs_in(client, registered, monkeypatch, trusted_key):
    """The forgeries above differ from a good answer only in what they change."""
    box = _spy_token(monkeypatch)
    box["make"] = _resign(trusted_key)
    assert client.get(callback_path(answer_for(client, registered))).status_code == 302
