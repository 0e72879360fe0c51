"""Attachment moderation through the real routes: a reader flags a file, it shows in the staff
queue, staff remove it (gone from the thread, its URL, the API, the store; an audit row) or dismiss
the flags; new accounts can be limited to images only by an admin setting. Both stores."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from community.attachments import service
from community.extensions import db
from community.models import Attachment, AuditEntry, Role, utcnow
from community.models.attachments import AttachmentFlag
from community.storage import storage
from tests.api.conftest import issue_token

from .helpers import png, upload
from .test_serving import post_with_files


@pytest.fixture(params=["local", "s3"])
def app_overrides(request):
    return request.getfixturevalue("s3_settings") if request.param == "s3" else {}


def test_flag_queue_remove_the_file_goes_everywhere(app, client, auth, make_user, make_thread):
    author, reader, staff = make_user(), make_user(), make_user(role=Role.staff)
    thread = make_thread(title="Printer offline")
    image, log = post_with_files(client, auth, author, thread)
    row = db.session.get(Attachment, log["id"])
    keys = [row.storage_key]

    auth.sign_in(reader)
    form = client.get(f"/attachments/{log['id']}/flag")
    assert form.status_code == 200 and "boot.log" in form.get_data(as_text=True)
    flagged = client.post(f"/attachments/{log['id']}/flag", data={"reason": "abuse", "note": "a password in it"})
    assert flagged.status_code == 302
    again = client.post(f"/attachments/{log['id']}/flag", data={"reason": "spam"})
    assert again.status_code == 409  # one flag per reader per file

    auth.sign_in(staff)
    queue = client.get("/mod/queue").get_data(as_text=True)
    assert f'id="queue-file-{log["id"]}"' in queue and "a password in it" in queue and "Abusive or harmful" in queue
    removed = client.post(f"/mod/attachments/{log['id']}/remove", data={"reason": "credentials", "next": "/mod/queue"})
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/mod/queue")
    assert f'id="queue-file-{log["id"]}"' not in client.get("/mod/queue").get_data(as_text=True)

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.target_type, entry.target_id, entry.actor_id, entry.reason) == (
        "attachment.remove", "attachment", log["id"], staff.id, "credentials")
    assert entry.before["name"] == "boot.log" and entry.before["open_flags"] == 1
    assert db.session.scalar(select(AttachmentFlag.resolution)) == "removed"

    # Gone for everyone, the author and staff included, from the page, its URL, the API and the store.
    for who in (author, staff, reader):
        auth.sign_in(who)
        assert client.get(log["url"]).status_code == 404
        page = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
        assert f'/attachments/{log["id"]}/' not in page and "(attachment not available)" in page
        assert f'/attachments/{image["id"]}/screen.png' in page  # the other file stays
    api = client.get(f"/api/v1/posts/{row.post_id}", headers={"Authorization": f"Bearer {issue_token(reader)}"}).get_json()
    assert [item["name"] for item in api["attachments"]] == ["screen.png"]
    assert all(storage().read(key) is None for key in keys)
    # Removing twice is a no-op, not an error.
    auth.sign_in(staff)
    assert client.post(f"/mod/attachments/{log['id']}/remove").status_code == 302


def test_dismissing_keeps_the_file_and_audits(client, auth, make_user, make_thread):
    author, reader, staff = make_user(), make_user(), make_user(role=Role.staff)
    image, _log = post_with_files(client, auth, author, make_thread())
    auth.sign_in(reader)
    client.post(f"/attachments/{image['id']}/flag", data={"reason": "off-topic"})
    auth.sign_in(staff)
    assert client.post(f"/mod/attachments/{image['id']}/dismiss").status_code == 302
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc())).first() == "attachment_flags.dismiss"
    assert db.session.scalar(select(AttachmentFlag.resolution)) == "dismissed"
    auth.sign_in(reader)
    assert client.get(image["url"]).status_code in (200, 302)


def test_flag_refusals(client, auth, make_user, make_thread):
    author, reader, stranger = make_user(), make_user(), make_user()
    _image, log = post_with_files(client, auth, author, make_thread())
    private_image, _ = post_with_files(client, auth, author, make_thread(author=author, is_private=True))
    auth.sign_in(reader)
    bad = client.post(f"/attachments/{log['id']}/flag", data={"reason": "because", "note": "kept text"})
    assert bad.status_code == 422 and "kept text" in bad.get_data(as_text=True)  # nothing typed is lost
    auth.sign_in(stranger)
    assert client.get(f"/attachments/{private_image['id']}/flag").status_code == 404  # no oracle
    assert client.post(f"/attachments/{private_image['id']}/flag", data={"reason": "spam"}).status_code == 404
    auth.sign_in(author)
    assert client.post(f"/attachments/{log['id']}/flag", data={"reason": "spam"}).status_code == 403  # own file
    auth.sign_in(reader)
    assert client.post(f"/mod/attachments/{log['id']}/remove").status_code in (403, 404)  # members can't remove
    assert db.session.get(Attachment, log["id"]).removed_at is None


def test_new_accounts_can_be_limited_to_images(client, auth, make_user):
    admin, newcomer, veteran, staff = make_user(role=Role.admin), make_user(), make_user(), make_user(role=Role.staff)
    veteran.created_at = utcnow() - timedelta(days=30)
    db.session.commit()
    auth.sign_in(admin)
    bad = client.post("/admin/attachments", data={"extensions": "txt log", "new_account_images_only_days": "soon"})
    assert bad.status_code == 422 and "whole number of days" in bad.get_data(as_text=True)
    assert service.images_only_days() == 0
    assert client.post("/admin/attachments", data={"extensions": "txt log", "new_account_images_only_days": "7"}).status_code == 302
    assert 'value="7"' in client.get("/admin/attachments").get_data(as_text=True)

    auth.sign_in(newcomer)
    refused = upload(client, b"ERROR\n", "boot.log")
    assert refused.status_code == 403
    assert "new accounts can attach images only" in refused.get_json()["error"]["message"]
    assert "first 7 days" in refused.get_json()["error"]["message"]
    assert upload(client, png(), "screen.png").status_code == 201
    for who in (veteran, staff):
        auth.sign_in(who)
        assert upload(client, b"ERROR\n", "boot.log").status_code == 201
