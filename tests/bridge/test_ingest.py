"""Ingest from the fake X: pagination, cursors, dedupe, drops, summoned detection, bad input from X."""
from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from community.bridge.x_api import XApiClient
from community.extensions import db
from community.models import BridgeCase, BridgeCursor, BridgeOptOut, BridgePollLog, BridgePost, CaseStatus
from community.bridge import ingest as bridge_ingest
from community.bridge import settings as bridge_settings

from .conftest import BRAND_ID, CUSTOMER_ID, make_client


@pytest.fixture
def app_overrides():
    return {"X_BRAND_USER_ID": BRAND_ID, "X_BRAND_HANDLE": "acmehelp"}


@pytest.fixture
def xc(world):
    client = make_client(world)
    yield client
    client.close()


def _mention(world, n: int, author: str = CUSTOMER_ID, **kwargs):
    return world.fake.state.add_post(author, f"@acmehelp my order {n} never arrived", **kwargs)


def _fault(world, kind: str, endpoint: str = "GET /2/users/:id/mentions", **extra) -> None:
    """Through the fake's control endpoint, as an operator would."""
    response = httpx.post(f"{world.fake.url}/_control/faults", json={"kind": kind, "endpoint": endpoint, **extra})
    assert response.status_code == 201, response.text


def _cursor(source: str) -> str | None:
    return db.session.scalar(select(BridgeCursor.since_id).where(BridgeCursor.source == source))


def _stored_ids() -> list[str]:
    return sorted(db.session.scalars(select(BridgePost.post_id)), key=int)


def _last_log(source: str = "mentions") -> BridgePollLog:
    return db.session.scalars(select(BridgePollLog).where(BridgePollLog.source == source)
                              .order_by(BridgePollLog.id.desc())).first()


def test_mentions_pagination_stores_every_page_and_moves_the_cursor(app, world, xc):
    posts = [_mention(world, n) for n in range(25)]
    counts = bridge_ingest.poll_once(xc)["mentions"]
    assert (counts.fetched, counts.stored, counts.duplicates, counts.errors) == (25, 25, 0, 0)
    assert _stored_ids() == sorted((p.id for p in posts), key=int)
    assert _cursor("mentions") == max((p.id for p in posts), key=int)
    assert _last_log().requests == 3
    stored = db.session.scalar(select(BridgePost).where(BridgePost.post_id == posts[0].id))
    assert stored.raw["id"] == posts[0].id and stored.author_username == "jo" and stored.conversation_id == posts[0].id
    assert stored.label and stored.classifier_version

    again = bridge_ingest.poll_once(xc)["mentions"]
    assert again.fetched == 0  # since_id: nothing old is read twice
    newer = _mention(world, 99)
    assert bridge_ingest.poll_once(xc)["mentions"].stored == 1
    assert _cursor("mentions") == newer.id


class SecondPageFails:
    """Delegates to the real client; before the second page it arms a fault in the fake X."""

    def __init__(self, client, world, kind="status"):
        self.client, self.world, self.kind = client, world, kind

    def get_mentions(self, user_id, since_id=None, pagination_token=None):
        if pagination_token:
            _fault(self.world, self.kind)
        return self.client.get_mentions(user_id, since_id=since_id, pagination_token=pagination_token)

    def search_recent(self, *args, **kwargs):
        return self.client.search_recent(*args, **kwargs)


def test_cursor_stays_when_a_later_page_fails_and_a_repoll_dedupes(app, world, xc):
    posts = [_mention(world, n) for n in range(15)]
    first = bridge_ingest.poll_once(SecondPageFails(xc, world))["mentions"]
    assert (first.stored, first.errors) == (10, 1)
    assert _cursor("mentions") is None
    assert "ServerError" in _last_log().error_message

    second = bridge_ingest.poll_once(xc)["mentions"]
    assert (second.fetched, second.stored, second.duplicates) == (15, 5, 10)
    assert _stored_ids() == sorted((p.id for p in posts), key=int)
    assert _cursor("mentions") == max((p.id for p in posts), key=int)


