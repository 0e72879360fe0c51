"""The polling endpoint's rate limit, and CSRF on the bell's "Mark all read"."""
from __future__ import annotations

import re

import pytest

from community.extensions import limiter


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_LIVE": "3 per minute", "WTF_CSRF_ENABLED": True}


def test_polls_past_the_limit_get_429(app, client, auth, make_user):
    limiter.reset()
    auth.sign_in(make_user())
    token = client.get("/live/token").json["token"]  # 1
    statuses = [client.get(f"/live/poll?token={token}&after=0").status_code for _ in range(3)]  # 2, 3, 4
    assert statuses == [200, 200, 429]


def test_mark_all_read_needs_the_csrf_token(app, client, auth, make_user):
    limiter.reset()
    auth.sign_in(make_user())
    refused = client.post("/notifications/read-all", headers={"Accept": "application/json"})
    assert refused.status_code == 400
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post("/notifications/read-all", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert done.status_code == 200 and done.json == {"unread": 0}
