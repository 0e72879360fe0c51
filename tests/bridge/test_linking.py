"""Log in with X on /join: OAuth 2.0 PKCE against the fake X proves the account; a match verifies the
link (and only then may it be used for a public follow-up), a mismatch or a forged callback does not."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import AuditEntry, BridgeAccountLink, BridgeCase, BridgeJoinRejection
from community.bridge import invite_links as bridge_invites

from .conftest import BRAND_ID, CUSTOMER_ID
from .join_helpers import invite_token, make_case

JOIN_CLIENT_ID = "parley-join"
CALLBACK = "http://127.0.0.1:5000/join/x/callback"


@pytest.fixture
def app_overrides(fake_x_server):
    return {"X_API_BASE_URL": fake_x_server.url, "X_CLIENT_ID": JOIN_CLIENT_ID,
            "BASE_URL": "http://127.0.0.1:5000"}


@pytest.fixture
def x_world(world):
    # A public (PKCE-only) client whose callback is the /join one.
    world.fake.state.add_client(JOIN_CLIENT_ID, CALLBACK)
    return world


def _claim_and_go_to_x(client, auth, make_user, *, consent: bool = True) -> tuple[str, str]:
    case = make_case(author_id=CUSTOMER_ID)
    token = invite_token(case)
    auth.sign_in(make_user())
    response = client.post(f"/join/{token}", data={"consent": "y" if consent else "", "action": "verify"})
    assert response.status_code == 302 and response.headers["Location"] == f"/join/{token}/x"
    page = client.get(f"/join/{token}/x").get_data(as_text=True)
    href = re.search(r'href="([^"]+)" data-x-authorize', page).group(1)
    return token, html.unescape(href)


def _approve_on_x(authorize_url: str) -> str:
    """What the browser does at X: the fake approves as its signed-in user and redirects back."""
    answer = httpx.get(authorize_url, follow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK)
    return location[len("http://127.0.0.1:5000"):]


def _link() -> BridgeAccountLink:
    db.session.expire_all()
    return db.session.scalar(select(BridgeAccountLink))


@pytest.mark.backends("sqlite")
def test_log_in_with_x_as_the_author_verifies_the_link(app, client, auth, make_user, x_world):
    x_world.fake.state.authorize_user_id = CUSTOMER_ID
    token, authorize_url = _claim_and_go_to_x(client, auth, make_user)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(f"{x_world.fake.url}/i/oauth2/authorize")
    assert query["code_challenge_method"] == ["S256"] and query["scope"] == ["tweet.read users.read"]
    response = client.get(_approve_on_x(authorize_url))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/join/{token}/thread")
    link = _link()
    assert link.verified and link.verified_at is not None
    case_id = db.session.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "bridge.link_verified"))
    assert bridge_invites.consented_link(db.session.get(BridgeCase, case_id)).id == link.id


@pytest.mark.backends("sqlite")
def test_without_consent_a_verified_link_is_not_offered_for_follow_ups(app, client, auth, make_user, x_world):
    x_world.fake.state.authorize_user_id = CUSTOMER_ID
    _token, authorize_url = _claim_and_go_to_x(client, auth, make_user, consent=False)
    client.get(_approve_on_x(authorize_url))
    link = _link()
    assert link.verified and bridge_invites.consented_link(db.session.scalar(select(BridgeCase))) is None


@pytest.mark.backends("sqlite")
def test_another_x_account_is_a_clear_refusal_and_the_link_stays_unverified(app, client, auth, make_user, x_world):
    x_world.fake.state.authorize_user_id = BRAND_ID  # signed in to X as someone else
    token, authorize_url = _claim_and_go_to_x(client, auth, make_user)
    response = client.get(_approve_on_x(authorize_url))
    assert response.status_code == 403
    assert "sent to a different X account" in response.get_data(as_text=True)
    assert f"/join/{token}/thread" in response.get_data(as_text=True)  # may go on, unconfirmed
    assert not _link().verified
    assert db.session.scalar(select(func.sum(BridgeJoinRejection.count))
                             .where(BridgeJoinRejection.reason == "other_author")) == 1
    assert db.session.scalar(select(AuditEntry.after).where(AuditEntry.action == "bridge.link_mismatch")) == {
        "expected": CUSTOMER_ID, "signed_in_as": BRAND_ID}


@pytest.mark.backends("sqlite")
def test_a_callback_with_a_foreign_state_or_replayed_code_verifies_nothing(app, client, auth, make_user, x_world):
    x_world.fake.state.authorize_user_id = CUSTOMER_ID
    _token, authorize_url = _claim_and_go_to_x(client, auth, make_user)
    callback = _approve_on_x(authorize_url)
    forged = callback.replace("state=", "state=forged")
    assert client.get(forged).status_code == 400  # also drops the pending login: start again
    assert client.get(callback).status_code == 400
    assert not _link().verified


@pytest.mark.backends("sqlite")
def test_a_cancelled_x_login_says_so_and_keeps_the_unverified_link(app, client, auth, make_user, x_world):
    token, authorize_url = _claim_and_go_to_x(client, auth, make_user)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    response = client.get(f"/join/x/callback?state={state}&error=access_denied")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "cancelled" in text and f"/join/{token}/thread" in text
    assert not _link().verified


@pytest.mark.backends("sqlite")
def test_x_refusing_the_code_is_a_clear_error_not_a_crash(app, client, auth, make_user, x_world):
    x_world.fake.state.authorize_user_id = CUSTOMER_ID
    _token, authorize_url = _claim_and_go_to_x(client, auth, make_user)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    response = client.get(f"/join/x/callback?state={state}&code=not-a-real-code")
    assert response.status_code == 502 and "X did not confirm your account" in response.get_data(as_text=True)
    assert not _link().verified


def test_without_an_x_client_there_is_no_log_in_with_x(app, client, auth, make_user):
    app.config["X_CLIENT_ID"] = None
    case = make_case(author_id=CUSTOMER_ID)
    token = invite_token(case)
    auth.sign_in(make_user())
    assert "Log in with X" not in client.get(f"/join/{token}").get_data(as_text=True)
    response = client.post(f"/join/{token}", data={"action": "verify"})
    assert response.headers["Location"].endswith(f"/join/{token}/thread")
    assert client.get(f"/join/{token}/x").status_code == 404
