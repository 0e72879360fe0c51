"""Rate limits on the CSAT answer routes (the email links work signed out)."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True}


@pytest.mark.backends("sqlite")
def test_csat_answers_are_rate_limited_per_address(client):
    statuses = [client.post("/csat/r/not-a-token", data={"score": "5"}).status_code for _ in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429
