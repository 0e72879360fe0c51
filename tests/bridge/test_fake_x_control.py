"""The fake's control endpoints and its OAuth 2.0 PKCE flow ("Log in with X")."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from community.bridge.client import AuthError
from community.bridge.fake_x import FakeX
from community.bridge.x_api import UserTokens, XApiClient, XOAuth, authorize_url, new_pkce

from .conftest import BRAND_ID, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI
from .http import call


def test_seed_inspect_and_reset_over_http(fake_x):
    url = fake_x.url
    brand = call(url, "POST", "/_control/users", body={"username": "acmehelp", "id": BRAND_ID}).json()
    customer = call(url, "POST", "/_control/users", body={"username": "jo"}).json()
    mention = call(url, "POST", "/_control/posts", body={"username": "jo", "text": "@acmehelp help"}).json()
    assert mention["author_id"] == customer["id"] and mention["via_api"] is False
    app_token = call(url, "POST", "/_control/app_tokens", body={}).json()["access_token"]
    tokens = call(url, "POST", "/_control/user_tokens", body={"user_id": brand["id"]}).json()

    with XApiClient(base_url=url, bearer_token=app_token, user_tokens=UserTokens(tokens["access_token"])) as client:
        assert [post.id for post in client.get_mentions(BRAND_ID).posts] == [mention["id"]]
        posted = client.create_post("on it", in_reply_to=mention["id"]).value
    brand_posts = call(url, "GET", "/_control/posts", params={"author_id": BRAND_ID, "via_api": "1"}).json()["posts"]
    assert [(p["id"], p["in_reply_to_tweet_id"]) for p in brand_posts] == [(posted.id, mention["id"])]

    assert call(url, "POST", "/_control/reset").status == 200
    assert call(url, "GET", "/_control/posts").json() == {"posts": []}
    assert call(url, "GET", f"/2/users/{BRAND_ID}/mentions", app_token).status == 401  # tokens are gone too


def test_faults_and_limits_over_http(fake_x):
    url = fake_x.url
    call(url, "POST", "/_control/users", body={"username": "acmehelp", "id": BRAND_ID})
    token = call(url, "POST", "/_control/app_tokens", body={"token": "demo-app"}).json()["access_token"]
    assert call(url, "POST", "/_control/faults", body={"kind": "status", "status": 503, "times": 2}).status == 201
    statuses = [call(url, "GET", "/2/tweets/search/recent", token, params={"query": "a"}).status for _ in range(3)]
    assert statuses == [503, 503, 200]
    call(url, "POST", "/_control/limits", body={"endpoint": "GET /2/tweets/search/recent", "limit": 5, "remaining": 0})
    limited = call(url, "GET", "/2/tweets/search/recent", token, params={"query": "a"})
    assert limited.status == 429 and limited.headers["x-rate-limit-limit"] == "5"


@pytest.mark.parametrize(("path", "body"), [
    ("/_control/users", {}),
    ("/_control/users", {"username": "x", "id": "abc"}),
    ("/_control/posts", {"username": "nobody", "text": "x"}),
    ("/_control/posts", {"username": "jo", "text": "x", "id": "not-a-number"}),
    ("/_control/posts", {"username": "jo", "text": "x", "created_at": "yesterday"}),
    ("/_control/faults", {"kind": "meteor"}),
    ("/_control/limits", {"limit": "many"}),
    ("/_control/limits", {"limit": 3}),
    ("/_control/limits", {"day": "user", "limit": 3, "remaining": "none"}),
    ("/_control/user_tokens", {"user_id": "404"}),
    ("/_control/oauth_clients", {"client_id": "x"}),
    ("/_control/authorize_as", {"user_id": "404"}),
])
def test_control_refuses_bad_input_with_400(fake_x, path, body):
    fake_x.state.add_user("jo")
    response = call(fake_x.url, "POST", path, body=body)
    assert response.status == 400 and response.json()["error"]


def test_unknown_path_answers_like_x(fake_x):
    response = call(fake_x.url, "GET", "/2/no/such/endpoint")
    assert response.status == 404 and response.json()["errors"][0]["code"] == 34


def _authorize(world, pkce, **overrides):
    """The user's browser at X's authorize page; the fake approves for the configured account."""
    params = dict(client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, state="s-123", pkce=pkce,
                  authorize_endpoint=world.fake.url + "/i/oauth2/authorize")
    params.update(overrides)
    target = urlsplit(authorize_url(**params))
    return world.fake.app.test_client().get(f"{target.path}?{target.query}")


def test_pkce_login_flow(world):
    pkce = new_pkce()
    answer = _authorize(world, pkce)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["s-123"]
    oauth = XOAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=world.fake.url)
    tokens = oauth.exchange_code(code=query["code"][0], code_verifier=pkce.verifier, redirect_uri=REDIRECT_URI)
    assert tokens.refresh_token and "tweet.write" in tokens.scope
    with XApiClient(base_url=world.fake.url, user_tokens=tokens) as client:
        assert client.get_me().value.id == BRAND_ID
    with pytest.raises(AuthError):  # a code is single-use
        oauth.exchange_code(code=query["code"][0], code_verifier=pkce.verifier, redirect_uri=REDIRECT_URI)


def test_pkce_public_client_and_wrong_verifier(world):
    world.fake.state.add_client("public-app", REDIRECT_URI)
    oauth = XOAuth(client_id="public-app", base_url=world.fake.url)
    code = parse_qs(urlsplit(_authorize(world, new_pkce(), client_id="public-app").headers["Location"]).query)["code"][0]
    with pytest.raises(AuthError, match="code_verifier"):
        oauth.exchange_code(code=code, code_verifier=new_pkce().verifier, redirect_uri=REDIRECT_URI)


@pytest.mark.parametrize(("overrides", "status"), [
    ({"client_id": "unknown"}, 400),
    ({"redirect_uri": "http://evil.example/callback"}, 400),
])
def test_authorize_refuses_bad_requests(world, overrides, status):
    assert _authorize(world, new_pkce(), **overrides).status_code == status


def test_token_endpoint_refuses_a_wrong_client_secret(world):
    oauth = XOAuth(client_id=CLIENT_ID, client_secret="wrong", base_url=world.fake.url)
    with pytest.raises(AuthError) as caught:
        oauth.refresh(world.tokens["refresh_token"])
    assert caught.value.status == 401


def test_fake_can_run_standalone_on_a_chosen_state():
    with FakeX() as fake:
        assert fake.url.startswith("http://127.0.0.1:")
        assert call(fake.url, "GET", "/2/users/me").status == 401
    with pytest.raises(RuntimeError):
        fake.url