@pytest.mark.parametrize("kind", ["html", "invalid_json", "missing_field", "status"])
def test_unreadable_answers_are_logged_without_losing_the_cursor_or_doubling(app, world, xc, kind):
    old = _mention(world, 1)
    bridge_ingest.poll_once(xc)
    new = [_mention(world, n) for n in (2, 3)]
    _fault(world, kind)
    failed = bridge_ingest.poll_once(xc)["mentions"]
    assert failed.errors == 1 and failed.stored == 0
    assert failed.bad_input == (0 if kind == "status" else 1)
    entry = _last_log()
    assert entry.errors == 1 and entry.error_message and entry.cursor_after == old.id
    assert _cursor("mentions") == old.id

    recovered = bridge_ingest.poll_once(xc)["mentions"]
    assert (recovered.stored, recovered.duplicates, recovered.errors) == (2, 0, 0)
    assert _stored_ids() == [old.id, *(p.id for p in new)]


@pytest.mark.parametrize("kind", ["numeric_ids", "partial"])
def test_usable_answers_with_problems_are_stored_and_counted(app, world, xc, kind):
    post = _mention(world, 1)
    _fault(world, kind)
    counts = bridge_ingest.poll_once(xc)["mentions"]
    assert (counts.stored, counts.errors) == (1, 0)
    assert counts.bad_input >= 1 and _last_log().bad_input == counts.bad_input
    assert _stored_ids() == [post.id] and _cursor("mentions") == post.id


def test_unknown_expansions_and_extra_fields_are_ignored(app):
    payload = {
        "data": [{"id": "501", "text": "@acmehelp hello", "author_id": "77", "created_at": "2026-01-02T03:04:05.000Z",
                  "conversation_id": "501", "surprise": {"nested": True},
                  "entities": {"mentions": [{"start": 0, "end": 9, "username": "acmehelp", "id": BRAND_ID}]}}],
        "includes": {"users": [{"id": "77", "username": "kim", "name": "Kim",
                                "public_metrics": {"followers_count": 1234}}],
                     "polls": [{"id": "p1"}], "places": "not even a list"},
        "meta": {"result_count": 1, "newest_id": "501", "oldest_id": "501"},
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=payload))
    with XApiClient(base_url="http://x.invalid", bearer_token="t", transport=transport) as client:
        counts = bridge_ingest.poll_once(client)["mentions"]
    assert (counts.stored, counts.errors) == (1, 0)
    case = db.session.scalar(select(BridgeCase))
    assert case.author_followers == 1234 and case.summoned and case.author_username == "kim"


def test_own_posts_retweets_and_opted_out_authors_are_dropped(app, world, xc):
    state = world.fake.state
    bridge_settings.save_keywords(_admin(), "acme")
    state.add_user("opted", "Opted", "3003")
    own = state.add_post(BRAND_ID, "acme news: we fixed the outage")
    retweet = state.add_post("3003", "RT @acmehelp: acme news")
    db.session.add(BridgeOptOut(network="x", author_id="3003"))
    db.session.commit()
    quiet = state.add_post("3003", "acme broke again")
    kept = state.add_post(CUSTOMER_ID, "acme charged me twice")
    results = bridge_ingest.poll_once(xc)
    assert results["mentions"].dropped == 1  # the retweet mentions us; the search query excludes retweets
    counts = bridge_ingest.Counts()
    for part in results.values():
        counts.add(part)
    assert counts.fetched == 4 and counts.stored == 1 and counts.dropped == 3
    assert db.session.scalar(select(func.count(BridgeCase.id))) == 1
    assert db.session.scalar(select(BridgeCase.author_id)) == CUSTOMER_ID
    assert retweet.id not in _stored_ids() and quiet.id not in _stored_ids() and kept.id in _stored_ids()
    # The brand's own post is remembered without a case, so a quote of it can be recognised.
    assert db.session.scalar(select(BridgePost.case_id).where(BridgePost.post_id == own.id)) is None


