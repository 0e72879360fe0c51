"""The fake X answers with the shapes of the official OpenAPI spec and the headers of real recordings."""
from __future__ import annotations

import time

import pytest

from .conftest import BRAND_ID, CUSTOMER_ID, doc_example, recorded
from .http import call
from .openapi import response_validator, schema_errors, schema_validator

FIELDS = {"expansions": "author_id", "user.fields": "username,name",
          "tweet.fields": "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,entities,lang,author_id"}


def _seed_conversation(world):
    state = world.fake.state
    first = state.add_post(CUSTOMER_ID, "@acmehelp my parcel is lost")
    state.add_post(BRAND_ID, "@jo sorry! DM us your order number", in_reply_to_tweet_id=first.id)
    for n in range(6):
        state.add_post(CUSTOMER_ID, f"@acmehelp still waiting, day {n}")
    return first


def _user_call(world, method, path, **kwargs):
    return call(world.fake.url, method, path, world.tokens["access_token"], **kwargs)


def _app_call(world, method, path, **kwargs):
    return call(world.fake.url, method, path, world.app_token, **kwargs)


@pytest.mark.parametrize(("spec_path", "method", "request_path", "params", "user", "status"), [
    ("/2/users/{id}/mentions", "get", f"/2/users/{BRAND_ID}/mentions", {**FIELDS, "max_results": 5}, False, 200),
    ("/2/users/{id}/mentions", "get", f"/2/users/{BRAND_ID}/mentions", {}, False, 200),
    ("/2/tweets/search/recent", "get", "/2/tweets/search/recent", {**FIELDS, "query": "@acmehelp -is:reply"}, False, 200),
    ("/2/tweets/search/recent", "get", "/2/tweets/search/recent", {"query": "nothing-matches-this"}, False, 200),
    ("/2/users/{id}/tweets", "get", f"/2/users/{CUSTOMER_ID}/tweets", FIELDS, False, 200),
    ("/2/users/me", "get", "/2/users/me", {}, True, 200),
    ("/2/tweets/search/recent", "get", "/2/tweets/search/recent", {}, False, 400),
    ("/2/users/{id}/mentions", "get", "/2/users/123/mentions", {"max_results": 1}, False, 400),
])
def test_read_responses_match_the_spec(world, openapi_spec, spec_path, method, request_path, params, user, status):
    _seed_conversation(world)
    response = (_user_call if user else _app_call)(world, method.upper(), request_path, params=params)
    assert response.status == status
    content_type = "application/json" if status < 400 else "application/problem+json"
    assert response.headers["content-type"].startswith(content_type)
    validator = response_validator(openapi_spec, spec_path, method, status, content_type)
    assert schema_errors(validator, response.json()) == []


def test_mentions_with_fields_carry_everything_the_bridge_reads(world, openapi_spec):
    first = _seed_conversation(world)
    body = _app_call(world, "GET", f"/2/users/{BRAND_ID}/mentions", params={**FIELDS, "max_results": 100}).json()
    oldest = body["data"][-1]
    assert oldest["id"] == first.id and oldest["author_id"] == CUSTOMER_ID
    assert oldest["entities"]["mentions"][0] == {"start": 0, "end": 9, "username": "acmehelp", "id": BRAND_ID}
    assert oldest["created_at"].endswith(".000Z")
    assert body["includes"]["users"] == [{"id": CUSTOMER_ID, "name": "Jo Customer", "username": "jo"}]
    assert body["meta"]["result_count"] == 7 and "next_token" not in body["meta"]


def test_writes_match_the_spec(world, openapi_spec):
    target = _seed_conversation(world)
    created = _user_call(world, "POST", "/2/tweets", body={"text": "We are on it", "reply": {"in_reply_to_tweet_id": target.id}})
    assert created.status == 201
    assert schema_errors(response_validator(openapi_spec, "/2/tweets", "post", 201), created.json()) == []
    deleted = _user_call(world, "DELETE", f"/2/tweets/{created.json()['data']['id']}")
    assert deleted.status == 200 and deleted.json() == {"data": {"deleted": True}}
    assert schema_errors(response_validator(openapi_spec, "/2/tweets/{id}", "delete", 200), deleted.json()) == []
    missing = _user_call(world, "DELETE", "/2/tweets/42")
    assert missing.status == 404
    problem = response_validator(openapi_spec, "/2/tweets/{id}", "delete", 404, "application/problem+json")
    assert schema_errors(problem, missing.json()) == []


def test_partial_errors_and_injected_failures_match_the_spec(world, openapi_spec):
    state = world.fake.state
    state.add_post("777", "@acmehelp from an account that no longer exists")  # author unknown to X
    partial = _app_call(world, "GET", f"/2/users/{BRAND_ID}/mentions", params=FIELDS)
    assert partial.status == 200
    assert partial.json()["data"][0]["author_id"] == "777"
    assert partial.json()["errors"][0]["resource_id"] == "777"
    assert schema_errors(response_validator(openapi_spec, "/2/users/{id}/mentions", "get", 200), partial.json()) == []

    state.add_fault("status", status=500)
    failed = _app_call(world, "GET", "/2/tweets/search/recent", params={"query": "x"})
    assert failed.status == 500
    problem = response_validator(openapi_spec, "/2/tweets/search/recent", "get", 500, "application/problem+json")
    assert schema_errors(problem, failed.json()) == []


