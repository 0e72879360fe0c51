"""Sign-in, sign-up and password-reset rate limits, on memory storage and on the real Redis."""
import uuid

import pytest

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture(params=["memory", "redis"])
def app_overrides(request):
    prefix = f"parley-test-{uuid.uuid4().hex}"
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_SIGNIN": "3 per minute",
        "RATELIMIT_SIGNUP": "2 per minute",
        "RATELIMIT_RESET": "2 per minute",
        "JOB_QUEUE": "inline",
    }
    if request.param == "redis":
        settings["REDIS_URL"] = request.getfixturevalue("redis_url")
    return settings


def test_sign_in_is_limited_per_client_on_post_only(app, client):
    attempts = [client.post("/sign-in", data={"email": "a@example.com", "password": "wrong password"}) for _ in range(4)]
    assert [r.status_code for r in attempts] == [422, 422, 422, 429]
    page = attempts[-1].get_data(as_text=True)
    assert "Too many requests" in page and "try again" in page
    assert client.get("/sign-in").status_code == 200


def test_sign_up_is_limited(app, client):
    statuses = [
        client.post("/sign-up", data={"email": "bad", "display_name": "X", "password": "p"}).status_code for _ in range(3)
    ]
    assert statuses == [422, 422, 429]


def test_password_reset_requests_are_limited(app, client):
    statuses = [client.post("/password/forgot", data={"email": "a@example.com"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_limits_use_the_configured_storage(app, client):
    client.post("/sign-in", data={"email": "a@example.com", "password": "wrong password"})
    if not app.config.get("REDIS_URL"):
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
        return
    import redis

    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    keys = connection.keys(f"*{app.config['RATELIMIT_KEY_PREFIX']}*")
    assert keys, "no rate-limit counter was written to Redis"
    connection.delete(*keys)


def test_rate_limit_enabled_false_turns_limits_off(app):
    from community import create_app

    settings = {key: app.config[key] for key in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY", "TESTING", "JOB_QUEUE")}
    relaxed = create_app({**settings, "RATELIMIT_ENABLED": False, "RATELIMIT_RESET": "1 per minute", "WTF_CSRF_ENABLED": False})
    try:
        client = relaxed.test_client()
        statuses = {client.post("/password/forgot", data={"email": "a@example.com"}).status_code for _ in range(3)}
    finally:
        relaxed.extensions["community.engine"].dispose()
    assert statuses == {200}
