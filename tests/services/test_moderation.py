"""Moderation services: flags, hide, lock/pin, move, merge, suspend, ban, pre-moderation, watched words."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import (
    AuditEntry, Flag, Follow, Post, Role, SearchOutbox, Thread, ThreadState, VerifiedAnswer, utcnow,
)
from community.web import reader as web_reader
from community.services import accounts, answers, forum, moderation, notifications, posts, reactions, spam, threads


@pytest.fixture
def staff(make_user):
    return make_user(role=Role.moderator, username="mod1")


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.admin, username="admin1")


@pytest.fixture
def author(make_user):
    return make_user(username="author1")


@pytest.fixture
def thread(make_thread, author):
    return make_thread(author=author, title="Printer jams on page two")


def _actions(target_type=None):
    query = select(AuditEntry.action)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


# --- flags --------------------------------------------------------------------------------------


def test_flagging_twice_is_refused_with_409_and_changes_nothing(make_user, make_post, thread):
    reader, reply = make_user(), make_post(thread=thread, body="Buy cheap watches")
    moderation.flag_post(reader, reply.id, "spam", "looks like an ad")
    with pytest.raises(Conflict) as refused:
        moderation.flag_post(reader, reply.id, "abuse", "again")
    assert refused.value.status_code == 409
    flags = db.session.scalars(select(Flag)).all()
    assert [(f.reason.value, f.note) for f in flags] == [("spam", "looks like an ad")]


def test_you_cannot_flag_your_own_post(author, thread):
    with pytest.raises(PermissionDenied):
        moderation.flag_post(author, thread.last_post_id, "spam")
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_flagging_a_deleted_post_is_refused(make_user, make_post, thread, staff):
    reply = make_post(thread=thread)
    posts.delete_post(staff, reply.id)
    with pytest.raises(Conflict):
        moderation.flag_post(make_user(), reply.id, "spam")


def test_flag_needs_a_known_reason(make_user, make_post, thread):
    reply = make_post(thread=thread)
    with pytest.raises(ValidationFailed) as refused:
        moderation.flag_post(make_user(), reply.id, "because")
    assert "reason" in refused.value.fields


def test_flags_from_k_distinct_readers_hide_the_post_pending_review(app, make_user, make_post, thread, staff):
    app.config["FLAGS_TO_AUTO_HIDE"] = 2
    reply = make_post(thread=thread)
    moderation.flag_post(make_user(), reply.id, "abuse")
    assert db.session.get(Post, reply.id).is_hidden is False
    moderation.flag_post(make_user(), reply.id, "abuse")
    assert db.session.get(Post, reply.id).is_hidden is True
    assert "post.auto_hide" in _actions()
    queued = moderation.moderation_queue(staff)
    assert [item.post.id for item in queued] == [reply.id]
    assert queued[0].reason_counts == [("Abusive or harmful", 2)]


def test_dismissing_flags_empties_the_queue_and_undoes_an_auto_hide(app, make_user, make_post, thread, staff):
    app.config["FLAGS_TO_AUTO_HIDE"] = 1
    reply = make_post(thread=thread)
    moderation.flag_post(make_user(), reply.id, "off-topic")
    assert moderation.dismiss_flags(staff, reply.id, "fine") == 1
    assert db.session.get(Post, reply.id).is_hidden is False
    assert moderation.moderation_queue(staff) == []


def test_customers_cannot_use_the_queue_or_actions(make_user, make_post, thread):
    customer, reply = make_user(), make_post(thread=thread)
    for attempt in (
        lambda: moderation.moderation_queue(customer),
        lambda: moderation.set_post_hidden(customer, reply.id, True),
        lambda: moderation.switch_thread(customer, thread.id, "lock"),
        lambda: moderation.suspend_user(customer, reply.author_id, 3, "x"),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert _actions() == []


# --- hide, lock, pin, move ------------------------------------------------------------------------


def test_hidden_posts_are_only_for_staff_and_the_author(make_user, make_post, thread, staff):
    reply = make_post(thread=thread, body="Rude words")
    moderation.set_post_hidden(staff, reply.id, True, "rude")
    from community import policies

    hidden = db.session.get(Post, reply.id)
    assert not policies.can_read_post(make_user(), hidden)
    assert policies.can_read_post(hidden.author, hidden)
    assert policies.can_read_post(staff, hidden)
    moderation.set_post_hidden(staff, reply.id, False)
    assert _actions("post") == ["post.hide", "post.unhide"]


def test_lock_and_pin_switch_and_are_audited(thread, staff, author):
    moderation.switch_thread(staff, thread.id, "lock", "heated")
    moderation.switch_thread(staff, thread.id, "pin")
    locked = db.session.get(Thread, thread.id)
    assert locked.is_locked and locked.is_pinned
    with pytest.raises(PermissionDenied):
        posts.create_reply(author, thread.id, "one more thing")
    moderation.switch_thread(staff, thread.id, "unlock")
    moderation.switch_thread(staff, thread.id, "unpin")
    assert _actions("thread") == ["thread.lock", "thread.pin", "thread.unlock", "thread.unpin"]
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
    assert (entry.actor_id, entry.before, entry.after, entry.reason) == (staff.id, {"is_locked": False}, {"is_locked": True}, "heated")


def test_moving_a_thread_recounts_both_categories_and_publishes(make_category, thread, staff, published):
    old, new = thread.category, make_category()
    moderation.move_thread(staff, thread.id, new.id, "wrong place")
    db.session.refresh(old)
    db.session.refresh(new)
    assert (old.thread_count, new.thread_count) == (0, 1)
    assert db.session.get(Thread, thread.id).category_id == new.id
    assert ("thread_moved", {"thread_id": thread.id, "actor_id": staff.id}) in published
    with pytest.raises(ValidationFailed):
        moderation.move_thread(staff, thread.id, 999_999)


# --- merge --------------------------------------------------------------------------------------


def test_merge_moves_posts_in_created_order_and_leaves_a_redirecting_stub(make_thread, make_post, make_user, staff):
    now = utcnow()
    target = make_thread(title="Target", created_at=now - timedelta(hours=5))
    make_post(thread=target, body="target reply at -3h", created_at=now - timedelta(hours=3))
    source = make_thread(title="Source", created_at=now - timedelta(hours=4))
    make_post(thread=source, body="source reply at -1h", created_at=now - timedelta(hours=1))
    moderation.merge_threads(staff, source.id, target.id, "duplicate")
    bodies = list(db.session.scalars(select(Post.body_markdown).where(Post.thread_id == target.id).order_by(Post.position)))
    positions = list(db.session.scalars(select(Post.position).where(Post.thread_id == target.id).order_by(Post.position)))
    assert bodies == ["Body of the opening post.", "Body of the opening post.", "target reply at -3h", "source reply at -1h"]
    assert positions == [1, 2, 3, 4]
    stub = db.session.get(Thread, source.id)
    assert stub.deleted_at is not None and stub.merged_into_id == target.id
    assert forum.thread_or_merge_target(None, source.id) == (db.session.get(Thread, target.id), True)
    assert db.session.get(Thread, target.id).reply_count == 3
    assert "thread.merge" in _actions()


def _followers(thread_id):
    return set(db.session.scalars(select(Follow.user_id).where(Follow.thread_id == thread_id)))


def test_merge_carries_followers_same_problem_votes_and_the_verified_answer(make_thread, make_post, make_user, staff):
    source, target = make_thread(title="Source"), make_thread(title="Target")
    both, only_source = make_user(), make_user()
    for user in (both, only_source):
        notifications.follow_thread(user.id, source.id)
        reactions.toggle_same_problem(user, source.id)
    notifications.follow_thread(both.id, target.id)
    reactions.toggle_same_problem(both, target.id)
    fix = make_post(thread=source, author=make_user(), body="Reset the router.")
    answers.verify_answer(staff, source.id, fix.id)
    outbox_before = db.session.scalar(select(func.max(SearchOutbox.id)))
    moderation.merge_threads(staff, source.id, target.id, "duplicate")
    db.session.expire_all()
    assert _followers(target.id) >= {both.id, only_source.id} and _followers(source.id) == set()
    assert reactions.same_problem_count(target.id) == 2 and reactions.same_problem_count(source.id) == 0
    verified = db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.thread_id == target.id))
    assert verified.post_id == fix.id
    assert db.session.get(Thread, target.id).state == ThreadState.solved
    reindexed = set(db.session.scalars(select(SearchOutbox.thread_id).where(SearchOutbox.id > outbox_before)))
    assert {source.id, target.id} <= reindexed  # "has a verified answer" moved with the mark
    merge = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "thread.merge")).one()
    assert merge.after["followers"] == 1 and merge.after["verified_answer_post"] == fix.id


def test_merge_keeps_the_targets_own_verified_answer(make_thread, make_post, make_user, staff):
    source, target = make_thread(title="Source"), make_thread(title="Target")
    source_fix = make_post(thread=source, author=make_user(), body="Source fix.")
    target_fix = make_post(thread=target, author=make_user(), body="Target fix.")
    answers.verify_answer(staff, source.id, source_fix.id)
    answers.verify_answer(staff, target.id, target_fix.id)
    moderation.merge_threads(staff, source.id, target.id, "duplicate")
    db.session.expire_all()
    assert db.session.scalars(select(VerifiedAnswer.post_id)).all() == [target_fix.id]


def test_merge_refuses_itself_and_missing_targets(thread, staff):
    for target in (thread.id, 424242, None):
        with pytest.raises(ValidationFailed) as refused:
            moderation.merge_threads(staff, thread.id, target)
        assert "target" in refused.value.fields


# --- suspensions and bans -----------------------------------------------------------------------


def test_suspension_blocks_posting_and_shows_the_reason(author, thread, staff):
    moderation.suspend_user(staff, author.id, "3", "Repeated off-topic posts")
    with pytest.raises(PermissionDenied) as refused:
        posts.create_reply(author, thread.id, "hello")
    assert "Repeated off-topic posts" in refused.value.message
    with pytest.raises(accounts.AccountBlocked) as blocked:
        accounts.authenticate(author.email, "correct horse battery staple")
    assert "Repeated off-topic posts" in blocked.value.message
    moderation.unsuspend_user(staff, author.id)
    assert posts.create_reply(author, thread.id, "back again").id
    assert _actions("user") == ["user.suspend", "user.unsuspend"]


@pytest.mark.parametrize("days, reason, field", [("0", "ok", "days"), ("abc", "ok", "days"), ("3", "  ", "reason")])
def test_suspension_needs_days_and_a_reason(author, staff, days, reason, field):
    with pytest.raises(ValidationFailed) as refused:
        moderation.suspend_user(staff, author.id, days, reason)
    assert field in refused.value.fields
    assert db.session.get(type(author), author.id).suspended_until is None


def test_ban_ends_sessions_and_blocks_sign_in(author, staff):
    old_session_id = author.get_id()
    moderation.set_banned(staff, author.id, True, "spam account")
    assert web_reader.load_user_from_session(old_session_id) is None
    with pytest.raises(accounts.AccountBlocked):
        accounts.authenticate(author.email, "correct horse battery staple")
    moderation.set_banned(staff, author.id, False)
    assert accounts.authenticate(author.email, "correct horse battery staple").id == author.id


def test_moderators_cannot_suspend_staff_but_admins_can(make_user, staff, admin):
    other_staff = make_user(role=Role.staff)
    with pytest.raises(PermissionDenied):
        moderation.suspend_user(staff, other_staff.id, 1, "no")
    with pytest.raises(PermissionDenied):
        moderation.set_banned(staff, staff.id, True, "self")
    assert moderation.suspend_user(admin, other_staff.id, 1, "cool off").suspended_until is not None


# --- pre-moderation and watched words -----------------------------------------------------------


def test_first_n_posts_of_a_new_account_wait_for_approval(app, make_user, make_category, staff, published):
    app.config["PREMOD_FIRST_POSTS"] = 2
    newcomer, reader, category = make_user(), make_user(), make_category()
    first = threads.create_thread(newcomer, category.id, "My first question", "Hello all")
    assert first.is_pending
    assert forum.list_threads(reader).items == []
    assert [t.id for t in forum.list_threads(newcomer).items] == [first.id]
    with pytest.raises(NotFound):
        forum.thread_for_viewer(reader, first.id)
    db.session.refresh(category)
    assert category.thread_count == 0
    second = posts.create_reply(newcomer, first.id, "Any ideas?")
    assert second.is_pending
    third = posts.create_reply(newcomer, first.id, "Third post goes straight out")
    assert not third.is_pending
    opening_id = db.session.scalar(select(Post.id).where(Post.thread_id == first.id, Post.position == 1))
    moderation.approve_post(staff, opening_id)
    assert [t.id for t in forum.list_threads(reader).items] == [first.id]
    assert [p.id for p in forum.thread_posts(reader, first, 1).items if p.position > 1] == [third.id]
    assert ("post_created", {"thread_id": first.id, "post_id": opening_id, "actor_id": newcomer.id}) in published
    db.session.refresh(category)
    assert category.thread_count == 1


def test_staff_posts_are_never_held(app, make_category, staff):
    app.config["PREMOD_FIRST_POSTS"] = 5
    assert not threads.create_thread(staff, make_category().id, "Announcement", "Hello").is_pending


@pytest.mark.parametrize("body, held", [
    ("This is Spam! Really.", True),
    ("SPAM", True),
    ("(spam)", True),
    ("I am not a spammer", False),
    ("antispam tools", False),
    ("Nothing to see", False),
])
def test_watched_words_match_whole_words_in_any_case(admin, make_user, thread, body, held):
    spam.add_watched_word(admin, "Spam")
    reply = posts.create_reply(make_user(), thread.id, body)
    assert reply.is_pending is held
    if held:
        assert reply.pending_reason == "watched word: spam"


def test_watched_word_list_is_admin_only_and_unique(admin, staff):
    with pytest.raises(PermissionDenied):
        spam.add_watched_word(staff, "casino")
    entry = spam.add_watched_word(admin, "casino")
    with pytest.raises(Conflict):
        spam.add_watched_word(admin, "CASINO")
    with pytest.raises(ValidationFailed):
        spam.add_watched_word(admin, "two words")
    spam.remove_watched_word(admin, entry.id)
    assert spam.watched_words() == []
    assert _actions("watched_word") == ["watched_word.add", "watched_word.remove"]


def test_pending_posts_are_left_out_of_search_documents(admin, make_user, thread):
    from community.search.documents import docs_for

    spam.add_watched_word(admin, "zeppelin")
    posts.create_reply(make_user(), thread.id, "zeppelin deals")
    docs, _gone = docs_for(db.session, [thread.id])
    assert "zeppelin" not in docs[0].body


def test_held_posts_are_announced_only_when_approved(admin, make_user, thread, staff, published):
    spam.add_watched_word(admin, "casino")
    held = posts.create_reply(make_user(), thread.id, "casino tips")
    assert [kind for kind, _ids in published] == []
    moderation.approve_post(staff, held.id)
    assert [(kind, ids["post_id"]) for kind, ids in published] == [("post_created", held.id)]
