"""The bridge funnel with single sign-on: /join/<token> offers "Continue with <provider>" first,
and the customer comes back to the invite signed in, as a verified customer, to claim it."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db
from community.models import User
from tests.bridge.join_helpers import invite_token, make_case

from .provider import callback_path


def test_an_invite_offers_the_brand_s_sign_in_first_and_comes_back_to_it(client, registered, make_category):
    make_category()
    token = invite_token(make_case())
    html = client.get(f"/join/{token}").get_data(as_text=True)
    assert "Continue with Acme" in html
    assert html.index("Continue with Acme") < html.index("Create an account")
    start = client.get(f"/sso/acme/start?next=/join/{token}")
    back = client.get(callback_path(registered.log_in(start.headers["Location"], "alice")))
    assert back.status_code == 302 and back.headers["Location"] == f"/join/{token}"
    landing = client.get(f"/join/{token}").get_data(as_text=True)
    assert "Link your X account" in landing and "Alice Acme" in landing
    claimed = client.post(f"/join/{token}", data={"consent": "y", "action": "continue"})
    assert claimed.status_code == 302 and claimed.headers["Location"] == f"/join/{token}/thread"
    alice = db.session.scalar(select(User).where(User.email_normalized == "alice@acme.example.com"))
    assert alice.is_verified_customer
    composer = client.get(f"/join/{token}/thread")
    assert composer.status_code == 200 and "wrong VAT number" in composer.get_data(as_text=True)
