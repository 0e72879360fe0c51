"""/join links are rate limited per client address (guessing tokens, hammering the claim)."""
import uuid

import pytest

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex}",
            "RATELIMIT_JOIN": "3 per minute"}


def test_join_links_are_rate_limited_per_address(app, client):
    statuses = [client.get("/join/" + "A" * 24).status_code for _ in range(3)]
    statuses.append(client.post("/join/" + "A" * 24).status_code)
    assert statuses == [404, 404, 404, 429]
    assert "Too many requests" in client.get("/join/" + "B" * 24).get_data(as_text=True)
