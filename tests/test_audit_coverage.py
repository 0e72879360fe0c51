"""The audit log: every staff action writes exactly its row, and the database refuses to change rows."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from community.extensions import db
from community.models import AuditEntry, Post, Role
from community.services import (
    audit, branding, categories, moderation, posts, private_threads, spam, user_admin,
)
from community.attachments import moderation as file_moderation, service as attachments
from community.tags import service as tag_service

ALL_STAFF_ACTIONS = [
    "flags.dismiss", "post.hide", "post.unhide", "post.edit", "post.delete", "post.restore", "post.approve",
    "post.make_private", "thread.lock", "thread.unlock", "thread.pin", "thread.unpin", "thread.move", "thread.merge",
    "user.suspend", "user.unsuspend", "user.ban", "user.unban", "user.role", "user.verified_customer",
    "watched_word.add", "watched_word.remove", "settings.branding",
    "category.create", "category.update", "category.move", "category.delete", "category.restore",
    "tag.add", "tag.delete", "settings.tags", "thread.retag",
    "settings.attachments", "attachment_flags.dismiss", "attachment.remove",
]

ANY_ID = object()  # the new row's id is only known after the action


def _last() -> AuditEntry:
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def test_every_staff_action_writes_its_audit_row(app, make_user, make_thread, make_post, make_category):
    admin = make_user(role=Role.admin, username="boss")
    member = make_user(username="member1")
    thread = make_thread(author=member, title="Export fails")
    other = make_thread(title="Export fails too")
    walked = []

    def did(action, target_type, target_id, call):
        call()
        entry = _last()
        expected_id = entry.target_id if target_id is ANY_ID else target_id
        assert (entry.action, entry.target_type, entry.target_id, entry.actor_id) == (action, target_type, expected_id, admin.id), action
        walked.append(action)

    reply = make_post(thread=thread, author=member, body="first reply")
    moderation.flag_post(make_user(), reply.id, "spam")
    did("flags.dismiss", "post", reply.id, lambda: moderation.dismiss_flags(admin, reply.id, "fine"))
    did("post.hide", "post", reply.id, lambda: moderation.set_post_hidden(admin, reply.id, True))
    did("post.unhide", "post", reply.id, lambda: moderation.set_post_hidden(admin, reply.id, False))
    did("post.edit", "post", reply.id, lambda: posts.edit_post(admin, reply.id, "edited by staff", reason="typo"))
    did("post.delete", "post", reply.id, lambda: posts.delete_post(admin, reply.id))
    did("post.restore", "post", reply.id, lambda: posts.restore_post(admin, reply.id))
    did("watched_word.add", "watched_word", 1, lambda: spam.add_watched_word(admin, "casino"))
    held = posts.create_reply(member, thread.id, "casino night")
    did("post.approve", "post", held.id, lambda: moderation.approve_post(admin, held.id))
    did("watched_word.remove", "watched_word", 1, lambda: spam.remove_watched_word(admin, 1))
    did("post.make_private", "post", reply.id, lambda: private_threads.move_post_to_private(admin, reply.id, "Private chat"))
    for switch in ("lock", "unlock", "pin", "unpin"):
        did(f"thread.{switch}", "thread", thread.id, lambda: moderation.switch_thread(admin, thread.id, switch))
    did("thread.move", "thread", thread.id, lambda: moderation.move_thread(admin, thread.id, make_category().id))
    did("thread.merge", "thread", other.id, lambda: moderation.merge_threads(admin, other.id, thread.id))
    did("user.suspend", "user", member.id, lambda: moderation.suspend_user(admin, member.id, 3, "rude"))
    did("user.unsuspend", "user", member.id, lambda: moderation.unsuspend_user(admin, member.id))
    did("user.ban", "user", member.id, lambda: moderation.set_banned(admin, member.id, True, "spam"))
    did("user.unban", "user", member.id, lambda: moderation.set_banned(admin, member.id, False))
    did("user.role", "user", member.id, lambda: user_admin.set_role(admin, member.id, "moderator"))
    did("user.verified_customer", "user", member.id, lambda: user_admin.set_verified_customer(admin, member.id, True))
    form = {**branding.DEFAULT_BRANDING, "name": "Acme Community"}
    did("settings.branding", "setting", None, lambda: branding.update_branding(admin, form))
    did("category.create", "category", ANY_ID, lambda: categories.create_category(admin, categories.CategoryInput(name="Audit Cat", slug="audit-cat")))
    created = _last().target_id
    assert created is not None
    did("category.update", "category", created, lambda: categories.update_category(admin, created, categories.CategoryInput(name="Audit Cat 2", slug="audit-cat")))
    did("category.move", "category", created, lambda: categories.move_category(admin, created, "up"))
    did("category.delete", "category", created, lambda: categories.delete_category(admin, created))
    did("category.restore", "category", created, lambda: categories.restore_category(admin, created))
    did("tag.add", "tag", ANY_ID, lambda: tag_service.add_official(admin, "printers"))
    did("tag.delete", "tag", _last().target_id, lambda: tag_service.delete_tag(admin, _last().target_id))
    did("settings.tags", "setting", None, lambda: tag_service.save_settings(admin, True))
    tag_service.add_official(admin, "exports")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id).order_by(Post.position))
    did("thread.retag", "thread", thread.id, lambda: posts.edit_post(admin, opening.id, opening.body_markdown, tags="exports"))
    assert (_last().before, _last().after) == ({"tags": []}, {"tags": ["exports"]})
    did("settings.attachments", "setting", None, lambda: attachments.save_extensions(admin, "txt log", "0"))
    sent = attachments.upload(member, "boot.log", io.BytesIO(b"ERROR\n"))
    posts.create_reply(member, thread.id, f"[log](attachment:{sent.id})")
    file_moderation.flag_file(make_user(), sent.id, "spam")
    did("attachment_flags.dismiss", "attachment", sent.id, lambda: file_moderation.dismiss_file_flags(admin, sent.id))
    did("attachment.remove", "attachment", sent.id, lambda: file_moderation.remove_file(admin, sent.id, "leak"))
    assert sorted(walked) == sorted(ALL_STAFF_ACTIONS)


def test_audit_rows_keep_before_after_and_reason(make_user):
    admin, member = make_user(role=Role.admin), make_user()
    user_admin.set_role(admin, member.id, "staff")
    entry = _last()
    assert (entry.before, entry.after) == ({"role": "customer"}, {"role": "staff"})
    assert entry.created_at is not None


def test_members_editing_their_own_posts_write_no_audit_rows(make_user, make_thread, make_post):
    member = make_user()
    reply = make_post(thread=make_thread(), author=member)
    posts.edit_post(member, reply.id, "my own words")
    posts.delete_post(member, reply.id)
    assert _last() is None


@pytest.mark.parametrize("statement", ["UPDATE audit_entries SET reason = 'changed'", "DELETE FROM audit_entries"])
def test_the_database_refuses_to_change_audit_rows(app, make_user, statement):
    audit.record(make_user(role=Role.staff), "test.action", "post", 1, reason="original")
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditEntry.reason)).all() == ["original"]
