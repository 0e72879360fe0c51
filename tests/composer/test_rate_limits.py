"""The composer's endpoints are rate limited per member (RATELIMIT_DRAFTS, RATELIMIT_AUTOCOMPLETE), with a JSON 429."""
import uuid

import pytest

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex}",
            "RATELIMIT_DRAFTS": "3 per minute", "RATELIMIT_AUTOCOMPLETE": "2 per minute"}


def test_draft_saves_are_rate_limited_per_member(client, auth, make_user):
    auth.sign_in(make_user())
    statuses = [client.post("/composer/draft", json={"scope": "new", "body": f"v{n}"}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    auth.sign_in(make_user())
    assert client.post("/composer/draft", json={"scope": "new", "body": "mine"}).status_code == 200


def test_suggestions_are_rate_limited_per_member_across_at_and_hash(client, auth, make_user):
    auth.sign_in(make_user())
    statuses = [client.get("/composer/mentions?q=a").status_code, client.get("/composer/hashtags?q=a").status_code,
                client.get("/composer/mentions?q=b", headers={"Accept": "application/json"})]
    assert statuses[:2] == [200, 200]
    assert statuses[2].status_code == 429 and statuses[2].is_json
