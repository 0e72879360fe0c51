"""Watching categories and tags: the levels, who a new post reaches (once), and who it never reaches."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.errors import NotFound, ValidationFailed
from community.extensions import db
from community.models import CategoryWatch, Follow, Notification, Role, Tag, Thread, Visibility, WatchLevel
from community.services import forum, notifications, posts, threads
from community.tags import watching


def kinds_by_user(thread_id: int) -> dict[int, list[str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Notification).where(Notification.thread_id == thread_id).order_by(Notification.id))
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append(row.kind)
    return found


@pytest.fixture
def world(make_user, make_category):
    category = make_category(name="Networking")
    db.session.add(Tag(name="dns", is_official=True))
    db.session.commit()
    return category, make_user(username="asker")


def watch(user, category, level: str) -> None:
    watching.set_category_level(user, category.slug, level)


def test_every_level_is_stored_once_per_member_and_category_and_back_to_normal(make_user, world):
    category, _ = world
    member = make_user()
    for level in ("watching", "tracking", "watching_first_post", "muted", "normal"):
        watch(member, category, level)
        assert watching.category_level(member, category) == WatchLevel(level)
    rows = db.session.scalars(select(CategoryWatch).where(CategoryWatch.user_id == member.id)).all()
    assert len(rows) == 1
    watching.set_tag_level(member, "DNS", "watching")
    assert watching.tag_level(member, db.session.scalar(select(Tag))) == WatchLevel.watching
    assert [(item.kind, item.name, item.label) for item in watching.watch_list(member)] == [("tag", "dns", "Watching")]


def test_a_level_that_does_not_exist_is_refused(make_user, world):
    with pytest.raises(ValidationFailed, match="offered levels"):
        watch(make_user(), world[0], "stalking")


def test_nobody_watches_a_category_they_may_not_read_nor_a_tag_they_may_not_know(make_user, make_category):
    staff_room = make_category(visibility=Visibility.staff)
    with pytest.raises(forum.Unreadable):
        watch(make_user(), staff_room, "watching")
    with pytest.raises(NotFound):
        watching.set_tag_level(make_user(), "no-such-tag", "watching")


def test_watchers_hear_of_new_threads_and_of_replies_by_their_level(make_user, world):
    category, asker = world
    every, first, tracker, normal = make_user(), make_user(), make_user(), make_user()
    watch(every, category, "watching")
    watch(first, category, "watching_first_post")
    watch(tracker, category, "tracking")
    watch(normal, category, "normal")
    thread = threads.create_thread(asker, category.id, "DNS question", "Body text.")
    assert kinds_by_user(thread.id) == {every.id: ["watched_thread"], first.id: ["watched_thread"]}
    replier = make_user()
    posts.create_reply(replier, thread.id, "A reply.")
    heard = kinds_by_user(thread.id)
    assert heard[every.id] == ["watched_thread", "watched_post"]
    assert heard[first.id] == ["watched_thread"] and tracker.id not in heard and normal.id not in heard
    assert heard[asker.id] == ["reply"]


def test_a_tag_watcher_hears_of_tagged_threads_only(make_user, world):
    category, asker = world
    fan = make_user()
    watching.set_tag_level(fan, "dns", "watching_first_post")
    plain = threads.create_thread(asker, category.id, "Untagged", "Body text.")
    tagged = threads.create_thread(asker, category.id, "Tagged", "Body text.", tags="dns")
    assert fan.id not in kinds_by_user(plain.id)
    assert kinds_by_user(tagged.id)[fan.id] == ["watched_thread"]


def test_the_author_never_hears_of_their_own_post(make_user, world):
    category, asker = world
    watch(asker, category, "watching")
    thread = threads.create_thread(asker, category.id, "Mine", "Body text.")
    posts.create_reply(asker, thread.id, "Adding details.")
    assert asker.id not in kinds_by_user(thread.id)


def test_private_threads_and_gated_categories_reach_only_who_may_read_them(make_user, make_category, world):
    category, asker = world
    member, staff = make_user(), make_user(role=Role.staff)
    for person in (member, staff):
        watch(person, category, "watching")
    private = threads.create_thread(asker, category.id, "My invoice", "Body text.", is_private=True)
    assert kinds_by_user(private.id) == {staff.id: ["watched_thread"]}
    gated = make_category(visibility=Visibility.customers)
    customer = make_user(verified_customer=True)
    watching.set_category_level(customer, gated.slug, "watching")
    # A row for a member who may not read the category (say, no longer a verified customer): skipped.
    db.session.add(CategoryWatch(user_id=member.id, category_id=gated.id, level=WatchLevel.watching))
    db.session.commit()
    thread = threads.create_thread(staff, gated.id, "Customers only", "Body text.")
    assert kinds_by_user(thread.id) == {customer.id: ["watched_thread"]}


def test_muting_a_category_or_tag_silences_watching_from_anywhere(make_user, world):
    category, asker = world
    member = make_user()
    watching.set_tag_level(member, "dns", "watching")
    watch(member, category, "muted")
    thread = threads.create_thread(asker, category.id, "Muted here", "Body text.", tags="dns")
    assert member.id not in kinds_by_user(thread.id)


def test_follow_and_watch_together_give_one_notification_per_post_even_when_the_job_runs_twice(make_user, world):
    category, asker = world
    member = make_user()
    watch(member, category, "watching")
    watching.set_tag_level(member, "dns", "watching")
    thread = threads.create_thread(asker, category.id, "Both", "Body text.", tags="dns")
    db.session.add(Follow(thread_id=thread.id, user_id=member.id))
    db.session.commit()
    reply = posts.create_reply(make_user(), thread.id, "A reply.")
    notifications.handle_event("post_created", thread.id, reply.id, reply.author_id)  # the job again
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == member.id, Notification.post_id == reply.id)
    ).all()
    assert [row.kind for row in rows] == ["followed"]
    assert kinds_by_user(thread.id)[member.id] == ["watched_thread", "followed"]


def test_the_new_kinds_are_emailed_and_follow_the_preferences(make_user, world, app):
    from tests.mailbox import outbox, text_body

    category, asker = world
    member = make_user(email="watcher@example.com")
    watch(member, category, "watching")
    threads.create_thread(asker, category.id, "Loud", "Body text.")
    [email] = [message for message in outbox(app) if message["To"] == "watcher@example.com"]
    assert email["Subject"] == f"{asker.display_name} started “Loud” in Networking"
    assert "New threads in categories and tags I watch" in text_body(email)
    channels = {kind: value.value for kind, value in notifications.channels_for(member.id).items()}
    assert channels["watched_thread"] == "email" and channels["watched_post"] == "in_app"
    channels["watched_thread"] = "off"
    notifications.save_preferences(member, channels, "immediately")
    thread = threads.create_thread(asker, category.id, "Quiet", "Body text.")
    assert member.id not in kinds_by_user(thread.id)


def test_muted_threads_leave_latest_and_tracked_ones_count_unread(make_user, make_category, world):
    category, asker = world
    other = make_category(name="Billing")
    loud = threads.create_thread(asker, category.id, "Loud", "Body text.")
    kept = threads.create_thread(asker, other.id, "Kept", "Body text.")
    member = make_user()
    watch(member, category, "muted")
    shown = forum.list_threads(member, where=(watching.not_muted(member),)).items
    assert [thread.id for thread in shown] == [kept.id] and watching.has_mutes(member)
    watch(member, other, "tracking")
    assert watching.unread_counts(member, [kept]) == {}  # quiet since before the tracking began
    newer = threads.create_thread(asker, other.id, "Newer", "Body text.")
    assert watching.unread_counts(member, [newer]) == {newer.id: watching.Unread(1, True)}
    own = threads.create_thread(member, other.id, "Mine", "Body text.")
    assert watching.unread_counts(member, [own]) == {}  # they wrote the only post
    watching.note_read(member, kept)
    posts.create_reply(make_user(), kept.id, "A reply.")
    posts.create_reply(make_user(), kept.id, "Another reply.")
    fresh = db.session.get(Thread, kept.id)
    assert watching.unread_counts(member, [fresh]) == {kept.id: watching.Unread(2, False)}
    watching.note_read(member, fresh)
    assert watching.unread_counts(member, [fresh]) == {}
    assert watching.unread_counts(member, [db.session.get(Thread, loud.id)]) == {}  # muted: not counted
