"""XApiClient against the fake X: every endpoint, every simulated fault, malformed answers, tokens."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from community.bridge.client import (
    AuthError, BadResponse, ConnectionDropped, InvalidRequest, SocialClient, DuplicateContent, NotFound, NotPermitted, RateLimited, ServerError,
    TextTooLong, Timeout, UnknownOutcome, UnreadableWriteResponse, WriteTimeout,
)
from community.bridge.x_api import UserTokens, XApiClient, XOAuth

from ..conftest import free_port
from .conftest import BRAND_ID, CLIENT_ID, CLIENT_SECRET, CUSTOMER_ID, make_client

LONG_URL = "https://help.acme.example.com/orders/" + "x" * 90


def _mentions(world, count: int):
    return [world.fake.state.add_post(CUSTOMER_ID, f"@acmehelp problem number {n}") for n in range(count)]


def _brand_posts(world):
    return [post for post in world.fake.state.posts.values() if post.author_id == BRAND_ID and post.via_api]


# --- endpoints ---------------------------------------------------------------------------------


def test_x_client_implements_the_interface(x_client):
    assert isinstance(x_client, SocialClient)


def test_get_me(x_client):
    result = x_client.get_me()
    assert (result.value.id, result.value.username, result.value.name) == (BRAND_ID, "acmehelp", "Acme Help")
    assert result.rate_limit.window.limit == 75 and result.rate_limit.window.remaining == 74


def test_mentions_paginate_newest_first(world, x_client):
    seeded = _mentions(world, 12)
    first = x_client.get_mentions(BRAND_ID)
    assert [post.id for post in first.posts] == [post.id for post in reversed(seeded)][:10]
    assert first.next_token and first.newest_id == seeded[-1].id
    second = x_client.get_mentions(BRAND_ID, pagination_token=first.next_token)
    assert [post.id for post in second.posts] == [seeded[1].id, seeded[0].id]
    assert second.next_token is None
    post = second.posts[-1]
    assert isinstance(post.id, str) and post.author.username == "jo" and post.mentions == ("acmehelp",)
    assert post.created_at.tzinfo is not None and post.conversation_id == post.id


def test_mentions_since_id_returns_only_newer(world, x_client):
    seeded = _mentions(world, 4)
    page = x_client.get_mentions(BRAND_ID, since_id=seeded[1].id)
    assert [post.id for post in page.posts] == [seeded[3].id, seeded[2].id]


def test_search_recent_next_token_since_id_and_reply_fields(world, x_client):
    seeded = _mentions(world, 11)
    reply = world.fake.state.add_post(BRAND_ID, "@jo we are sorry", in_reply_to_tweet_id=seeded[0].id)
    first = x_client.search_recent("@acmehelp -is:reply")
    assert len(first.posts) == 10 and first.next_token
    rest = x_client.search_recent("@acmehelp -is:reply", next_token=first.next_token)
    assert [post.id for post in rest.posts] == [seeded[0].id]
    newer = x_client.search_recent("@acmehelp", since_id=seeded[9].id)
    assert [post.id for post in newer.posts] == [seeded[10].id]
    found = x_client.search_recent("from:acmehelp is:reply").posts
    assert [(p.id, p.replied_to_id, p.in_reply_to_user_id, p.conversation_id) for p in found] == [
        (reply.id, seeded[0].id, CUSTOMER_ID, seeded[0].id)]


def test_user_posts(world, x_client):
    world.fake.state.add_post(BRAND_ID, "Service update: all good")
    _mentions(world, 2)
    page = x_client.get_user_posts(BRAND_ID)
    assert [post.text for post in page.posts] == ["Service update: all good"]


def test_create_reply_and_delete(world, x_client):
    mention = _mentions(world, 1)[0]
    result = x_client.create_post("We are looking into it", in_reply_to=mention.id)
    assert result.value.text == "We are looking into it" and result.value.id.isdigit()
    assert result.rate_limit.user_day.limit == 100 and result.rate_limit.user_day.remaining == 99
    assert result.rate_limit.app_day.limit == 1667
    stored = _brand_posts(world)
    assert [(post.id, post.replied_to_id) for post in stored] == [(result.value.id, mention.id)]
    assert x_client.delete_post(result.value.id).value is True
    with pytest.raises(NotFound):
        x_client.delete_post(result.value.id)


# --- rate limits -------------------------------------------------------------------------------


def test_window_rate_limit(world, x_client):
    world.fake.state.set_window_limit("POST /2/tweets", 1)
    x_client.create_post("first")
    with pytest.raises(RateLimited) as caught:
        x_client.create_post("second")
    window = world.fake.state.window("POST /2/tweets", f"user:{BRAND_ID}")
    assert caught.value.scope == "window" and not caught.value.is_daily_cap
    assert caught.value.reset_at == datetime.fromtimestamp(window.reset, timezone.utc)
    assert caught.value.rate_limit.window.remaining == 0


@pytest.mark.parametrize("scope", ["user", "app"])
def test_daily_cap_while_window_has_room(world, x_client, scope):
    world.fake.state.set_day_limit(scope, 17, remaining=0)
    with pytest.raises(RateLimited) as caught:
        x_client.create_post("over the cap")
    assert caught.value.scope == f"{scope}_day" and caught.value.is_daily_cap
    assert caught.value.rate_limit.window.remaining > 0
    assert caught.value.reset_at > datetime.now(timezone.utc) + timedelta(hours=23)
    assert _brand_posts(world) == []


def test_when_window_and_daily_cap_are_both_spent_the_later_reset_wins(world, x_client):
    world.fake.state.set_window_limit("POST /2/tweets", 200, remaining=0)
    world.fake.state.set_day_limit("user", 100, remaining=0)
    with pytest.raises(RateLimited) as caught:
        x_client.create_post("blocked twice")
    assert caught.value.scope == "user_day"
    assert caught.value.reset_at == caught.value.rate_limit.user_day.reset_at > caught.value.rate_limit.window.reset_at


# --- server faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(world, x_client, status):
    world.fake.state.add_fault("status", endpoint="GET /2/users/:id/mentions", status=status)
    with pytest.raises(ServerError) as caught:
        x_client.get_mentions(BRAND_ID)
    assert caught.value.status == status
    assert x_client.get_mentions(BRAND_ID).posts == ()  # the fault was used up


def test_slow_answer_within_timeout_succeeds(world, x_client):
    world.fake.state.add_fault("slow", delay=0.2)
    assert x_client.get_me().value.id == BRAND_ID


def test_read_timeout(world):
    world.fake.state.add_fault("timeout", delay=0.6)
    with make_client(world, timeout=0.2) as client, pytest.raises(Timeout) as caught:
        client.get_mentions(BRAND_ID)
    assert not isinstance(caught.value, UnknownOutcome)


def test_write_timeout_is_an_unknown_outcome(world):
    world.fake.state.add_fault("timeout", endpoint="POST /2/tweets", delay=0.5)
    with make_client(world, timeout=0.2) as client, pytest.raises(WriteTimeout) as caught:
        client.create_post("did this go out?")
    assert isinstance(caught.value, UnknownOutcome) and isinstance(caught.value, Timeout)
    deadline = time.time() + 3
    while not _brand_posts(world) and time.time() < deadline:
        time.sleep(0.05)
    assert [post.text for post in _brand_posts(world)] == ["did this go out?"]  # it did: reconcile, don't repost


def test_crash_after_accepting_post_is_an_unknown_outcome(world, x_client):
    world.fake.state.add_fault("crash", endpoint="POST /2/tweets")
    with pytest.raises(UnknownOutcome) as caught:
        x_client.create_post("accepted then dropped")
    assert caught.value.request_sent
    assert [post.text for post in _brand_posts(world)] == ["accepted then dropped"]


def test_crash_on_a_read_is_a_retryable_drop(world, x_client):
    world.fake.state.add_fault("crash", endpoint="GET /2/users/:id/mentions")
    with pytest.raises(ConnectionDropped) as caught:
        x_client.get_mentions(BRAND_ID)
    assert not isinstance(caught.value, UnknownOutcome)


def test_unreachable_server():
    with XApiClient(base_url=f"http://127.0.0.1:{free_port()}", bearer_token="t", timeout=1) as client:
        with pytest.raises(ConnectionDropped) as caught:
            client.get_mentions(BRAND_ID)
    assert caught.value.request_sent is False


def test_partial_errors_surface_next_to_data(world, x_client):
    _mentions(world, 1)
    world.fake.state.add_post("777", "@acmehelp from a suspended account")
    world.fake.state.add_fault("partial")
    page = x_client.get_mentions(BRAND_ID)
    assert len(page.posts) == 2
    assert {error.resource_id for error in page.partial_errors} == {"777", "404"}
    orphan = next(post for post in page.posts if post.author_id == "777")
    assert orphan.author is None


def test_unknown_user_is_an_empty_page_with_errors(x_client):
    page = x_client.get_mentions("999999")
    assert page.posts == () and page.partial_errors[0].resource_type == "user"


# --- content rules -------------------------------------------------------------------------------


def test_text_too_long(x_client, world):
    with pytest.raises(TextTooLong) as caught:
        x_client.create_post("a" * 281)
    assert caught.value.status == 400
    with pytest.raises(TextTooLong):
        x_client.create_post("字" * 141)
    assert _brand_posts(world) == []


def test_empty_text_is_an_invalid_request(x_client):
    with pytest.raises(InvalidRequest) as caught:
        x_client.create_post("   ")
    assert caught.value.status == 400 and "text" in caught.value.message


def test_url_counts_as_23(x_client):
    fits = LONG_URL + " " + "b" * 256  # 23 + 1 + 256 = 280 although len() is far more
    assert x_client.create_post(fits).value.text == fits
    with pytest.raises(TextTooLong):
        x_client.create_post(LONG_URL + " " + "c" * 257)


def test_duplicate_content(x_client):
    x_client.create_post("Thanks for your patience!")
    with pytest.raises(DuplicateContent):
        x_client.create_post("Thanks for your patience!")


def test_reply_rules(world, x_client):
    state = world.fake.state
    unrelated = state.add_post(CUSTOMER_ID, "my parcel is lost, no brand mentioned")
    with pytest.raises(NotPermitted) as caught:
        x_client.create_post("Can we help?", in_reply_to=unrelated.id)
    assert "not been mentioned" in caught.value.message
    announcement = state.add_post(BRAND_ID, "New returns policy")
    quote = state.add_post(CUSTOMER_ID, "this is terrible", quote_tweet_id=announcement.id)
    assert x_client.create_post("Sorry to hear that", in_reply_to=quote.id).value.id
    with pytest.raises(NotPermitted):
        x_client.create_post("Hello?", in_reply_to="1234")
    assert [post.replied_to_id for post in _brand_posts(world)] == [quote.id]


# --- malformed answers -----------------------------------------------------------------------------


def test_html_error_page_from_a_proxy(world, x_client):
    world.fake.state.add_fault("html")
    with pytest.raises(BadResponse) as caught:
        x_client.search_recent("acme")
    assert caught.value.status == 502 and "not JSON" in caught.value.message


def test_invalid_json(world, x_client):
    world.fake.state.add_fault("invalid_json", endpoint="GET /2/tweets/search/recent")
    _mentions(world, 2)
    with pytest.raises(BadResponse):
        x_client.search_recent("acme")


def test_invalid_json_after_a_write_is_an_unknown_outcome(world, x_client):
    world.fake.state.add_fault("invalid_json", endpoint="POST /2/tweets")
    with pytest.raises(UnreadableWriteResponse) as caught:
        x_client.create_post("posted, answer garbled")
    assert isinstance(caught.value, UnknownOutcome)
    assert len(_brand_posts(world)) == 1


def test_numeric_ids_are_tolerated_and_counted(world, x_client, caplog):
    seeded = _mentions(world, 2)
    world.fake.state.add_fault("numeric_ids")
    page = x_client.get_mentions(BRAND_ID)
    assert [post.id for post in page.posts] == [seeded[1].id, seeded[0].id]
    assert all(isinstance(post.author_id, str) for post in page.posts)
    assert page.coerced_ids >= 6 and page.newest_id == seeded[1].id
    assert "as a number" in caplog.text


def test_missing_required_field(world, x_client):
    _mentions(world, 1)
    world.fake.state.add_fault("missing_field")
    with pytest.raises(BadResponse) as caught:
        x_client.get_mentions(BRAND_ID)
    assert "post.id" in caught.value.message


# --- credentials ---------------------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_persisted(world):
    saved = []
    with make_client(world, on_tokens_refreshed=saved.append) as client:
        world.fake.state.expire_user_token(world.tokens["access_token"])
        assert client.create_post("after refresh").value.text == "after refresh"
    assert len(saved) == 1 and saved[0].access_token != world.tokens["access_token"]
    assert saved[0].refresh_token != world.tokens["refresh_token"]  # X rotates refresh tokens
    assert saved[0].expires_at > datetime.now(timezone.utc) + timedelta(hours=1)
    oauth = XOAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=world.fake.url)
    with pytest.raises(AuthError):
        oauth.refresh(world.tokens["refresh_token"])  # the old one is spent


def test_token_past_its_expiry_is_refreshed_before_the_call(world):
    saved = []
    stale = UserTokens(world.tokens["access_token"], world.tokens["refresh_token"],
                       datetime.now(timezone.utc) - timedelta(minutes=1))
    with make_client(world, user_tokens=stale, on_tokens_refreshed=saved.append) as client:
        assert client.get_me().value.id == BRAND_ID
    assert len(saved) == 1


def test_expired_token_without_refresh_is_an_auth_error(world):
    world.fake.state.expire_user_token(world.tokens["access_token"])
    with make_client(world, user_tokens=UserTokens(world.tokens["access_token"])) as client:
        with pytest.raises(AuthError) as caught:
            client.get_me()
    assert caught.value.status == 401


@pytest.mark.parametrize("case", ["no_user_token", "bad_bearer", "app_token_for_user_endpoint"])
def test_auth_errors(world, case):
    options = {
        "no_user_token": {"user_tokens": None},
        "bad_bearer": {"bearer_token": "wrong"},
        "app_token_for_user_endpoint": {"user_tokens": UserTokens(world.app_token), "oauth": None},
    }[case]
    with make_client(world, **options) as client, pytest.raises(AuthError):
        client.get_mentions(BRAND_ID) if case == "bad_bearer" else client.get_me()
