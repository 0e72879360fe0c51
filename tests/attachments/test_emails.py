"""Notification emails list a post's attachments as links (text and HTML parts); the links are
the attachment URLs, so opening one checks the reader's access again: the recipient downloads,
a signed-out click or another member without access gets the same 404 as for any closed file."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.models import Attachment, Role
from community.services import notifications
from tests.mailbox import html_body, text_body
from tests.services.test_notification_emails import mail_to

from .helpers import png, upload


@pytest.fixture
def app_overrides(smtp_server):
    return {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "MAIL_FROM": "help@parley.test"}


def test_a_reply_email_links_its_files_and_the_links_keep_the_read_rule(app, client, auth, smtp_server, make_user, make_thread):
    # A private thread: its author and staff read it, so staff answer and another member can't open the files.
    owner, helper, stranger = make_user(email="owner@example.com"), make_user(role=Role.staff), make_user()
    thread = make_thread(author=owner, title="Router keeps rebooting", is_private=True)
    auth.sign_in(helper)
    image = upload(client, png(), "screen.png").get_json()
    log = upload(client, b"ERROR printer offline\n", "boot.log").get_json()
    assert client.post(f"/t/{thread.id}/reply", data={"body": f"See {image['markdown']} and {log['markdown']}"}).status_code == 302
    auth.sign_out()
    post_id = db.session.get(Attachment, log["id"]).post_id
    notifications.handle_event("post_created", thread.id, post_id, helper.id)

    message = mail_to(smtp_server, "owner@example.com")
    base = app.config["BASE_URL"].rstrip("/")
    text, html = text_body(message), html_body(message)
    assert "Attached:" in text and f"boot.log (22 bytes, Log file): {base}{log['url']}" in text
    assert f"{base}{image['url']}" in text
    assert f'href="{base}{log["url"]}"' in html and ">screen.png</a>" in html

    path = log["url"]
    assert client.get(path).status_code == 404  # a signed-out click: the same answer as for no file
    auth.sign_in(stranger)
    assert client.get(path).status_code == 404
    auth.sign_in(owner)
    opened = client.get(path)
    assert opened.status_code == 200 and opened.data == b"ERROR printer offline\n"


def test_an_email_about_a_post_without_files_has_no_attached_list(smtp_server, make_user, make_thread, make_post):
    owner = make_user(email="owner@example.com")
    post = make_post(thread=make_thread(author=owner), body="Update the firmware.")
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)
    message = mail_to(smtp_server, "owner@example.com")
    assert "Attached:" not in text_body(message) and "Attached:" not in html_body(message)
