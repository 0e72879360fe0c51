"""`flask bridge demo`: the fake X seeded with the demo brand, and the app pointed at it so that a
poll finds the demo mentions and Log in with X goes to the fake."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from community.bridge.fake_x.demo import DEMO_BRAND_ID, DEMO_CLIENT_ID
from community.bridge.cli.demo import DEMO_CUSTOMER_ID, point_app_at_fake
from community.extensions import db
from community.models import BridgeCase
from community.bridge import ingest as bridge_ingest
from community.bridge import linking as bridge_linking

from .join_helpers import invite_token


def test_the_demo_points_the_app_at_the_fake_and_a_poll_finds_the_mentions(app, fake_x, client, auth, make_user):
    point_app_at_fake(app, fake_x, "http://127.0.0.1:5999")
    assert app.config["X_API_BASE_URL"] == fake_x.url and app.config["X_BRAND_USER_ID"] == DEMO_BRAND_ID
    assert fake_x.state.authorize_user_id == DEMO_CUSTOMER_ID
    assert bridge_ingest.poll_once()["mentions"].stored == 4
    cases = db.session.scalars(select(BridgeCase).where(BridgeCase.summoned.is_(True))).all()
    assert len(cases) == 4 and {case.author_username for case in cases} == {"dana_k", "miguel_r", "sam_t"}
    # Log in with X goes to the fake's authorize page, with the demo client and the /join callback.
    dana = next(case for case in cases if "VAT" in case.posts[0].text)
    token = invite_token(dana)
    assert token and bridge_linking.x_login_available()
    customer = make_user()
    auth.sign_in(customer)
    client.post(f"/join/{token}", data={"consent": "y"})
    start = bridge_linking.start_x_login(customer, token)
    query = parse_qs(urlsplit(start.url).query)
    assert start.url.startswith(f"{fake_x.url}/i/oauth2/authorize")
    assert query["client_id"] == [DEMO_CLIENT_ID] and query["redirect_uri"] == ["http://127.0.0.1:5999/join/x/callback"]



@pytest.mark.backends("sqlite")
def test_the_demo_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["bridge", "demo", "--help"])
    assert result.exit_code == 0 and "--x-port" in result.output
