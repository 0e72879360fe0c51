"""The exactly-once outbox against the fake X: every state transition, retries only where safe,
rate limits and 24-hour caps honoured, duplicate-content 403 and lost answers reconciled."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from community.extensions import db
from community.models import BridgeOutbound, utcnow
from community.models.bridge import OutboundState
from community.bridge import respond as bridge_invite
from community.bridge import outbox as bridge_outbox

from ..conftest import free_port
from .conftest import BRAND_ID, make_client
from .outbox_world import brand_posts, customer, mention, outbound_rows, posting  # noqa: F401

SECOND = "@acmehelp checkout fails with an error every single time, awful"


@pytest.fixture
def held(monkeypatch):
    """Invites are queued but not sent until the test calls send/process_due itself."""
    ids: list[int] = []
    monkeypatch.setattr(bridge_outbox, "start", ids.append)
    return ids


@pytest.fixture
def staff(make_user):
    return make_user(role="staff")


def _queued(posting, staff, held, text: str | None = None, username: str = "jo") -> BridgeOutbound:
    author = customer(posting, username) if username != "jo" else "1001"
    case = mention(posting, text, author) if text else mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    return db.session.get(BridgeOutbound, held[-1])


def _row(row_id: int) -> BridgeOutbound:
    db.session.expire_all()
    return db.session.get(BridgeOutbound, row_id)


def _post_on_fake(posting, row: BridgeOutbound):
    """As if an earlier attempt had gone through: the brand's reply is already on X."""
    return posting.fake.state.add_post(BRAND_ID, row.text, in_reply_to_tweet_id=row.in_reply_to_post_id, via_api=True)


def test_send_claims_once_and_is_safe_to_run_twice(app, posting, staff, held):
    row = _queued(posting, staff, held)
    assert row.state == OutboundState.queued and brand_posts(posting) == []
    assert bridge_outbox.send(row.id) == OutboundState.sent
    assert bridge_outbox.send(row.id) == OutboundState.sent
    [post] = brand_posts(posting)
    assert (_row(row.id).remote_post_id, _row(row.id).attempts) == (post.id, 1)


def test_a_row_another_worker_claimed_is_left_alone(app, posting, staff, held):
    row = _queued(posting, staff, held)
    db.session.execute(update(BridgeOutbound).values(state=OutboundState.sending, claimed_at=utcnow()))
    db.session.commit()
    assert bridge_outbox.send(row.id) == OutboundState.sending
    assert bridge_outbox.process_due() == 0  # not stale yet: it may still be in flight
    assert brand_posts(posting) == []


