"""The composer endpoints' permission matrix: every role × every place one writes × every endpoint.

Suggestions and drafts answer only inside what the role may read: anonymous visitors get 401, a
thread or category they cannot read is 404 (the same as a missing one), and a draft kept for a
place the member can no longer read is not shown. Edit drafts ("post:<id>") follow the edit
form: one's own post where one may still read it, anyone's for staff; someone else's readable
post is 403."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Draft, Post, Visibility
from tests import factories

ROLES = ("anonymous", "member", "customer", "staff")
PLACES = ("public", "members", "customers", "staff", "private")
READERS = {
    "public": {"anonymous", "member", "customer", "staff"},
    "members": {"member", "customer", "staff"},
    "customers": {"customer", "staff"},
    "staff": {"staff"},
    "private": {"staff"},  # someone else's private thread
}
ENDPOINTS = ("mentions", "load_draft", "save_draft", "save_new_thread_draft",
             "load_edit_draft", "save_edit_draft", "save_others_edit_draft")


@pytest.fixture
def matrix_world(make_user):
    users = {
        "member": make_user(), "customer": make_user(verified_customer=True), "staff": make_user(role="staff"),
    }
    asker = make_user(display_name="Asker Someone", verified_customer=True)
    places, own_posts = {}, {}
    for name in PLACES:
        visibility = Visibility.public if name == "private" else Visibility(name)
        category = factories.make_category(visibility=visibility)
        places[name] = (category, factories.make_thread(author=asker, category=category, is_private=name == "private"))
    for role, user in users.items():  # a draft kept from before, and a reply of their own, in every place
        for name, (category, thread) in places.items():
            own = own_posts[role, name] = factories.make_post(thread=thread, author=user)
            db.session.add_all([
                Draft(user_id=user.id, scope=f"thread:{thread.id}", thread_id=thread.id, body="kept"),
                Draft(user_id=user.id, scope=f"post:{own.id}", post_id=own.id, body="kept edit"),
            ])
    db.session.commit()
    return users, places, own_posts


def _expected(endpoint: str, role: str, place: str) -> tuple[int, bool | None]:
    if role == "anonymous":
        return 401, None
    readable = role in READERS[place]
    if endpoint in ("load_draft", "load_edit_draft"):
        return 200, readable  # the kept draft shows only where the member may still write
    if endpoint == "save_new_thread_draft" and place == "private":
        return 200, None  # the category of a private thread is public
    if endpoint == "save_others_edit_draft" and readable and role != "staff":
        return 403, None  # the asker's post: readable, not theirs to edit
    return (200 if readable else 404), None


def _request(client, endpoint: str, category, thread, own_post):
    if endpoint == "load_edit_draft":
        return client.get(f"/composer/draft?scope=post:{own_post.id}")
    if endpoint == "save_edit_draft":
        return client.post("/composer/draft", json={"scope": f"post:{own_post.id}", "body": "edited words"})
    if endpoint == "save_others_edit_draft":
        opening = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
        return client.post("/composer/draft", json={"scope": f"post:{opening}", "body": "edited words"})
    if endpoint == "mentions":
        return client.get(f"/composer/mentions?q=asker&thread={thread.id}")
    if endpoint == "load_draft":
        return client.get(f"/composer/draft?scope=thread:{thread.id}")
    if endpoint == "save_draft":
        return client.post("/composer/draft", json={"scope": f"thread:{thread.id}", "body": "new words"})
    return client.post("/composer/draft", json={"scope": f"new:{category.id}", "body": "new words"})


@pytest.mark.parametrize("role", ROLES)
def test_composer_endpoint_permissions(client, auth, matrix_world, role):
    """One world per role (building it is the slow part); every endpoint × place checked in it."""
    users, places, own_posts = matrix_world
    if role != "anonymous":
        auth.sign_in(users[role])
    wrong = []
    for endpoint in ENDPOINTS:
        for place in PLACES:
            category, thread = places[place]
            own_post = own_posts.get((role, place)) or own_posts["member", place]
            response = _request(client, endpoint, category, thread, own_post)
            status, shows_draft = _expected(endpoint, role, place)
            seen = (response.status_code, response.is_json)
            if seen != (status, True):
                wrong.append(f"{endpoint} {place}: {seen}, expected {status}")
                continue
            if shows_draft is not None and (response.get_json()["draft"] is not None) is not shows_draft:
                wrong.append(f"{endpoint} {place}: draft shown {not shows_draft}")
            if endpoint == "mentions" and status == 200:
                # The asker (a verified customer) is offered wherever they can read the thread: not in a staff category.
                offered = [s["display_name"] for s in response.get_json()["suggestions"]]
                if offered != ([] if place == "staff" else ["Asker Someone"]):
                    wrong.append(f"{endpoint} {place}: offered {offered}")
    assert wrong == []


def test_an_id_that_does_not_exist_answers_as_one_the_member_cannot_read(client, auth, matrix_world):
    users, places, _ = matrix_world
    auth.sign_in(users["member"])
    hidden = places["staff"][1].id
    for path in (f"/composer/mentions?q=a&thread={{}}", f"/composer/mentions?q=a&category={{}}"):
        closed = client.get(path.format(hidden if "thread" in path else places["staff"][0].id))
        missing = client.get(path.format(987654))
        assert (closed.status_code, closed.get_json()) == (missing.status_code, missing.get_json()) == (404, closed.get_json())
    closed = client.post("/composer/draft", json={"scope": f"thread:{hidden}", "body": "x"})
    missing = client.post("/composer/draft", json={"scope": "thread:987654", "body": "x"})
    assert (closed.status_code, closed.get_json()) == (missing.status_code, missing.get_json())
