"""Private threads: the composer makes them, staff move a public reply into one, and nobody but the
author and staff ever sees them on any read path that exists."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, Post, Role, Thread

pytestmark = pytest.mark.backends("sqlite")

SECRET_TITLE = "Zebracorn billing question"
SECRET_WORD = "quixoflange"


@pytest.fixture
def moved(client, auth, make_user, make_thread, make_post, make_category, published):
    """A public thread whose second reply staff moved into a private thread with its author."""
    category = make_category(name="Billing")
    asker, customer, staff = make_user(), make_user(username="cust1"), make_user(role=Role.staff)
    public = make_thread(author=asker, category=category, title="Invoices arrive late")
    make_post(thread=public, author=make_user(), body="Same here")
    reply = make_post(thread=public, author=customer, body=f"My account number is {SECRET_WORD} 12345")
    make_post(thread=public, author=asker, body="Thanks all")
    auth.sign_in(staff)
    response = client.post(f"/mod/posts/{reply.id}/make-private", data={"title": SECRET_TITLE, "reason": "personal data"})
    assert response.status_code == 302
    auth.sign_out()
    private = db.session.scalar(select(Thread).where(Thread.is_private.is_(True)))
    from tests.widgets.helpers import make_widget

    return {"public": public, "private": private, "post": reply, "customer": customer, "staff": staff,
            "category": category, "events": published, "widget": make_widget("latest")}


def test_move_to_private_moves_the_post_and_leaves_a_note(client, moved):
    private, post = moved["private"], db.session.get(Post, moved["post"].id)
    assert private.title == SECRET_TITLE and private.author_id == moved["customer"].id
    assert (post.thread_id, post.position) == (private.id, 1)
    public_posts = db.session.scalars(select(Post).where(Post.thread_id == moved["public"].id).order_by(Post.position)).all()
    assert [p.position for p in public_posts] == [1, 2, 3, 4]
    assert public_posts[2].is_system and "private conversation with our team" in public_posts[2].body_markdown
    page = client.get(f"/t/{moved['public'].id}", follow_redirects=True).get_data(as_text=True)
    assert "private conversation with our team" in page and SECRET_WORD not in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.make_private"))
    assert entry.actor_id == moved["staff"].id and entry.reason == "personal data"
    assert ("thread_made_private", {"thread_id": private.id, "post_id": post.id, "actor_id": moved["staff"].id}) in moved["events"]


def test_the_author_sees_their_private_thread(client, auth, moved):
    auth.sign_in(moved["customer"])
    page = client.get(f"/t/{moved['private'].id}", follow_redirects=True)
    assert page.status_code == 200 and SECRET_WORD in page.get_data(as_text=True)


def test_opening_posts_cannot_be_moved(client, auth, moved):
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == moved["public"].id, Post.position == 1))
    auth.sign_in(moved["staff"])
    response = client.post(f"/mod/posts/{opening}/make-private", data={"title": "x"})
    assert response.status_code == 422 and "opening post" in response.get_data(as_text=True)


def _viewer(kind, moved, make_user):
    return {"anonymous": None, "other_customer": make_user(), "staff": moved["staff"]}[kind]


def _read_paths(client, app, moved, viewer) -> dict[str, bool]:
    """Each read path → whether it showed the private thread."""
    private, post_id = moved["private"], moved["post"].id
    shown = {}

    def text(url):
        return client.get(url, follow_redirects=True).get_data(as_text=True)

    shown["category page"] = SECRET_TITLE in text(f"/c/{moved['category'].slug}")
    shown["latest"] = SECRET_TITLE in text("/latest")
    shown["unanswered"] = SECRET_TITLE in text("/unanswered")
    home = text("/")
    shown["home"] = SECRET_TITLE in home
    # Category counts are public numbers: they never include private threads, for anyone.
    assert "1 thread" in home and "2 threads" not in home
    shown["thread page"] = client.get(f"/t/{private.id}").status_code in (200, 301)
    shown["post permalink"] = client.get(f"/p/{post_id}").status_code == 302
    quote = client.get(f"/p/{post_id}/quote")
    shown["quote endpoint"] = quote.status_code == 200 and SECRET_WORD in quote.get_data(as_text=True)
    shown["revisions"] = client.get(f"/p/{post_id}/revisions").status_code == 200
    shown["search page"] = SECRET_TITLE in text(f"/search?q={SECRET_WORD}") or SECRET_TITLE in text("/search?q=zebracorn")
    similar = client.get("/search/similar", query_string={"title": SECRET_TITLE}).get_json()
    shown["similar json"] = private.id in [row["id"] for row in similar["results"]]
    shown["profile"] = SECRET_TITLE in text(f"/u/{moved['customer'].username}")
    preview = client.post("/preview", json={"body": f"see /p/{post_id}"})
    shown["preview"] = SECRET_WORD in preview.get_data(as_text=True)
    widget = client.get(f"/embed/w/{moved['widget'].id}.json", headers={"Origin": "https://brand.example"}).get_data(as_text=True)
    assert "Invoices arrive late" in widget  # the widget works: the public thread is listed
    shown["widget json"] = SECRET_TITLE in widget
    args = ["community", "search", "query", "zebracorn", "--json"] + (["--as", viewer.email] if viewer else [])
    result = app.test_cli_runner().invoke(args=args)
    shown["cli search"] = private.id in [row["id"] for row in json.loads(result.output)["results"]]
    return shown


@pytest.mark.parametrize("kind", ["anonymous", "other_customer", "staff"])
def test_private_threads_appear_on_no_read_path_except_for_staff(kind, app, client, auth, make_user, moved):
    viewer = _viewer(kind, moved, make_user)
    if viewer is not None:
        auth.sign_in(viewer)
    shown = _read_paths(client, app, moved, viewer)
    # Widgets are anonymous embeds and a preview renders only what was typed: never shown to anyone.
    never = {"preview", "widget json"}
    if kind == "staff":
        assert {path: seen for path, seen in shown.items() if path not in never} == {p: True for p in shown if p not in never}
    else:
        assert shown == {path: False for path in shown}
    assert not any(shown[path] for path in never)


def test_the_composer_private_checkbox_makes_a_private_thread(client, auth, make_user, make_category):
    category = make_category()
    author = make_user()
    auth.sign_in(author)
    response = client.post(f"/c/{category.slug}/new", data={"title": "My licence key problem", "body": "Key ABC", "private": "y"})
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread).where(Thread.title == "My licence key problem"))
    assert thread.is_private
    assert client.get(response.headers["Location"]).status_code == 200
    auth.sign_in(make_user())
    assert client.get(response.headers["Location"]).status_code == 404
    assert "My licence key problem" not in client.get("/latest").get_data(as_text=True)


def test_notifications_about_a_private_thread_reach_only_its_author_and_staff(client, auth, make_user, make_thread, make_post):
    from community.models import Follow, Notification
    from community.services import posts

    asker, customer, follower = make_user(), make_user(), make_user()
    public = make_thread(author=asker, title="Invoices arrive late")
    reply = make_post(thread=public, author=customer, body=f"account {SECRET_WORD}")
    db.session.add(Follow(thread_id=public.id, user_id=follower.id))
    db.session.commit()
    staff = make_user(role=Role.staff)
    auth.sign_in(staff)
    assert client.post(f"/mod/posts/{reply.id}/make-private", data={"title": SECRET_TITLE}).status_code == 302
    private = db.session.scalar(select(Thread).where(Thread.is_private.is_(True)))
    posts.create_reply(staff, private.id, "We will look into your account.")
    recipients = set(db.session.scalars(select(Notification.user_id).where(Notification.thread_id == private.id)))
    assert customer.id in recipients
    assert recipients <= {customer.id, staff.id}
