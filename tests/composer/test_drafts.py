"""Drafts (community/composer/drafts.py) through the service and /composer/draft: one per member and
composer, private to their owner, gone when posted or when the account is deleted, hidden once
the member may no longer post there, size-limited with a clear JSON error."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.composer import drafts
from community.errors import PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import Draft, Visibility
from community.services import accounts, posts, threads
from tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def thread(make_user, make_category):
    return threads.create_thread(make_user(), make_category().id, "Printer offline", "It says offline.")


def _count() -> int:
    return db.session.scalar(select(func.count(Draft.id)))


def test_saving_twice_keeps_one_row_with_the_latest_text(make_user, thread):
    member = make_user()
    drafts.save(member, f"thread:{thread.id}", "First words")
    drafts.save(member, f"thread:{thread.id}", "First words, then more")
    assert _count() == 1
    assert drafts.load(member, f"thread:{thread.id}").body == "First words, then more"


def test_the_database_refuses_a_second_row_for_the_same_member_and_scope(make_user, thread):
    member = make_user()
    db.session.add_all([Draft(user_id=member.id, scope="new", body="a"), Draft(user_id=member.id, scope="new", body="b")])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_draft_is_its_owners_alone(make_user, thread):
    owner, other = make_user(), make_user()
    drafts.save(owner, f"thread:{thread.id}", "Mine")
    assert drafts.load(other, f"thread:{thread.id}") is None
    assert drafts.discard(other, f"thread:{thread.id}") is False
    assert drafts.load(owner, f"thread:{thread.id}").body == "Mine"


def test_replying_removes_the_reply_draft_and_only_it(make_user, thread, make_category):
    member = make_user()
    drafts.save(member, f"thread:{thread.id}", "Have you tried turning it off?")
    drafts.save(member, "new", "A question for later", "Later")
    posts.create_reply(member, thread.id, "Have you tried turning it off?")
    assert drafts.load(member, f"thread:{thread.id}") is None
    assert drafts.load(member, "new").title == "Later"


def test_starting_a_thread_removes_the_new_thread_drafts_of_that_category(make_user, make_category):
    member, category, elsewhere = make_user(), make_category(), make_category()
    drafts.save(member, "new", "Body", "Title")
    drafts.save(member, f"new:{category.id}", "Body", "Title")
    drafts.save(member, f"new:{elsewhere.id}", "Other body", "Other")
    threads.create_thread(member, category.id, "Title", "Body")
    assert drafts.load(member, "new") is None and drafts.load(member, f"new:{category.id}") is None
    assert drafts.load(member, f"new:{elsewhere.id}").body == "Other body"


def test_an_emptied_composer_removes_its_draft(make_user, thread):
    member = make_user()
    drafts.save(member, f"thread:{thread.id}", "Something")
    assert drafts.save(member, f"thread:{thread.id}", "  \n ") is None
    assert _count() == 0


def test_a_thread_the_member_can_no_longer_read_shows_and_takes_no_draft(make_user, make_category, thread):
    member = make_user()
    drafts.save(member, f"thread:{thread.id}", "Half a reply")
    thread.category = make_category(visibility=Visibility.staff)
    db.session.commit()
    assert drafts.load(member, f"thread:{thread.id}") is None
    with pytest.raises(Exception) as refused:
        drafts.save(member, f"thread:{thread.id}", "More")
    assert refused.value.status_code == 404


def test_a_gated_category_takes_no_draft_from_someone_outside_it(make_user, make_category):
    member, gated = make_user(), make_category(visibility=Visibility.customers)
    with pytest.raises(Exception) as refused:
        drafts.save(member, f"new:{gated.id}", "Body")
    assert refused.value.status_code == 404
    staff = make_user(role="staff")
    assert drafts.save(staff, f"new:{gated.id}", "Body").category_id == gated.id


def test_an_unverified_member_keeps_no_drafts(make_user):
    with pytest.raises(PermissionDenied):
        drafts.save(make_user(email_verified=False), "new", "Body")


@pytest.mark.parametrize("scope", ["", "thread:", "thread:abc", "new:", "new:1:2", "edit:4", None, 7, "thread:1234567890123"])
def test_an_unknown_scope_is_a_validation_error(make_user, scope):
    with pytest.raises(ValidationFailed):
        drafts.save(make_user(), scope, "Body")


def test_deleting_the_account_removes_its_drafts(make_user, thread):
    member, other = make_user(), make_user()
    drafts.save(member, f"thread:{thread.id}", "Unposted words")
    drafts.save(other, f"thread:{thread.id}", "Someone else's")
    accounts.delete_account(member, DEFAULT_PASSWORD)
    assert db.session.scalars(select(Draft.user_id)).all() == [other.id]


def test_deleting_the_thread_row_removes_its_drafts(make_user, thread):
    drafts.save(make_user(), f"thread:{thread.id}", "Words")
    db.session.delete(thread)
    db.session.commit()
    assert _count() == 0


# --- through /composer/draft ---------------------------------------------------------------------


def test_save_load_and_discard_over_json(client, auth, make_user, thread):
    member = make_user()
    auth.sign_in(member)
    scope = f"thread:{thread.id}"
    saved = client.post("/composer/draft", json={"scope": scope, "body": "Typed on the laptop"})
    assert saved.status_code == 200 and saved.get_json()["draft"]["body"] == "Typed on the laptop"
    loaded = client.get(f"/composer/draft?scope={scope}").get_json()["draft"]
    assert loaded["body"] == "Typed on the laptop" and loaded["scope"] == scope
    assert client.post("/composer/draft/discard", json={"scope": scope}).get_json() == {"discarded": True}
    assert client.get(f"/composer/draft?scope={scope}").get_json() == {"draft": None}


def test_an_oversized_draft_is_a_clear_413_and_keeps_the_last_saved_one(app, client, auth, make_user, thread):
    member = make_user()
    auth.sign_in(member)
    scope = f"thread:{thread.id}"
    client.post("/composer/draft", json={"scope": scope, "body": "The short version"})
    too_long = "x" * (app.config["DRAFT_MAX_LENGTH"] + 1)
    response = client.post("/composer/draft", json={"scope": scope, "body": too_long})
    assert response.status_code == 413
    assert "drafts keep up to" in response.get_json()["error"]["message"]
    assert drafts.load(member, scope).body == "The short version"


@pytest.mark.parametrize("payload", [None, [], {"scope": "new", "body": 5}, {"scope": "nowhere", "body": "x"}])
def test_bad_json_is_a_4xx_json_error(client, auth, make_user, payload):
    auth.sign_in(make_user())
    response = client.post("/composer/draft", json=payload) if payload is not None else client.post("/composer/draft", data="{", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]["message"]


def test_anonymous_requests_get_401_json(client, thread):
    assert client.get(f"/composer/draft?scope=thread:{thread.id}").status_code == 401
    response = client.post("/composer/draft", json={"scope": "new", "body": "x"})
    assert response.status_code == 401 and "sign in" in response.get_json()["error"]["message"].lower()


def test_saving_needs_the_csrf_header(app, client, auth, make_user):
    auth.sign_in(make_user())
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/composer/draft", json={"scope": "new", "body": "x"}).status_code == 400
        assert client.post("/composer/draft/discard", json={"scope": "new"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _count() == 0