def test_a_5xx_is_retried_after_a_backoff(app, posting, staff, held):
    row = _queued(posting, staff, held)
    posting.fake.state.add_fault("status", "POST /2/tweets", status=503)
    assert bridge_outbox.send(row.id) == OutboundState.queued
    row = _row(row.id)
    assert row.attempts == 1 and row.next_attempt_at > utcnow() and row.last_error.startswith("will retry")
    assert bridge_outbox.process_due() == 0  # not due yet
    db.session.execute(update(BridgeOutbound).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert bridge_outbox.process_due() == 1
    [post] = brand_posts(posting)
    assert _row(row.id).state == OutboundState.sent and _row(row.id).remote_post_id == post.id


def test_a_refused_connection_is_retried(app, posting, staff, held):
    row = _queued(posting, staff, held)
    with make_client(posting, base_url=f"http://127.0.0.1:{free_port()}") as unreachable:
        assert bridge_outbox.send(row.id, unreachable) == OutboundState.queued
    assert _row(row.id).attempts == 1 and "cannot connect" in _row(row.id).last_error


def test_after_the_last_attempt_the_row_fails_and_forgets_the_link(app, posting, staff, held):
    app.config["BRIDGE_OUTBOX_MAX_ATTEMPTS"] = 1
    row = _queued(posting, staff, held)
    assert "/join/" in row.text
    posting.fake.state.add_fault("status", "POST /2/tweets", status=500)
    assert bridge_outbox.send(row.id) == OutboundState.failed
    row = _row(row.id)
    assert "gave up after 1 attempts" in row.last_error and "/join/" not in row.text


def test_a_429_waits_for_the_reset_and_holds_the_queue(app, posting, staff, held):
    first = _queued(posting, staff, held)
    second = _queued(posting, staff, held, SECOND, "kim")
    posting.fake.state.set_window_limit("POST /2/tweets", 200, remaining=0)
    assert bridge_outbox.send(first.id) == OutboundState.queued
    reset = int(posting.fake.state.windows[("POST /2/tweets", f"user:{BRAND_ID}")].reset)
    first, second = _row(first.id), _row(second.id)
    assert int(first.next_attempt_at.timestamp()) == reset and first.attempts == 0
    assert "15-minute window" in first.last_error
    assert second.next_attempt_at == first.next_attempt_at  # the whole queue waits
    assert bridge_outbox.process_due() == 0 and brand_posts(posting) == []


def test_the_24_hour_cap_pauses_until_its_reset(app, posting, staff, held):
    row = _queued(posting, staff, held)
    posting.fake.state.set_day_limit("user", 100, remaining=0)
    assert bridge_outbox.send(row.id) == OutboundState.queued
    row = _row(row.id)
    assert "24-hour cap" in row.last_error and row.next_attempt_at > utcnow() + timedelta(hours=23)
    assert brand_posts(posting) == []


def test_spending_the_last_daily_post_holds_the_rest(app, posting, staff, held):
    first = _queued(posting, staff, held)
    second = _queued(posting, staff, held, SECOND, "kim")
    posting.fake.state.set_day_limit("app", 100, remaining=1)
    assert bridge_outbox.send(first.id) == OutboundState.sent
    assert _row(second.id).next_attempt_at > utcnow() + timedelta(hours=23)
    assert bridge_outbox.send(second.id) == OutboundState.queued
    assert len(brand_posts(posting)) == 1


def test_a_duplicate_403_is_reconciled_to_the_post_already_on_x(app, posting, staff, held):
    row = _queued(posting, staff, held)
    earlier = _post_on_fake(posting, row)
    assert bridge_outbox.send(row.id) == OutboundState.sent
    assert _row(row.id).remote_post_id == earlier.id
    assert [post.id for post in brand_posts(posting)] == [earlier.id]


def test_a_duplicate_of_another_post_fails_without_a_retry(app, posting, staff, held):
    row = _queued(posting, staff, held)
    posting.fake.state.add_post(BRAND_ID, row.text, via_api=True)  # same text, not a reply to this post
    assert bridge_outbox.send(row.id) == OutboundState.failed
    assert "duplicate" in _row(row.id).last_error and len(brand_posts(posting)) == 1


def test_an_answer_lost_after_the_post_was_accepted_is_reconciled(app, posting, staff, held):
    row = _queued(posting, staff, held)
    posting.fake.state.add_fault("crash", "POST /2/tweets")
    assert bridge_outbox.send(row.id) == OutboundState.sent
    [post] = brand_posts(posting)
    assert _row(row.id).remote_post_id == post.id and _row(row.id).attempts == 1


def test_a_stale_sending_row_that_never_reached_x_is_sent_again(app, posting, staff, held):
    row = _queued(posting, staff, held)
    db.session.execute(update(BridgeOutbound).values(state=OutboundState.sending, attempts=1,
                                                     claimed_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert bridge_outbox.process_due() == 1
    [post] = brand_posts(posting)
    row = _row(row.id)
    assert (row.state, row.remote_post_id, row.attempts) == (OutboundState.sent, post.id, 2)


def test_a_stale_sending_row_already_on_x_is_recorded_not_resent(app, posting, staff, held):
    row = _queued(posting, staff, held)
    earlier = _post_on_fake(posting, row)
    db.session.execute(update(BridgeOutbound).values(state=OutboundState.sending, attempts=1,
                                                     claimed_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert bridge_outbox.process_due() == 1
    assert _row(row.id).remote_post_id == earlier.id and len(brand_posts(posting)) == 1
    assert "/join/" not in _row(row.id).text


def test_a_reply_to_a_post_deleted_on_x_fails(app, posting, staff, held):
    row = _queued(posting, staff, held)
    posting.fake.state.posts[row.in_reply_to_post_id].deleted = True
    assert bridge_outbox.send(row.id) == OutboundState.failed
    assert _row(row.id).last_error.startswith("X refused the post") and brand_posts(posting) == []


def test_without_a_brand_token_the_row_waits(app, posting, staff, held):
    row = _queued(posting, staff, held)
    app.config["X_USER_ACCESS_TOKEN"] = None
    assert bridge_outbox.send(row.id) == OutboundState.queued
    assert "COMMUNITY_X_USER_ACCESS_TOKEN" in _row(row.id).last_error and _row(row.id).attempts == 0


def test_a_refreshed_brand_token_pair_is_kept_for_the_next_process(app, posting, staff, held):
    from .conftest import CLIENT_ID, CLIENT_SECRET

    app.config.update(X_CLIENT_ID=CLIENT_ID, X_CLIENT_SECRET=CLIENT_SECRET,
                      X_USER_REFRESH_TOKEN=posting.tokens["refresh_token"])
    first = _queued(posting, staff, held)
    second = _queued(posting, staff, held, SECOND, "kim")
    posting.fake.state.expire_user_token(posting.tokens["access_token"])
    assert bridge_outbox.send(first.id) == OutboundState.sent
    stored = bridge_outbox._stored_tokens()
    assert stored["access_token"] != posting.tokens["access_token"]
    # The configured refresh token is spent now (single use); the next client must use the stored pair.
    posting.fake.state.expire_user_token(stored["access_token"])
    assert bridge_outbox.send(second.id) == OutboundState.sent
    assert len(brand_posts(posting)) == 2


def test_reconciling_many_rows_reads_the_brand_timeline_once(app, posting, staff, held):
    rows = [_queued(posting, staff, held), _queued(posting, staff, held, SECOND, "kim")]
    earlier = [_post_on_fake(posting, row) for row in rows]
    db.session.execute(update(BridgeOutbound).values(state=OutboundState.sending, attempts=1,
                                                     claimed_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    reads = []
    with make_client(posting) as client:
        read = client.get_user_posts
        client.get_user_posts = lambda *args, **kwargs: reads.append(args) or read(*args, **kwargs)
        assert bridge_outbox.process_due(client) == 2
    assert len(reads) == 1
    assert [_row(row.id).remote_post_id for row in rows] == [post.id for post in earlier]
