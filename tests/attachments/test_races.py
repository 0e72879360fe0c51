"""Uploads racing a post's or a thread's deletion, and the account deletion: an upload whose post
went away while it was being sent is never shown or served to anyone else and is swept; a
deleted account's posts keep their files, its unposted uploads go with the next sweep."""
from __future__ import annotations

from sqlalchemy import select

from community.attachments import service
from community.extensions import db
from community.models import Attachment, Post, Role
from community.services import accounts, posts, threads
from community.storage import storage
from tests.factories import DEFAULT_PASSWORD

from .helpers import png, upload


def test_an_upload_racing_the_deletion_of_the_post_being_edited(client, auth, make_user, make_thread, make_post):
    author, staff, other = make_user(), make_user(role=Role.staff), make_user()
    reply = make_post(thread=make_thread(), author=author, body="Old words.")
    auth.sign_in(author)
    sent = upload(client, b"ERROR late\n", "late.log").get_json()  # the upload finishes...
    posts.delete_post(staff, reply.id)  # ...while staff delete the post
    answer = client.post(f"/p/{reply.id}/edit", data={"body": f"New words {sent['markdown']}"})
    assert answer.status_code in (403, 404, 409)  # a safe refusal, not a 500
    row = db.session.get(Attachment, sent["id"])
    assert row.post_id is None  # not claimed by the deleted post
    auth.sign_in(other)
    assert client.get(sent["url"]).status_code == 404
    auth.sign_in(author)
    assert client.get(sent["url"]).status_code == 200  # still the author's, to post elsewhere


def test_an_upload_racing_the_deletion_of_the_thread_replied_to(client, auth, make_user, make_category):
    author, staff, other = make_user(), make_user(role=Role.staff), make_user()
    thread = threads.create_thread(author, make_category().id, "Printer offline", "It says offline.")
    auth.sign_in(author)
    sent = upload(client, png(), "screen.png").get_json()
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
    posts.delete_post(staff, opening)  # deleting the opening post deletes the thread
    answer = client.post(f"/t/{thread.id}/reply", data={"body": f"Here {sent['markdown']}"})
    assert answer.status_code in (403, 404, 409)
    assert db.session.get(Attachment, sent["id"]).post_id is None
    auth.sign_in(other)
    assert client.get(sent["url"]).status_code == 404


def test_account_deletion_keeps_posted_files_and_sweeps_unposted_ones(client, auth, make_user, make_thread):
    member, reader = make_user(), make_user()
    thread = make_thread()
    auth.sign_in(member)
    posted = upload(client, b"ERROR kept\n", "kept.log").get_json()
    unposted = upload(client, png(), "draft.png").get_json()
    assert client.post(f"/t/{thread.id}/reply", data={"body": posted["markdown"]}).status_code == 302
    unposted_keys = [db.session.get(Attachment, unposted["id"]).storage_key, db.session.get(Attachment, unposted["id"]).thumbnail_key]
    accounts.delete_account(db.session.get(type(member), member.id), DEFAULT_PASSWORD)

    assert service.remove_orphans() == 1  # at once, not after ATTACHMENT_ORPHAN_HOURS
    assert db.session.get(Attachment, unposted["id"]) is None
    assert all(storage().read(key) is None for key in unposted_keys if key)
    auth.sign_in(reader)
    kept = client.get(posted["url"])
    assert kept.status_code == 200 and kept.data == b"ERROR kept\n"  # the post stays, with its file
