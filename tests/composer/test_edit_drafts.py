"""Drafts of edits (scope "post:<id>"): one per member and post, kept while the member may edit
the post, gone when the edit is saved or discarded, hidden once the post is deleted or no longer
theirs to edit, and the edit form says which draft it is."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.composer import drafts
from community.errors import PermissionDenied
from community.extensions import db
from community.models import Draft, Post, Visibility
from community.services import moderation, posts, threads


@pytest.fixture
def reply(make_user, make_category):
    thread = threads.create_thread(make_user(), make_category().id, "Printer offline", "It says offline.")
    return posts.create_reply(make_user(), thread.id, "Did you restart it?")


def _scope(post: Post) -> str:
    return f"post:{post.id}"


def _count() -> int:
    return db.session.scalar(select(func.count(Draft.id)))


def test_an_edit_draft_is_one_row_per_member_and_post(reply):
    author = reply.author
    drafts.save(author, _scope(reply), "Did you restart it? And")
    drafts.save(author, _scope(reply), "Did you restart it? And unplug it?")
    assert _count() == 1
    kept = drafts.load(author, _scope(reply))
    assert (kept.body, kept.post_id) == ("Did you restart it? And unplug it?", reply.id)
    db.session.add(Draft(user_id=author.id, scope=_scope(reply), post_id=reply.id, body="again"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_author_and_staff_keep_their_own_drafts_of_the_same_post(reply, make_user):
    staff = make_user(role="staff")
    drafts.save(reply.author, _scope(reply), "The author's wording")
    drafts.save(staff, _scope(reply), "The moderator's wording")
    assert drafts.load(reply.author, _scope(reply)).body == "The author's wording"
    assert drafts.load(staff, _scope(reply)).body == "The moderator's wording"


def test_saving_the_edit_removes_that_members_edit_draft_and_only_it(reply, make_user):
    author, staff = reply.author, make_user(role="staff")
    drafts.save(author, _scope(reply), "Did you restart it twice?")
    drafts.save(staff, _scope(reply), "A moderator's half edit")
    drafts.save(author, f"thread:{reply.thread_id}", "A reply for later")
    posts.edit_post(author, reply.id, "Did you restart it twice?")
    assert drafts.load(author, _scope(reply)) is None
    assert drafts.load(staff, _scope(reply)).body == "A moderator's half edit"
    assert drafts.load(author, f"thread:{reply.thread_id}").body == "A reply for later"


def test_saving_an_unchanged_edit_removes_the_draft_too(reply):
    drafts.save(reply.author, _scope(reply), "Something I then undid")
    posts.edit_post(reply.author, reply.id, reply.body_markdown)
    assert _count() == 0


def test_typing_back_to_the_saved_text_keeps_no_draft(reply):
    drafts.save(reply.author, _scope(reply), "Did you restart it?!")
    assert drafts.save(reply.author, _scope(reply), reply.body_markdown) is None
    assert _count() == 0


def test_an_opening_posts_draft_keeps_the_title(reply):
    opening = db.session.scalar(select(Post).where(Post.thread_id == reply.thread_id, Post.position == 1))
    author = opening.author
    assert drafts.save(author, _scope(opening), opening.body_markdown, "Printer offline since Monday").title == (
        "Printer offline since Monday")
    assert drafts.save(author, _scope(opening), opening.body_markdown, opening.thread.title) is None


def test_a_deleted_post_shows_and_takes_no_edit_draft_even_for_staff(reply, make_user):
    staff = make_user(role="staff")
    drafts.save(reply.author, _scope(reply), "Half an edit")
    drafts.save(staff, _scope(reply), "Staff's half edit")
    posts.delete_post(reply.author, reply.id)
    for member in (reply.author, staff):
        assert drafts.load(member, _scope(reply)) is None
        with pytest.raises(PermissionDenied):
            drafts.save(member, _scope(reply), "More")
    posts.restore_post(staff, reply.id)  # the rows were kept: restored, the post's drafts are back
    assert drafts.load(reply.author, _scope(reply)).body == "Half an edit"


def test_someone_who_may_no_longer_edit_the_post_sees_no_draft(reply, make_user, make_category):
    author, staff = reply.author, make_user(role="staff")
    drafts.save(author, _scope(reply), "Half an edit")
    moderation.suspend_user(staff, author.id, days=3, reason="Cooling off")
    assert drafts.load(author, _scope(reply)) is None
    moderation.unsuspend_user(staff, author.id)
    assert drafts.load(author, _scope(reply)).body == "Half an edit"
    reply.thread.category = make_category(visibility=Visibility.staff)
    db.session.commit()
    assert drafts.load(author, _scope(reply)) is None
    with pytest.raises(Exception) as refused:
        drafts.save(author, _scope(reply), "More")
    assert refused.value.status_code == 404


def test_another_members_post_is_refused_with_403(reply, make_user):
    with pytest.raises(PermissionDenied):
        drafts.save(make_user(), _scope(reply), "Not my post")
    assert _count() == 0


def test_deleting_the_post_row_removes_its_drafts(reply):
    drafts.save(reply.author, _scope(reply), "Words")
    db.session.delete(reply)
    db.session.commit()
    assert _count() == 0


@pytest.mark.parametrize("scope", ["post:", "post:x", "post:1:2", "posts:1", "post:1234567890123"])
def test_an_unknown_post_scope_is_a_validation_error(client, auth, reply, scope):
    auth.sign_in(reply.author)
    response = client.post("/composer/draft", json={"scope": scope, "body": "x"})
    assert response.status_code == 422 and "post:<id>" in response.get_json()["error"]["message"]


# --- over JSON, and the edit form ----------------------------------------------------------------


def test_the_json_says_when_the_post_was_changed_after_the_draft(client, auth, reply, make_user):
    auth.sign_in(reply.author)
    client.post("/composer/draft", json={"scope": _scope(reply), "body": "My better wording"})
    first = client.get(f"/composer/draft?scope={_scope(reply)}").get_json()["draft"]
    assert (first["body"], first["post_changed_since"]) == ("My better wording", False)
    posts.edit_post(make_user(role="staff"), reply.id, "Did you restart it? (link removed)")
    later = client.get(f"/composer/draft?scope={_scope(reply)}").get_json()["draft"]
    assert (later["body"], later["post_changed_since"]) == ("My better wording", True)
    assert client.post("/composer/draft/discard", json={"scope": _scope(reply)}).get_json() == {"discarded": True}
    assert client.get(f"/composer/draft?scope={_scope(reply)}").get_json() == {"draft": None}


def test_the_edit_form_names_its_draft_and_whether_it_holds_the_saved_post(client, auth, reply, make_user):
    auth.sign_in(reply.author)
    page = client.get(f"/p/{reply.id}/edit").get_data(as_text=True)
    assert f'data-draft-scope="post:{reply.id}" data-draft-fresh' in page
    refused = client.post(f"/p/{reply.id}/edit", data={"body": "", "reason": ""})
    assert refused.status_code == 422
    assert f'data-draft-scope="post:{reply.id}"' in refused.get_data(as_text=True)
    assert "data-draft-fresh" not in refused.get_data(as_text=True)


def test_the_edit_form_of_a_deleted_post_keeps_no_draft(client, auth, reply, make_user):
    staff = make_user(role="staff")
    posts.delete_post(staff, reply.id)
    auth.sign_in(staff)
    page = client.get(f"/p/{reply.id}/edit")
    assert page.status_code == 200 and "data-draft-scope" not in page.get_data(as_text=True)
