"""Per-token rate limits on /api/v1, on memory storage and on the real Redis (mandatory under CI)."""
import uuid

import pytest

from .conftest import ApiClient, issue_token

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture(params=["memory", "redis"])
def app_overrides(request):
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex}",
                "API_RATELIMIT": "3 per minute", "RATELIMIT_POSTING": "2 per minute", "JOB_QUEUE": "inline"}
    if request.param == "redis":
        settings["REDIS_URL"] = request.getfixturevalue("redis_url")
    return settings


def test_each_token_has_its_own_bucket_and_429_is_json_with_retry_after(app, client, make_user):
    user = make_user()
    first, second = ApiClient(client, issue_token(user)), ApiClient(client, issue_token(user))
    statuses = [first.get("/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = first.get("/categories")
    assert limited.status_code == 429 and limited.mimetype == "application/json"
    assert limited.json["error"]["code"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert second.get("/me").status_code == 200  # another token, another bucket
    _clean_redis(app)


def test_requests_without_a_valid_token_are_limited_per_address(app, client):
    anonymous = ApiClient(client, "pk_" + "n" * 43)
    assert [anonymous.get("/me").status_code for _ in range(4)] == [401, 401, 401, 429]
    _clean_redis(app)


def test_api_posting_shares_the_members_posting_limit(app, client, make_user, make_thread):
    """RATELIMIT_POSTING applies per member whether they post through the pages or the API."""
    member = make_user()
    thread = make_thread()
    api = ApiClient(client, issue_token(member, ("write",)))
    statuses = [api.post(f"/threads/{thread.id}/posts", json={"body": f"reply {n}"}).status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    _clean_redis(app)


def _clean_redis(app) -> None:
    if not app.config.get("REDIS_URL"):
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
        return
    import redis

    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    keys = connection.keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    assert keys, "no rate-limit counter was written to Redis"
    connection.delete(*keys)
