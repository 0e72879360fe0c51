"""Notification emails over a real SMTP server: every kind, List-Unsubscribe, one-click unsubscribe,
preferences and the daily digest."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Follow, Notification, NotificationChannel, NotificationDigest
from community.services import notifications
from tests.mailbox import html_body, text_body

pytestmark = pytest.mark.backends("sqlite")
BASE = "http://127.0.0.1:5000"


@pytest.fixture
def app_overrides(smtp_server):
    return {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "MAIL_FROM": "help@parley.test"}


def no_more_mail(smtp_server, count: int) -> None:
    """Give a stray message a moment to arrive, then check there are exactly `count`."""
    assert len(smtp_server.wait_for(count + 1, timeout=0.5)) == count


def mail_to(smtp_server, address: str):
    """The one message for `address`, waiting for it among everything the server receives."""
    with smtp_server.arrived:
        smtp_server.arrived.wait_for(lambda: any(m["To"] == address for m in smtp_server.messages), timeout=10)
    [message] = [m for m in smtp_server.messages if m["To"] == address]
    return message


def unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}/notifications/unsubscribe/") and header.endswith(">")
    return urlsplit(header[1:-1]).path


def set_preferences(user, frequency="immediately", **channels) -> None:
    current = {kind: value.value for kind, value in notifications.channels_for(user.id).items()}
    notifications.save_preferences(user, current | channels, frequency)


# One world per kind: (recipient, the event as handle_event arguments, a word the subject has).
def _reply(f):
    owner = f.make_user(email="owner@example.com")
    post = f.make_post(thread=f.make_thread(author=owner, title="Router keeps rebooting"), body="Update the firmware.")
    return owner, ("post_created", post.thread_id, post.id, post.author_id), "replied to"


def _mention(f):
    owner = f.make_user(email="owner@example.com", username="netadmin")
    post = f.make_post(thread=f.make_thread(title="Router keeps rebooting"), body="@netadmin knows this one")
    return owner, ("post_created", post.thread_id, post.id, post.author_id), "mentioned you"


def _followed(f):
    owner = f.make_user(email="owner@example.com")
    thread = f.make_thread(title="Router keeps rebooting")
    db.session.add(Follow(thread_id=thread.id, user_id=owner.id))
    db.session.commit()
    set_preferences(owner, followed="email")
    post = f.make_post(thread=thread)
    return owner, ("post_created", thread.id, post.id, post.author_id), "New reply"


def _answer(kind, words):
    def arrange(f):
        owner = f.make_user(email="owner@example.com")
        thread = f.make_thread(title="Router keeps rebooting")
        answer = f.make_post(thread=thread, author=owner)
        return owner, (kind, thread.id, answer.id, f.make_user(role="staff").id), words
    return arrange


def _thread_change(kind, words):
    def arrange(f):
        owner = f.make_user(email="owner@example.com")
        thread = f.make_thread(author=owner, title="Router keeps rebooting", is_private=kind == "thread_made_private")
        return owner, (kind, thread.id, None, f.make_user(role="staff").id), words
    return arrange


KIND_WORLDS = {
    "reply": _reply,
    "mention": _mention,
    "followed": _followed,
    "answer_accepted": _answer("answer_accepted", "was accepted"),
    "answer_verified": _answer("answer_verified", "verified by staff"),
    "thread_made_private": _thread_change("thread_made_private", "made private"),
    "thread_moved": _thread_change("thread_moved", "was moved to"),
    "thread_closed": _thread_change("thread_closed", "was closed"),
}


class Factories:
    def __init__(self, make_user, make_thread, make_post) -> None:
        self.make_user, self.make_thread, self.make_post = make_user, make_thread, make_post


@pytest.mark.parametrize("kind", list(KIND_WORLDS))
def test_every_kind_is_emailed_with_a_working_one_click_unsubscribe(
    kind, app, client, smtp_server, make_user, make_thread, make_post
):
    owner, event, words = KIND_WORLDS[kind](Factories(make_user, make_thread, make_post))
    notifications.handle_event(*event)
    # The thread's own author may hear about a reply too; this test follows the owner's email.
    message = mail_to(smtp_server, "owner@example.com")
    assert words in message["Subject"] and "Router keeps rebooting" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = unsubscribe_path(message)
    assert f"{BASE}{path}" in text_body(message) and f'href="{BASE}{path}"' in html_body(message)
    [row] = db.session.scalars(select(Notification).where(Notification.user_id == owner.id)).all()
    assert row.kind == kind and f"{BASE}/" in text_body(message) and (f"/p/{row.post_id}" if row.post_id else f"/t/{row.thread_id}") in text_body(message)

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, with no session and no CSRF token.
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert notifications.channels_for(owner.id)[kind] == NotificationChannel.in_app
    assert notifications.channels_for(owner.id)["reply" if kind != "reply" else "mention"] == NotificationChannel.email


def test_in_app_only_stores_the_notification_but_sends_no_email(make_user, make_thread, make_post, smtp_server):
    owner = make_user()
    set_preferences(owner, reply="in_app")
    post = make_post(thread=make_thread(author=owner))
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    [row] = db.session.scalars(select(Notification)).all()
    assert row.user_id == owner.id and not row.email_due
    no_more_mail(smtp_server, 0)


def test_unconfirmed_addresses_get_no_email_but_the_in_app_notification(make_user, make_thread, make_post, smtp_server):
    owner = make_user(email_verified=False)
    post = make_post(thread=make_thread(author=owner))
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    assert notifications.unread_count(owner) == 1
    no_more_mail(smtp_server, 0)


def test_a_reply_that_also_mentions_sends_one_email_even_when_the_job_runs_twice(
    make_user, make_thread, make_post, smtp_server
):
    owner = make_user(username="dana")
    post = make_post(thread=make_thread(author=owner), body="@dana does this help?")
    for _ in range(2):
        notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    notifications.send_notification_email(db.session.scalar(select(Notification.id)))
    [message] = smtp_server.wait_for(1)
    assert "mentioned you" in message["Subject"]
    no_more_mail(smtp_server, 1)


# --- daily digest ------------------------------------------------------------------------------


def test_daily_digest_batches_waiting_notifications_once_per_day(make_user, make_thread, make_post, smtp_server):
    owner, other = make_user(display_name="Olive"), make_user()
    set_preferences(owner, frequency="daily")
    thread = make_thread(author=owner, title="Scanner offline")
    for body in ("First idea", "Second idea"):
        post = make_post(thread=thread, author=other, body=body)
        notifications.handle_event("post_created", thread.id, post.id, other.id)
    no_more_mail(smtp_server, 0)  # daily: nothing goes out immediately

    today = date(2026, 11, 23)
    assert notifications.send_daily_digests(today) == 1
    [digest] = smtp_server.wait_for(1)
    assert "2 updates" in digest["Subject"] and digest["List-Unsubscribe"]
    assert "First idea" in text_body(digest) and "Second idea" in text_body(digest)
    assert notifications.send_daily_digests(today) == 0  # running twice sends nothing more

    late = make_post(thread=thread, author=other, body="Third idea")
    notifications.handle_event("post_created", thread.id, late.id, other.id)
    assert notifications.send_daily_digests(today) == 0  # today's digest already went out
    assert notifications.send_daily_digests(today + timedelta(days=1)) == 1
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2 and "Third idea" in text_body(messages[1]) and "First idea" not in text_body(messages[1])
    assert db.session.scalar(select(NotificationDigest.id).where(NotificationDigest.day == today))
    no_more_mail(smtp_server, 2)


def test_switching_back_to_immediate_emails_sends_what_waited_for_the_digest(
    make_user, make_thread, make_post, smtp_server
):
    owner = make_user(email="owner@example.com")
    set_preferences(owner, frequency="daily")
    post = make_post(thread=make_thread(author=owner, title="Disk full"))
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    no_more_mail(smtp_server, 0)
    set_preferences(owner, frequency="immediately")
    assert "Disk full" in mail_to(smtp_server, "owner@example.com")["Subject"]
    assert notifications.send_daily_digests(date(2026, 11, 23)) == 0


def test_digest_unsubscribe_stops_every_email_kind(app, client, make_user, make_thread, make_post, smtp_server):
    owner = make_user()
    set_preferences(owner, frequency="daily")
    post = make_post(thread=make_thread(author=owner))
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    notifications.send_daily_digests(date(2026, 11, 23))
    [digest] = smtp_server.wait_for(1)
    assert client.post(unsubscribe_path(digest), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert NotificationChannel.email not in set(notifications.channels_for(owner.id).values())


def test_digest_leaves_out_threads_the_user_can_no_longer_read(make_user, make_thread, make_post, smtp_server):
    owner, staff = make_user(), make_user(role="staff", username="helpdesk")
    thread = make_thread(author=staff)
    set_preferences(owner, frequency="daily")
    post = make_post(thread=thread, author=staff, body="@" + owner.username + " see this")
    notifications.handle_event("post_created", thread.id, post.id, staff.id)
    thread.is_private = True
    db.session.commit()
    assert notifications.send_daily_digests(date(2026, 11, 23)) == 0
    no_more_mail(smtp_server, 0)


def test_run_scheduled_command_sends_the_digests(app, make_user, make_thread, make_post, smtp_server):
    owner = make_user()
    set_preferences(owner, frequency="daily")
    post = make_post(thread=make_thread(author=owner))
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    result = app.test_cli_runner().invoke(args=["community", "run-scheduled"])
    assert result.exit_code == 0, result.output
    assert "send_daily_digests: 1" in result.output
    assert len(smtp_server.wait_for(1)) == 1


# --- off the request path: after the response (inline) or in an RQ worker ----------------------


def test_a_reply_over_http_is_emailed_after_the_response(app, client, auth, make_user, make_thread, smtp_server):
    app.config["JOBS_RUN_IMMEDIATELY"] = False
    owner = make_user(email="owner@example.com")
    thread = make_thread(author=owner, title="VPN drops at noon")
    auth.sign_in(make_user())
    response = client.post(f"/t/{thread.id}/reply", data={"body": "Check the DHCP lease time."})
    assert response.status_code == 302
    no_more_mail(smtp_server, 0)  # nothing is sent while the response is still going out
    response.close()  # what a WSGI server does once the last byte is out
    message = mail_to(smtp_server, "owner@example.com")
    assert "VPN drops at noon" in message["Subject"] and "DHCP lease time" in text_body(message)


def test_events_and_emails_run_in_an_rq_worker_on_redis(app, redis_url, database_url, tmp_path, smtp_server,
                                                         make_user, make_thread, make_post):
    import uuid

    from community import create_app
    from community.jobs import queue
    from community.jobs.worker import run_worker

    owner = make_user(email="owner@example.com")
    post = make_post(thread=make_thread(author=owner, title="Printer offline"))
    rq_app = create_app({
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "rq"), "REDIS_URL": redis_url,
        "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "WARNING",
        "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "SECRET_KEY": "test-secret",
    })
    with rq_app.app_context():
        notifications.publish("post_created", thread_id=post.thread_id, post_id=post.id, actor_id=post.author_id)
        assert db.session.scalar(select(Notification.id)) is None  # queued, not run
        run_worker(rq_app, burst=True)
    message = mail_to(smtp_server, "owner@example.com")
    assert "Printer offline" in message["Subject"] and message["List-Unsubscribe"]
