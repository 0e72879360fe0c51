"""Races the outbox must win: two workers on one row (PostgreSQL, real connections), and the database's
unique keys catching a second reply that slipped past the service's checks."""
from __future__ import annotations

import threading

import pytest

from community.errors import Conflict
from community.extensions import db
from community.models import BridgeOutbound
from community.models.bridge import OutboundState
from community.bridge import respond as bridge_invite
from community.bridge import outbox as bridge_outbox

from .outbox_world import brand_posts, customer, mention, outbound_rows, posting  # noqa: F401


@pytest.fixture
def staff(make_user):
    return make_user(role="staff")


@pytest.mark.backends("postgres")
def test_two_workers_sending_one_row_post_it_once(app, posting, staff, monkeypatch):
    held: list[int] = []
    monkeypatch.setattr(bridge_outbox, "start", held.append)
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list = []

    def work() -> None:
        with app.app_context():
            try:
                barrier.wait()
                outcomes.append(bridge_outbox.send(held[0]))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert len(outcomes) == 2
    [post] = brand_posts(posting)
    [row] = outbound_rows()
    assert (row.state, row.remote_post_id, row.attempts) == (OutboundState.sent, post.id, 1)


def test_the_database_refuses_a_second_reply_in_one_conversation(app, posting, staff, monkeypatch):
    first = mention(posting)
    second = mention(posting, "@acmehelp mine too, same invoice problem", customer(posting, "kim"),
                     in_reply_to_tweet_id=first.posts[0].post_id)
    # As if both staff members passed the checks at the same instant: only the unique key is left.
    monkeypatch.setattr(bridge_invite, "refusal", lambda case, kind, now=None: None)
    bridge_invite.invite(staff, first.id, first.version)
    with pytest.raises(Conflict, match="already has that reply queued"):
        bridge_invite.invite(staff, second.id, second.version)
    db.session.refresh(second)
    assert second.status.value == "new" and second.version == 1  # the CAS was rolled back with the insert
    assert len(outbound_rows()) == 1 and len(brand_posts(posting)) == 1
    assert db.session.query(BridgeOutbound).count() == 1
