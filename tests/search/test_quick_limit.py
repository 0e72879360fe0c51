"""The lookups made while typing (header results, the composer's similar questions) share one
rate limit, and a limited lookup answers JSON."""
from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"SEARCH_BACKEND": "whoosh", "RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": f"quick-{uuid.uuid4().hex}"}


def test_lookups_while_typing_are_rate_limited_as_json(client):
    json = {"Accept": "application/json"}
    statuses = [client.get("/search/quick?q=ab", headers=json).status_code for _ in range(100)]
    statuses += [client.get("/search/similar?title=abcd", headers=json).status_code for _ in range(20)]
    assert statuses == [200] * 120
    limited = client.get("/search/quick?q=ab", headers=json)
    assert limited.status_code == 429 and limited.get_json()["error"]["status"] == 429
    assert client.get("/search/similar?title=abcd", headers=json).status_code == 429
    assert client.get("/search?q=ab").status_code == 200  # the page itself is not limited here
