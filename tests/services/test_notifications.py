"""Notifications: who hears about which event, on which channel, deduplicated, never leaking."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Follow, Notification, NotificationChannel, Visibility
from community.services import notifications, posts, threads


def rows_for(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def all_rows() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def post_event(post) -> None:
    notifications.handle_event("post_created", post.thread_id, post.id, post.author_id)


def set_channel(user, kind: str, channel: str) -> None:
    channels = {name: value.value for name, value in notifications.channels_for(user.id).items()}
    channels[kind] = channel
    notifications.save_preferences(user, channels, "immediately")


# --- recipients and reasons --------------------------------------------------------------------


def test_reply_to_my_thread_notifies_the_author_once_with_the_reply(make_user, make_thread, make_post):
    owner, replier = make_user(), make_user()
    thread = make_thread(author=owner)
    reply = make_post(thread=thread, author=replier)
    post_event(reply)
    [row] = all_rows()
    assert (row.user_id, row.kind, row.post_id, row.actor_id) == (owner.id, "reply", reply.id, replier.id)
    assert row.read_at is None and row.email_due


def test_one_post_that_replies_mentions_and_is_followed_gives_one_notification(make_user, make_thread, make_post):
    owner, replier = make_user(username="owner"), make_user()
    thread = make_thread(author=owner)
    db.session.add(Follow(thread_id=thread.id, user_id=owner.id))
    db.session.commit()
    reply = make_post(thread=thread, author=replier, body="Thanks @owner, try this.")
    post_event(reply)
    post_event(reply)  # a retried job adds nothing
    [row] = all_rows()
    assert (row.user_id, row.kind) == (owner.id, "mention")


def test_the_unique_constraint_refuses_a_second_row_for_the_same_event(make_user, make_thread):
    from sqlalchemy.exc import IntegrityError

    owner = make_user()
    thread = make_thread(author=owner)
    for _ in range(2):
        db.session.add(Notification(user_id=owner.id, kind="reply", event_key="post:1", thread_id=thread.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_mentioned_reason_the_user_switched_off_falls_back_to_the_reply_reason(make_user, make_thread, make_post):
    owner, replier = make_user(username="quiet"), make_user()
    set_channel(owner, "mention", "off")
    thread = make_thread(author=owner)
    post_event(make_post(thread=thread, author=replier, body="@quiet here you go"))
    assert [row.kind for row in all_rows()] == ["reply"]


def test_nobody_is_notified_of_their_own_post(make_user, make_thread, make_post):
    owner = make_user(username="self_mention")
    thread = make_thread(author=owner)
    post_event(make_post(thread=thread, author=owner, body="Bump, cc @self_mention"))
    assert all_rows() == []


def test_posting_follows_the_thread_and_followers_hear_about_later_replies(make_user, make_thread, make_post):
    owner, helper, third = make_user(), make_user(), make_user()
    thread = make_thread(author=owner)
    post_event(make_post(thread=thread, author=helper))
    assert db.session.scalar(select(Follow).where(Follow.user_id == helper.id, Follow.thread_id == thread.id))
    later = make_post(thread=thread, author=third)
    post_event(later)
    by_user = {row.user_id: row for row in all_rows() if row.post_id == later.id}
    assert by_user[helper.id].kind == "followed" and not by_user[helper.id].email_due  # default: in-app only
    assert by_user[owner.id].kind == "reply"


def test_mentions_in_code_and_unknown_names_notify_nobody(make_user, make_thread, make_post):
    make_user(username="coder")
    thread = make_thread()
    post_event(make_post(thread=thread, author=thread.author, body="Run `@coder` or @ghost\n\n    @coder"))
    assert all_rows() == []


def test_opening_post_mentions_notify_and_the_author_follows_their_thread(make_user, make_category):
    asker, expert = make_user(), make_user(username="expert")
    thread = threads.create_thread(asker, make_category().id, "Printer jams", "Any idea, @expert? Paper tray 2.")
    assert [(row.user_id, row.kind) for row in all_rows()] == [(expert.id, "mention")]
    assert db.session.scalar(select(Follow.user_id).where(Follow.thread_id == thread.id)) == asker.id


def test_create_reply_publishes_the_event_after_commit(make_user, make_thread):
    owner, replier = make_user(), make_user()
    thread = make_thread(author=owner)
    reply = posts.create_reply(replier, thread.id, "Have you tried turning it off and on again?")
    assert [(row.user_id, row.post_id, row.kind) for row in all_rows()] == [(owner.id, reply.id, "reply")]


# --- never to someone who can't read it --------------------------------------------------------


def _private_thread_mention(make_user, make_category, make_thread, make_post):
    target = make_user(username="outsider")
    thread = make_thread(is_private=True)
    return target, make_post(thread=thread, author=make_user(role="staff"), body="Asking @outsider")


def _staff_category_mention(make_user, make_category, make_thread, make_post):
    target = make_user(username="outsider")
    thread = make_thread(author=make_user(role="staff"), category=make_category(visibility=Visibility.staff))
    return target, make_post(thread=thread, author=make_user(role="staff"), body="cc @outsider")


def _customers_category_follower(make_user, make_category, make_thread, make_post):
    target = make_user(username="outsider")  # not a verified customer (any more)
    thread = make_thread(category=make_category(visibility=Visibility.customers))
    db.session.add(Follow(thread_id=thread.id, user_id=target.id))
    db.session.commit()
    return target, make_post(thread=thread)


def _hidden_post_on_my_thread(make_user, make_category, make_thread, make_post):
    target = make_user(username="outsider")
    post = make_post(thread=make_thread(author=target), body="spam")
    post.is_hidden = True
    db.session.commit()
    return target, post


def _deleted_post_mention(make_user, make_category, make_thread, make_post):
    from community.models import utcnow

    target = make_user(username="outsider")
    post = make_post(thread=make_thread(), body="@outsider oops")
    post.deleted_at = utcnow()
    db.session.commit()
    return target, post


def _banned_thread_author(make_user, make_category, make_thread, make_post):
    target = make_user(username="outsider")
    thread = make_thread(author=target)
    target.is_banned = True
    db.session.commit()
    return target, make_post(thread=thread)


@pytest.mark.parametrize("arrange", [
    _private_thread_mention, _staff_category_mention, _customers_category_follower,
    _hidden_post_on_my_thread, _deleted_post_mention, _banned_thread_author,
])
def test_no_notification_for_a_recipient_who_cannot_read_it(arrange, make_user, make_category, make_thread, make_post):
    target, post = arrange(make_user, make_category, make_thread, make_post)
    post_event(post)
    assert rows_for(target) == []


def test_staff_mentioned_in_a_private_thread_do_hear_about_it(make_user, make_thread, make_post):
    staff = make_user(role="staff", username="support")
    thread = make_thread(is_private=True)
    post_event(make_post(thread=thread, author=thread.author, body="@support please look"))
    assert [row.kind for row in rows_for(staff)] == ["mention"]


# --- answers and thread changes (published by other features; called directly here) -----------


@pytest.mark.parametrize("kind", ["answer_accepted", "answer_verified"])
def test_answer_events_notify_the_answers_author(kind, make_user, make_thread, make_post):
    asker, helper, staff = make_user(), make_user(), make_user(role="staff")
    thread = make_thread(author=asker)
    answer = make_post(thread=thread, author=helper)
    notifications.handle_event(kind, thread.id, answer.id, staff.id)
    notifications.handle_event(kind, thread.id, answer.id, staff.id)
    assert [(row.user_id, row.kind, row.post_id) for row in all_rows()] == [(helper.id, kind, answer.id)]


@pytest.mark.parametrize("kind", ["thread_made_private", "thread_moved", "thread_closed"])
def test_thread_changes_notify_the_author_and_a_repeat_comes_back_once_read(kind, make_user, make_thread):
    asker, staff = make_user(), make_user(role="staff")
    thread = make_thread(author=asker, is_private=kind == "thread_made_private")
    notifications.handle_event(kind, thread.id, None, staff.id)
    notifications.handle_event(kind, thread.id, None, staff.id)  # retried: still one unread row
    [row] = all_rows()
    assert (row.user_id, row.kind, row.read_at) == (asker.id, kind, None)
    notifications.mark_read(asker, row.id)
    notifications.handle_event(kind, thread.id, None, staff.id)  # it happened again later
    [row] = all_rows()
    assert row.read_at is None


def test_the_asker_closing_their_own_thread_notifies_nobody(make_user, make_thread):
    asker = make_user()
    thread = make_thread(author=asker)
    notifications.handle_event("thread_closed", thread.id, None, asker.id)
    assert all_rows() == []


def test_publish_rejects_unknown_events(app):
    with pytest.raises(ValueError):
        notifications.publish("thread_exploded", thread_id=1)


# --- preferences -------------------------------------------------------------------------------


def test_defaults_email_personal_kinds_and_keep_followed_threads_in_app(make_user):
    channels = notifications.channels_for(make_user().id)
    assert channels["followed"] == channels["watched_post"] == NotificationChannel.in_app
    in_app = ("followed", "watched_post")  # every new post of a thread or a watched category: too many to email
    assert {channels[kind] for kind in notifications.KINDS if kind not in in_app} == {NotificationChannel.email}


def test_off_means_no_notification_at_all(make_user, make_thread, make_post):
    owner = make_user()
    set_channel(owner, "reply", "off")
    post_event(make_post(thread=make_thread(author=owner)))
    assert rows_for(owner) == []


def test_saving_preferences_refuses_unknown_channels(make_user):
    from community.errors import ValidationFailed

    user = make_user()
    channels = {kind: "email" for kind in notifications.KINDS} | {"reply": "carrier-pigeon"}
    with pytest.raises(ValidationFailed) as failed:
        notifications.save_preferences(user, channels, "weekly")
    assert set(failed.value.fields) == {"reply", "email_frequency"}
    assert notifications.channels_for(user.id)["reply"] == NotificationChannel.email


# --- the in-app list ---------------------------------------------------------------------------


def test_unread_count_and_marking_read(make_user, make_thread, make_post):
    owner, other = make_user(), make_user()
    thread = make_thread(author=owner)
    for _ in range(3):
        post_event(make_post(thread=thread, author=other))
    assert notifications.unread_count(owner) == 3
    first = rows_for(owner)[0]
    notifications.mark_read(owner, first.id)
    assert notifications.unread_count(owner) == 2
    assert notifications.mark_all_read(owner) == 2
    assert notifications.unread_count(owner) == 0 and notifications.unread_count(None) == 0


def test_marking_someone_elses_notification_is_not_found(make_user, make_thread, make_post):
    from community.errors import NotFound

    owner, stranger = make_user(), make_user()
    post_event(make_post(thread=make_thread(author=owner)))
    with pytest.raises(NotFound):
        notifications.mark_read(stranger, rows_for(owner)[0].id)
    assert rows_for(owner)[0].read_at is None


def test_unread_count_is_zero_rather_than_an_error_when_the_database_fails(make_user, monkeypatch):
    from sqlalchemy.exc import OperationalError

    user = make_user()

    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(db.session, "scalar", broken)
    assert notifications.unread_count(user) == 0
