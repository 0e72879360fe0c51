"""Logout both ways: a logout at the provider ends that person's Parley sign-ins (back-channel,
through revoked_logins, kept pages and copied cookies included), and signing out of Parley offers
the provider's end-session page (RP-initiated), which comes back to Parley."""
from __future__ import annotations

import re
import time
import uuid
from html import unescape
from urllib.parse import urljoin

import httpx
from joserfc import jwt
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, IdentityLogin, RevokedLogin

from ..conftest import _forget_loaded_user
from .provider import callback_path
from .test_refusals import trusted_key  # noqa: F401 (fixture)
from .test_sign_in import sign_in_as

EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


def _live_sign_in(live_server, idp, login="alice"):
    """A person's two browsers' worth of cookies: Parley's (httpx against the live server) and the provider's."""
    idp.register("acme", live_server.url)
    parley = httpx.Client(base_url=live_server.url, timeout=10)
    at_idp = httpx.Client(timeout=10)
    start = parley.get("/sso/acme/start")
    back = idp.log_in(start.headers["location"], login, browser=at_idp)
    assert parley.get(callback_path(back)).status_code == 302
    return parley, at_idp


def _csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def _signed_in(parley) -> bool:
    return parley.get("/settings").status_code == 200


def _confirm_logout_at(idp_browser, url):
    """The provider's "do you want to sign out" page, answered yes; where it sends the browser."""
    page = idp_browser.get(url)
    action = urljoin(str(page.url), unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1)))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return idp_browser.post(action, data={**fields, "logout": "yes"})


def test_a_logout_at_the_provider_ends_the_parley_sign_in_kept_pages_included(live_server, idp):
    parley, at_idp = _live_sign_in(live_server, idp)
    copy = dict(parley.cookies)  # someone kept a copy of the cookies
    for _ in range(2):
        home = parley.get("/")
        assert "Alice Acme" in home.text  # the signed-in home page, the second time from the kept pages
    _confirm_logout_at(at_idp, f"{idp.issuers['acme']}/session/end")
    deadline = time.monotonic() + 5
    while db.session.scalar(select(RevokedLogin)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.rollback()
    assert db.session.scalar(select(RevokedLogin)) is not None, idp.log()[-3000:]
    assert "Alice Acme" not in parley.get("/").text
    assert not _signed_in(parley)
    assert not _signed_in(httpx.Client(base_url=live_server.url, cookies=copy))


def test_signing_out_of_parley_offers_the_provider_s_logout_and_comes_back(live_server, idp):
    parley, at_idp = _live_sign_in(live_server, idp)
    token = _csrf(parley.get("/").text)
    out = parley.post("/sign-out", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["location"].endswith("/sso/signed-out")
    offer = parley.get("/sso/signed-out")
    assert "Sign out of Acme too" in offer.text and not _signed_in(parley)
    link = unescape(re.search(r'href="([^"]+)">Sign out of Acme too', offer.text).group(1))
    assert link.startswith(f"{idp.issuers['acme']}/session/end?") and "id_token_hint=" in link
    done = _confirm_logout_at(at_idp, link)
    assert done.status_code in (302, 303) and done.headers["location"].startswith(f"{live_server.url}/sso/logged-out")
    back = parley.get(done.headers["location"].removeprefix(live_server.url))
    assert back.status_code == 302
    # Signed out at the provider too: a new sign-in there asks for the password again.
    again = at_idp.get(parley.get("/sso/acme/start").headers["location"], follow_redirects=True)
    assert 'name="login"' in again.text


# --- the back-channel endpoint itself, with tokens signed by a key the provider publishes -------


def _logout_token(key, issuer, **claims):
    body = {"iss": issuer, "aud": "parley", "iat": int(time.time()), "jti": uuid.uuid4().hex, "events": EVENT, **claims}
    return jwt.encode({"alg": "RS256", "kid": "test-published", "typ": "logout+jwt"},
                      {k: v for k, v in body.items() if v is not None}, key)


def test_a_logout_token_ends_only_that_provider_session(client, registered, trusted_key):  # noqa: F811
    sign_in_as(client, registered, "alice")
    login = db.session.scalar(select(IdentityLogin))
    token = _logout_token(trusted_key, registered.issuers["acme"], sub="alice", sid="another-session")
    response = client.post("/sso/acme/backchannel-logout", data={"logout_token": token})
    assert response.status_code == 200 and response.json == {"ended": 0}
    assert client.get("/settings").status_code == 200
    token = _logout_token(trusted_key, registered.issuers["acme"], sub="alice", sid=login.sid)
    response = client.post("/sso/acme/backchannel-logout", data={"logout_token": token})
    assert response.json == {"ended": 1} and response.headers["Cache-Control"] == "no-store"
    _forget_loaded_user()  # the test client shares one app context: forget the user Flask-Login loaded
    assert client.get("/settings").status_code == 302
    replay = client.post("/sso/acme/backchannel-logout", data={"logout_token": token})
    assert replay.status_code == 400 and replay.json["error"] == "invalid_request"


def test_bad_logout_tokens_are_refused_with_json_and_audited(client, registered, trusted_key):  # noqa: F811
    sign_in_as(client, registered, "alice")
    issuer = registered.issuers["acme"]
    cases = {
        "token_malformed": "not-a-jwt",
        "token_claims": _logout_token(trusted_key, issuer, sub="alice", events={"other": {}}),
        "issuer_mismatch": _logout_token(trusted_key, registered.issuers["globex"], sub="alice"),
        "audience_mismatch": _logout_token(trusted_key, issuer, sub="alice", aud="someone-else"),
    }
    nonce = _logout_token(trusted_key, issuer, sub="alice", nonce="n")
    for code, token in [*cases.items(), ("token_claims", nonce)]:
        response = client.post("/sso/acme/backchannel-logout", data={"logout_token": token})
        assert response.status_code == 400 and response.is_json, code
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "identity.refused" and entry.after["code"] == code, (code, entry.after)
    assert client.post("/sso/nobody/backchannel-logout", data={"logout_token": "x"}).status_code == 404
    assert client.get("/settings").status_code == 200  # still signed in


def test_provider_sign_ins_are_forgotten_once_their_cookies_expired(client, registered):
    from datetime import timedelta

    from community.identity.logout import prune_logins
    from community.models import utcnow

    sign_in_as(client, registered, "alice")
    login = db.session.scalar(select(IdentityLogin))
    assert prune_logins() == 0
    login.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert prune_logins() == 1 and prune_logins() == 0