def test_window_429_body_is_the_documented_error_shape(world, openapi_spec):
    world.fake.state.set_window_limit("GET /2/tweets/search/recent", 1)
    assert _app_call(world, "GET", "/2/tweets/search/recent", params={"query": "x"}).status == 200
    limited = _app_call(world, "GET", "/2/tweets/search/recent", params={"query": "x"})
    assert limited.status == 429
    assert limited.json() == doc_example("rate_limit_429_response")
    error_schema = schema_validator(openapi_spec, "Error")
    assert schema_errors(error_schema, limited.json()["errors"][0]) == []


@pytest.mark.parametrize("case", ["no_token", "duplicate", "not_summoned", "daily_cap"])
def test_about_blank_problems_are_rfc7807(world, case):
    state = world.fake.state
    foreign = state.add_post(CUSTOMER_ID, "a post that does not mention the brand")
    state.add_post(BRAND_ID, "Already said this")
    if case == "no_token":
        response = call(world.fake.url, "GET", "/2/users/me")
    elif case == "duplicate":
        response = _user_call(world, "POST", "/2/tweets", body={"text": "Already said this"})
    elif case == "not_summoned":
        response = _user_call(world, "POST", "/2/tweets", body={"text": "hi", "reply": {"in_reply_to_tweet_id": foreign.id}})
    else:
        state.set_day_limit("user", 100, remaining=0)
        response = _user_call(world, "POST", "/2/tweets", body={"text": "new"})
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert set(body) == {"title", "detail", "type", "status"} and body["type"] == "about:blank"
    assert body["status"] == response.status == {"no_token": 401, "daily_cap": 429}.get(case, 403)


def test_doc_examples_validate_against_the_spec_used_here(openapi_spec):
    """Guards the validator itself: the official examples pass, a numeric id does not."""
    search = response_validator(openapi_spec, "/2/tweets/search/recent", "get", 200)
    for example in ("recent_search_default_response", "conversation_thread_search_response",
                    "pagination_response_meta", "partial_error_200_response"):
        assert schema_errors(search, doc_example(example)) == [], example
    assert schema_errors(search, {"data": [{"id": 1234, "text": "x"}]}) != []
    created = response_validator(openapi_spec, "/2/tweets", "post", 201)
    assert schema_errors(created, doc_example("post_tweets_201_response")) == []
    assert schema_errors(created, {"data": {"id": 1445880548472328192, "text": "x"}}) != []


RECORDINGS = [
    ("test_client_get_users_mentions", 0, "GET", f"/2/users/{BRAND_ID}/mentions", None, False),
    ("test_client_get_users_tweets", 0, "GET", f"/2/users/{BRAND_ID}/tweets", None, False),
    ("test_client_search_recent_tweets", 0, "GET", "/2/tweets/search/recent", None, False),
    ("test_client_create_and_delete_tweet", 0, "POST", "/2/tweets", {"text": "Test Tweet"}, True),
    ("test_client_create_and_delete_tweet", 1, "DELETE", "/2/tweets/{created}", None, True),
]


@pytest.mark.parametrize(("name", "index", "method", "path", "body", "user"), RECORDINGS)
def test_headers_and_default_shapes_match_recordings(world, name, index, method, path, body, user):
    exchange = recorded(name)[index]["response"]
    if "{created}" in path:
        path = path.format(created=world.fake.state.add_post(BRAND_ID, "to delete").id)
    world.fake.state.add_post(CUSTOMER_ID, "@acmehelp Tweepy help please")
    world.fake.state.add_post(BRAND_ID, "@jo Tweepy answers here")
    params = {"query": "Tweepy"} if "search" in path else None
    response = (_user_call if user else _app_call)(world, method, path, params=params, body=body)

    assert response.status == exchange["status"]["code"]
    assert set(exchange["headers"]) <= set(response.headers)
    assert response.headers["content-type"] == exchange["headers"]["content-type"][0]
    reset = int(response.headers["x-rate-limit-reset"])
    assert time.time() < reset <= time.time() + 15 * 60 + 1
    if method != "GET":  # the recorded write limits per 15 minutes
        assert response.headers["x-rate-limit-limit"] == exchange["headers"]["x-rate-limit-limit"][0]
    recorded_data = exchange["json"]["data"]
    fake_data = response.json()["data"]
    first = lambda data: data[0] if isinstance(data, list) else data  # noqa: E731
    assert set(first(fake_data)) == set(first(recorded_data))


def test_post_carries_24_hour_limit_headers(world):
    response = _user_call(world, "POST", "/2/tweets", body={"text": "hello"})
    for prefix in ("x-app-limit-24hour-", "x-user-limit-24hour-"):
        assert {prefix + part for part in ("limit", "remaining", "reset")} <= set(response.headers)
    assert int(response.headers["x-user-limit-24hour-remaining"]) == int(response.headers["x-user-limit-24hour-limit"]) - 1
    assert int(response.headers["x-user-limit-24hour-reset"]) > time.time() + 23 * 3600
