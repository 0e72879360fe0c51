"""Notification pages: the header bell, the list, marking read, preferences and unsubscribe links."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Notification, NotificationChannel
from community.services import notifications
from community.services.notification_emails import unsubscribe_token

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"NOTIFICATIONS_PER_PAGE": 2}


def replies_to(owner, make_thread, make_post, count: int, title: str = "Label printer offline"):
    thread = make_thread(author=owner, title=title)
    for n in range(count):
        post = make_post(thread=thread, body=f"Reply number {n}")
        notifications.handle_event("post_created", thread.id, post.id, post.author_id)
    return thread


def bell(html: str) -> str | None:
    match = re.search(r'class="unread-count" data-unread-count>([^<]+)<', html)
    return match.group(1) if match else None


def test_the_header_bell_shows_the_unread_count(client, auth, make_user, make_thread, make_post):
    owner = make_user()
    auth.sign_in(owner)
    assert bell(client.get("/").get_data(as_text=True)) is None
    replies_to(owner, make_thread, make_post, 3)
    html = client.get("/").get_data(as_text=True)
    assert bell(html) == "3" and 'aria-label="Notifications: 3 unread"' in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post("/notifications/read-all").status_code == 302


def test_list_is_newest_first_paginated_and_marks_read(client, auth, make_user, make_thread, make_post):
    owner = make_user()
    auth.sign_in(owner)
    replies_to(owner, make_thread, make_post, 3)
    ids = list(db.session.scalars(select(Notification.id).where(Notification.user_id == owner.id).order_by(Notification.id)))
    first_page = client.get("/notifications").get_data(as_text=True)
    assert re.findall(r'data-notification="(\d+)"', first_page) == [str(ids[2]), str(ids[1])]
    assert "replied to “Label printer offline”" in first_page
    second_page = client.get("/notifications?page=2").get_data(as_text=True)
    assert re.findall(r'data-notification="(\d+)"', second_page) == [str(ids[0])]
    assert client.get("/notifications?page=9").status_code == 404

    response = client.post(f"/notifications/{ids[0]}/read", data={"page": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications?page=2")
    assert notifications.unread_count(owner) == 2
    assert client.post("/notifications/read-all").status_code == 302
    assert notifications.unread_count(owner) == 0
    assert bell(client.get("/notifications").get_data(as_text=True)) is None


def test_json_clients_get_the_list_and_counts(client, auth, make_user, make_thread, make_post):
    owner = make_user()
    auth.sign_in(owner)
    replies_to(owner, make_thread, make_post, 1)
    body = client.get("/notifications", headers={"Accept": "application/json"}).get_json()
    assert body["unread"] == 1 and body["notifications"][0]["kind"] == "reply"
    marked = client.post(f"/notifications/{body['notifications'][0]['id']}/read", headers={"Accept": "application/json"})
    assert marked.get_json() == {"unread": 0}


def test_someone_elses_notification_is_not_found(client, auth, make_user, make_thread, make_post):
    owner = make_user()
    replies_to(owner, make_thread, make_post, 1)
    auth.sign_in(make_user())
    row_id = db.session.scalar(select(Notification.id))
    assert client.post(f"/notifications/{row_id}/read").status_code == 404
    assert notifications.unread_count(owner) == 1


def test_a_thread_that_became_unreadable_shows_no_title(client, auth, make_user, make_thread, make_post):
    owner = make_user()
    auth.sign_in(owner)
    thread = replies_to(owner, make_thread, make_post, 1, title="Secret roadmap")
    db.session.add(Notification(user_id=owner.id, kind="followed", event_key="x:1", thread_id=thread.id))
    thread.author_id = make_user().id  # the owner no longer wrote it...
    thread.is_private = True           # ...and it is private now
    db.session.commit()
    html = client.get("/notifications").get_data(as_text=True)
    assert "Secret roadmap" not in html and "Something you can no longer see" in html


# --- preferences ---------------------------------------------------------------------------------


def checked(html: str, input_id: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{input_id}"[^>]*>', html).group(0)
    return " checked" in tag and f'value="{value}"' in tag


def test_preferences_page_shows_defaults_and_saves_choices(client, auth, make_user):
    user = make_user()
    auth.sign_in(user)
    assert 'href="/notifications/settings"' in client.get("/settings").get_data(as_text=True)
    html = client.get("/notifications/settings").get_data(as_text=True)
    assert checked(html, "followed-1", "in_app")
    assert checked(html, "reply-0", "email")
    form = {kind: "email" for kind in notifications.KINDS} | {"mention": "off", "email_frequency": "daily"}
    response = client.post("/notifications/settings", data=form)
    assert response.status_code == 302
    assert notifications.channels_for(user.id)["mention"] == NotificationChannel.off
    assert notifications.email_frequency(user.id).value == "daily"


def test_invalid_preferences_re_render_with_messages_and_keep_the_choices(client, auth, make_user):
    user = make_user()
    auth.sign_in(user)
    form = {kind: "in_app" for kind in notifications.KINDS} | {"reply": "fax", "email_frequency": "daily"}
    response = client.post("/notifications/settings", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="reply-error"' in html and "Not a valid choice" in html
    assert checked(html, "mention-1", "in_app")
    assert checked(html, "email_frequency-1", "daily")
    assert notifications.channels_for(user.id)["mention"] == NotificationChannel.email  # nothing saved


# --- unsubscribe links ---------------------------------------------------------------------------


def test_unsubscribe_link_confirms_on_get_and_unsubscribes_on_post(app, client, make_user):
    user = make_user(email="reader@example.com")
    path = f"/notifications/unsubscribe/{unsubscribe_token(user.id, 'mention')}"
    page = client.get(path)
    assert page.status_code == 200 and "reader@example.com" in page.get_data(as_text=True)
    assert notifications.channels_for(user.id)["mention"] == NotificationChannel.email  # GET changes nothing
    app.config["WTF_CSRF_ENABLED"] = True  # the form works without a session, as from a mail client
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert notifications.channels_for(user.id)["mention"] == NotificationChannel.in_app
    assert client.post(path).status_code == 200  # a second click is harmless


@pytest.mark.parametrize("token", ["garbage", "eyJ1aWQiOjEsImtpbmQiOiJtZW50aW9uIn0.forged", "{good}x"])
def test_bad_unsubscribe_links_get_a_clear_400(client, make_user, token):
    user = make_user()
    token = token.replace("{good}", unsubscribe_token(user.id, "reply"))
    for method in (client.get, client.post):
        response = method(f"/notifications/unsubscribe/{token}")
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
    assert notifications.channels_for(user.id)["reply"] == NotificationChannel.email


def test_tokens_are_bound_to_the_secret_key(app, client, make_user):
    user = make_user()
    token = unsubscribe_token(user.id, "reply")
    app.config["SECRET_KEY"] = "another-secret"
    assert client.post(f"/notifications/unsubscribe/{token}").status_code == 400
