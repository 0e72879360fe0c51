"""Spam heuristics hold posts for review: many links from new accounts, repeated text, bursts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.extensions import db
from community.models import utcnow
from community.services import posts


@pytest.fixture
def app_overrides():
    return {"SPAM_CHECKS_ENABLED": True, "SPAM_MAX_LINKS_NEW_ACCOUNT": 2, "SPAM_BURST_POSTS": 3, "SPAM_BURST_SECONDS": 60}


@pytest.fixture
def thread(make_thread):
    return make_thread()


LINKS = "See https://a.example and https://b.example and www.c.example"


def test_more_links_than_allowed_from_a_new_account_is_held(make_user, thread):
    reply = posts.create_reply(make_user(), thread.id, LINKS)
    assert reply.is_pending
    assert reply.pending_reason.startswith("3 links from a new account")


def test_an_older_account_may_post_links(make_user, thread):
    veteran = make_user()
    veteran.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    assert not posts.create_reply(veteran, thread.id, LINKS).is_pending


def test_two_links_are_fine(make_user, thread):
    assert not posts.create_reply(make_user(), thread.id, "https://a.example and https://b.example").is_pending


def test_the_same_text_again_within_a_day_is_held(make_user, thread):
    poster = make_user()
    assert not posts.create_reply(poster, thread.id, "Try turning it off and on").is_pending
    again = posts.create_reply(poster, thread.id, "Try turning it off and on")
    assert again.is_pending and again.pending_reason == "the same text was posted again"
    assert not posts.create_reply(make_user(), thread.id, "Try turning it off and on").is_pending


def test_posting_faster_than_the_set_rate_is_held(make_user, thread):
    poster = make_user()
    held = [posts.create_reply(poster, thread.id, f"Reply number {n}").is_pending for n in range(4)]
    assert held == [False, False, False, True]


def test_held_replies_do_not_count_until_approved(make_user, thread):
    posts.create_reply(make_user(), thread.id, LINKS)
    db.session.refresh(thread)
    assert thread.reply_count == 0
