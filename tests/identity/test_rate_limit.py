"""Single sign-on routes share one per-address budget (RATELIMIT_SSO): starts, callbacks, link
attempts and back-channel posts together, so guessing states or passwords costs the same."""
from __future__ import annotations

import pytest

from community.extensions import limiter

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides(app_overrides):
    return {**app_overrides, "RATELIMIT_ENABLED": True, "RATELIMIT_SSO": "3 per minute", "REDIS_URL": None}


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_the_fourth_sso_request_in_a_minute_is_refused(client, registered):
    statuses = [
        client.get("/sso/acme/start").status_code,
        client.get("/sso/acme/callback?state=guess&code=x").status_code,
        client.post("/sso/acme/backchannel-logout", data={"logout_token": "x"}).status_code,
        client.get("/sso/acme/start").status_code,
    ]
    assert statuses == [302, 400, 400, 429]
    assert client.get("/sign-in").status_code == 200  # other pages keep their own budgets
