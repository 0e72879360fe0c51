"""An upload's life: claimed by the post that references it (only the uploader's own, at most
ATTACHMENTS_PER_POST, nothing typed lost on a refusal), kept by edits, and removed by the
periodic sweep when no post took it within a day."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.attachments import service
from community.extensions import db
from community.jobs.scheduler import PERIODIC_TASKS
from community.models import Attachment, Post, utcnow
from community.storage import storage

from .helpers import png, upload

def test_a_reply_claims_the_uploads_it_references(client, auth, make_user, make_thread):
    user, thread = make_user(), make_thread()
    auth.sign_in(user)
    first = upload(client, png(), "a.png").get_json()
    unused = upload(client, b"x\n", "unused.log").get_json()
    client.post(f"/t/{thread.id}/reply", data={"body": f"Here {first['markdown']}"})
    claimed = db.session.get(Attachment, first["id"])
    assert claimed.post_id is not None and claimed.attached_at is not None
    assert db.session.get(Post, claimed.post_id).thread_id == thread.id
    assert db.session.get(Attachment, unused["id"]).post_id is None


def test_a_new_thread_and_an_edit_claim_theirs_too(client, auth, make_user, make_category):
    user, category = make_user(), make_category()
    auth.sign_in(user)
    first = upload(client, png(), "a.png").get_json()
    response = client.post(f"/c/{category.slug}/new", data={"title": "Scanner broken", "body": first["markdown"]})
    assert response.status_code == 302
    opening = db.session.get(Attachment, first["id"]).post
    second = upload(client, b"log\n", "b.log").get_json()
    client.post(f"/p/{opening.id}/edit", data={"body": f"{first['markdown']} {second['markdown']}", "title": "Scanner broken"})
    assert db.session.get(Attachment, second["id"]).post_id == opening.id
    assert "attachment-card" in db.session.get(Post, opening.id).body_html


def test_someone_elses_upload_is_not_claimed_or_shown(client, auth, make_user, make_thread):
    owner, other, thread = make_user(), make_user(), make_thread()
    auth.sign_in(owner)
    theirs = upload(client, b"secret\n", "secret.log").get_json()
    auth.sign_in(other)
    client.post(f"/t/{thread.id}/reply", data={"body": f"Look {theirs['markdown']}"})
    assert db.session.get(Attachment, theirs["id"]).post_id is None
    page = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert "secret.log (attachment not available)" in page


def test_too_many_attachments_is_refused_and_the_text_kept(app, client, auth, make_user, make_thread):
    app.config["ATTACHMENTS_PER_POST"] = 2
    user, thread = make_user(), make_thread()
    auth.sign_in(user)
    refs = " ".join(upload(client, f"{n}\n".encode(), f"{n}.log").get_json()["markdown"] for n in range(3))
    body = f"My long question {refs}"
    response = client.post(f"/t/{thread.id}/reply", data={"body": body})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at most 2 attachments; this one references 3" in page
    assert "My long question" in page and "(attachment:" in page  # nothing typed is lost
    assert db.session.query(Attachment).filter(Attachment.post_id.isnot(None)).count() == 0


def test_the_preview_shows_the_authors_uploads(client, auth, make_user):
    auth.sign_in(make_user())
    sent = upload(client, png(), "a.png").get_json()
    html = client.post("/preview", json={"body": sent["markdown"]}).get_json()["html"]
    assert 'class="attachment-image"' in html


def test_orphans_older_than_a_day_are_removed_with_their_files(client, auth, make_user, make_thread):
    user, thread = make_user(), make_thread()
    auth.sign_in(user)
    old = upload(client, png(), "old.png").get_json()
    fresh = upload(client, b"new\n", "fresh.log").get_json()
    kept = upload(client, b"kept\n", "kept.log").get_json()
    client.post(f"/t/{thread.id}/reply", data={"body": kept["markdown"]})
    for attachment_id in (old["id"], kept["id"]):
        db.session.get(Attachment, attachment_id).created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    old_row = db.session.get(Attachment, old["id"])
    keys = (old_row.storage_key, old_row.thumbnail_key)
    assert service.remove_orphans() == 1
    assert service.remove_orphans() == 0  # safe twice
    assert db.session.get(Attachment, old["id"]) is None
    assert all(storage().read(key) is None for key in keys)
    assert db.session.get(Attachment, fresh["id"]) and db.session.get(Attachment, kept["id"])


def test_the_sweep_is_a_periodic_task():
    assert "attachments.remove_orphans" in {task.task for task in PERIODIC_TASKS}
