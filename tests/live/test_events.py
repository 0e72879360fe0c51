"""A commit's live events: what each write tells, to which channel, with ids only, after the commit."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.live import current_broker
from community.live.broker import MemoryBroker
from community.live.events import Event
from community.models import Flag, FlagReason, Follow, Notification, Post
from community.services import answers, posts, reactions

ID_KEYS = {"kind", "thread", "post"}


def _events(channel: str, after: str = "0") -> list[dict]:
    events, lost = current_broker().since(frozenset({channel}), after)
    assert not lost
    return [event.payload for event in events]


def test_a_reply_tells_its_thread_and_the_staff_inbox_with_ids_only(make_user, make_thread):
    thread = make_thread(body="secret opening words")
    member = make_user()
    reply = posts.create_reply(member, thread.id, "A reply with private words in it.")
    assert {"kind": "reply", "thread": thread.id, "post": reply.id} in _events(f"thread:{thread.id}")
    assert {"kind": "new", "thread": thread.id} in _events("staff:inbox")
    for payload in _events(f"thread:{thread.id}"):
        assert set(payload) <= ID_KEYS  # never a body, title or name


def test_an_edit_an_answer_and_a_same_problem_tell_the_thread(make_user, make_thread, make_post):
    asker = make_user()
    thread = make_thread(author=asker)
    reply = make_post(thread=thread, body="Try turning it off and on.")
    db.session.commit()
    after = current_broker().latest_id()
    posts.edit_post(reply.author, reply.id, "Try turning it off and on again.")
    answers.accept_answer(asker, thread.id, reply.id)
    reactions.toggle_same_problem(make_user(), thread.id)
    kinds = [payload["kind"] for payload in _events(f"thread:{thread.id}", after)]
    assert "edit" in kinds and "answer" in kinds and "same" in kinds


def test_a_notification_rings_only_its_owners_bell(make_user, make_thread):
    follower, other = make_user(), make_user()
    thread = make_thread()
    db.session.add(Follow(thread_id=thread.id, user_id=follower.id))
    db.session.commit()
    posts.create_reply(make_user(), thread.id, "News for the follower.")
    assert db.session.query(Notification).filter_by(user_id=follower.id).count() == 1
    assert _events(f"user:{follower.id}") == [{"kind": "bell"}]
    assert _events(f"user:{other.id}") == []


def test_a_flag_tells_the_moderation_queue(make_user, make_thread):
    thread = make_thread()
    opening = db.session.query(Post).filter_by(thread_id=thread.id).one()
    db.session.add(Flag(post_id=opening.id, user_id=make_user().id, reason=FlagReason.spam))
    db.session.commit()
    assert _events("staff:queue") == [{"kind": "new"}]


def test_nothing_is_told_before_the_commit_or_after_a_rollback(make_user, make_thread):
    thread = make_thread()
    db.session.commit()
    before = current_broker().latest_id()
    posts_before = _events(f"thread:{thread.id}", before)
    db.session.add(Post(thread_id=thread.id, author_id=thread.author_id, position=9, body_markdown="x", body_html="x"))
    db.session.flush()
    assert current_broker().latest_id() == before
    db.session.rollback()
    assert current_broker().latest_id() == before and posts_before == []


def test_the_memory_broker_replays_after_an_id_and_says_when_it_lost_some():
    broker = MemoryBroker(keep=3)
    broker.publish([Event("thread:1", "reply", 1, n) for n in range(1, 6)])  # ids 1..5, keeps 3..5
    events, lost = broker.since(frozenset({"thread:1"}), "3")
    assert [event.payload["post"] for event in events] == [4, 5] and not lost
    _events_lost, lost = broker.since(frozenset({"thread:1"}), "1")
    assert lost
    assert broker.since(frozenset({"thread:2"}), "0")[0] == []
    with pytest.raises(ValueError):
        broker.since(frozenset({"thread:1"}), "1-0")