def test_a_stop_reply_opts_the_author_out_at_once(app, world, xc):
    first = _mention(world, 1)
    bridge_ingest.poll_once(xc)
    world.fake.state.add_post(CUSTOMER_ID, "@acmehelp STOP", in_reply_to_tweet_id=first.id)
    later = _mention(world, 3)
    counts = bridge_ingest.poll_once(xc)["mentions"]
    assert counts.stored == 0 and counts.dropped == 2
    assert db.session.scalar(select(BridgeOptOut.reason).where(BridgeOptOut.author_id == CUSTOMER_ID)) == "stop_reply"
    assert db.session.scalar(select(BridgeCase.status)) == CaseStatus.opted_out
    assert later.id not in _stored_ids()


def test_summoned_by_mention_or_quote_of_a_brand_post_not_by_keyword(app, world, xc):
    state = world.fake.state
    bridge_settings.save_keywords(_admin(), "widget")
    state.add_user("sam", "Sam", "4004")
    state.add_user("lee", "Lee", "5005")
    brand_post = state.add_post(BRAND_ID, "Our widget 2.0 is out")
    keyword_only = state.add_post("4004", "my widget is broken")
    bridge_ingest.poll_once(xc)
    quote = state.add_post("5005", "this widget launch is a mess", quote_tweet_id=brand_post.id)
    mention = _mention(world, 1)
    bridge_ingest.poll_once(xc)
    summoned = dict(db.session.execute(select(BridgePost.post_id, BridgePost.summoned)).all())
    assert summoned[keyword_only.id] is False
    assert summoned[quote.id] is True
    assert summoned[mention.id] is True
    cases = dict(db.session.execute(select(BridgeCase.author_id, BridgeCase.summoned)).all())
    assert cases == {"4004": False, "5005": True, CUSTOMER_ID: True}


def test_a_post_found_by_both_sources_is_stored_once_and_one_case_per_conversation_author(app, world, xc):
    bridge_settings.save_keywords(_admin(), "order")
    root = _mention(world, 1)
    _mention(world, 2, in_reply_to_tweet_id=root.id)
    counts = bridge_ingest.poll_once(xc)
    assert counts["mentions"].stored == 2
    assert counts["search"].duplicates == 2 and counts["search"].stored == 0
    assert db.session.scalar(select(func.count(BridgePost.id))) == 2
    case = db.session.scalar(select(BridgeCase))
    assert len(case.posts) == 2 and case.conversation_id == root.id


def test_poll_refuses_without_configuration(app):
    from community.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="X_BEARER_TOKEN"):
        bridge_ingest.poll_once()


def test_flask_bridge_poll_prints_counts(app, world):
    app.config.update(X_API_BASE_URL=world.fake.url, X_BEARER_TOKEN=world.app_token)
    _mention(world, 1)
    result = app.test_cli_runner().invoke(args=["bridge", "poll"])
    assert result.exit_code == 0, result.output
    assert "mentions: fetched 1, stored 1, duplicates 0, dropped 0, errors 0" in result.output


def test_run_scheduled_includes_the_bridge_poll_and_purge(app):
    from community.jobs.registry import name_of
    from community.jobs.scheduler import PERIODIC_TASKS

    scheduled = [periodic.task for periodic in PERIODIC_TASKS]
    assert name_of(bridge_ingest.scheduled_poll) in scheduled
    assert name_of(bridge_ingest.purge_deleted) in scheduled
    assert bridge_ingest.scheduled_poll() == 0  # not configured: a quiet no-op


def _admin():
    from tests.factories import make_user

    return make_user(role="admin")


def test_daily_budget_skips_polls(app, world, xc):
    app.config["BRIDGE_DAILY_READ_BUDGET"] = 1
    _mention(world, 1)
    assert bridge_ingest.poll_once(xc)["mentions"].fetched == 1
    _mention(world, 2)
    assert bridge_ingest.poll_once(xc) == {}
    assert json.dumps(bridge_ingest.posts_read_today()) == "1"
