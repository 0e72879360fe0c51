"""The change tracker (community/changes.py): one ChangeSet per commit, told to its subscribers.

A recorder subscribes for the test's duration and sees what each commit changed: rows with their
threads and categories, statements that skipped the flush, nothing from a rollback, nothing from a
table no subscriber watches.
"""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from community import changes
from community.extensions import db
from community.models import Follow, HelpfulVote, NotificationChannel, NotificationPreference, Post, Thread


@pytest.fixture
def committed(app):
    """The ChangeSets handed over after each commit while the test runs."""
    seen: list[changes.ChangeSet] = []
    changes.subscribe(seen.append, {"threads", "posts", "follows"})
    yield seen
    changes.unsubscribe(seen.append)


def _rows(change_set: changes.ChangeSet, table: str) -> list[changes.Row]:
    return [row for row in change_set.rows if row.table == table]


def test_a_commit_hands_over_one_change_set_with_its_rows_threads_and_categories(committed, make_thread, make_user):
    thread, user = make_thread(title="Where is my invoice"), make_user()
    committed.clear()
    db.session.add(Post(thread_id=thread.id, author_id=user.id, position=2, body_markdown="Me too",
                        body_html="<p>Me too</p>"))
    db.session.flush()
    thread.reply_count += 1
    db.session.commit()
    assert len(committed) == 1  # two flushes, one commit
    (post,) = _rows(committed[0], "posts")
    assert post.op == changes.INSERT and post.thread_ids == {thread.id} and post.category_ids == {thread.category_id}
    (changed,) = _rows(committed[0], "threads")
    assert changed.op == changes.UPDATE and "reply_count" in changed.columns and changed.key == thread.id


def test_a_savepoint_released_inside_a_transaction_waits_for_the_outer_commit(committed, make_thread, make_user):
    thread, user = make_thread(title="Savepoints"), make_user()
    committed.clear()
    thread.reply_count += 1
    with db.session.begin_nested():  # as follow_thread does inside create_thread
        db.session.add(Follow(thread_id=thread.id, user_id=user.id))
    assert committed == []  # released, not committed: subscribers (the search drain) would wait on the lock
    db.session.commit()
    assert len(committed) == 1 and {row.table for row in committed[0].rows} == {"threads", "follows"}


def test_a_post_moved_to_another_thread_names_both(committed, make_thread, make_post):
    source, target = make_thread(), make_thread()
    reply = make_post(thread=source)
    committed.clear()
    reply.thread_id = target.id
    db.session.commit()
    (moved,) = _rows(committed[0], "posts")
    assert moved.thread_ids == {source.id, target.id} and moved.columns == {"thread_id"}


def test_a_row_that_names_a_post_is_mapped_to_the_posts_thread(app, committed, make_thread, make_user):
    thread, user_id = make_thread(), make_user().id
    opening_id = thread.last_post_id
    db.session.expunge_all()  # the lookup reads the database when the post is not loaded
    db.session.add(HelpfulVote(user_id=user_id, post_id=opening_id))
    db.session.commit()
    (vote,) = _rows(committed[-1], "helpful_votes")  # the page cache watches the table
    assert vote.thread_ids == {thread.id} and vote.category_ids == {thread.category_id}


def test_unchanged_rows_and_unwatched_tables_are_left_out(committed, make_thread, make_user):
    thread = make_thread()
    user = make_user()
    committed.clear()
    thread.title = thread.title  # set, but the same value
    # nobody watches notification preferences (live watches notifications, for the bell)
    db.session.add(NotificationPreference(user_id=user.id, kind="reply", channel=NotificationChannel.off))
    db.session.commit()
    assert all(row.table not in ("threads", "notification_preferences") for change_set in committed for row in change_set.rows)


def test_a_rollback_forgets_what_it_flushed(committed, make_thread):
    thread = make_thread()
    committed.clear()
    thread.title = "Never committed"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert not any(change_set.rows for change_set in committed)


def test_statements_that_skip_the_flush_name_their_table_and_threads(committed, make_thread):
    first, second = make_thread(), make_thread()
    committed.clear()
    db.session.execute(update(Thread).where(Thread.id == first.id).values(view_count=Thread.view_count + 1))
    db.session.execute(text("UPDATE posts SET is_hidden = is_hidden"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    statements = committed[0].statements
    assert changes.Statement("threads", frozenset({first.id})) in statements
    assert changes.Statement("posts", None) in statements  # text(): its threads are not known
    assert changes.Statement(changes.UNKNOWN_TABLE, None) in statements  # a write whose table cannot be read
    assert second.id not in {t for s in statements for t in s.thread_ids or ()}


def test_the_change_set_is_frozen(committed, make_thread):
    make_thread()
    with pytest.raises(dataclasses.FrozenInstanceError):
        committed[-1].rows = ()


def test_a_failing_subscriber_never_fails_the_commit_nor_the_others(committed, make_thread, caplog):
    def broken(_change_set):
        raise RuntimeError("cache outage")

    changes.subscribe(broken, {"threads"})
    try:
        thread = make_thread(title="Still committed")
    finally:
        changes.unsubscribe(broken)
    assert committed and db.session.get(Thread, thread.id).title == "Still committed"
    assert "change subscriber" in caplog.text


def test_in_transaction_subscribers_see_each_flush_before_the_commit(app, make_thread, make_user):
    thread, user = make_thread(), make_user()
    flushes: list[tuple[bool, changes.ChangeSet]] = []

    def note(session, change_set):
        flushes.append((session.in_transaction(), change_set))

    changes.subscribe_in_transaction(note, {"follows"})
    try:
        db.session.add(Follow(thread_id=thread.id, user_id=user.id))
        db.session.flush()
        db.session.rollback()
        db.session.add(Follow(thread_id=thread.id, user_id=user.id))
        db.session.commit()
    finally:
        changes.unsubscribe(note)
    assert [inside for inside, _ in flushes] == [True, True]
    assert all(_rows(change_set, "follows")[0].thread_ids == {thread.id} for _, change_set in flushes)


def test_registering_and_subscribing_twice_changes_nothing(app, committed, make_thread, make_category, make_user):
    listening = _listener_counts()
    changes.register()
    changes.subscribe(committed.append, {"threads", "posts", "follows"})
    assert _listener_counts() == listening
    category, user = make_category(), make_user()
    committed.clear()
    thread = make_thread(category=category, author=user)
    assert len(committed) == 1
    assert [row.key for row in _rows(committed[0], "threads") if row.op == changes.INSERT] == [thread.id]


def _listener_counts() -> tuple[int, ...]:
    dispatch = Session().dispatch
    return tuple(len(getattr(dispatch, name)) for name in ("after_flush", "do_orm_execute", "after_commit", "after_rollback"))


def test_no_listener_is_installed_at_import():
    import subprocess
    import sys

    probe = (
        "from sqlalchemy.orm import Session\n"
        "import community.changes, community.page_cache.store, community.widgets.cache, community.search.changes\n"
        "dispatch = Session().dispatch\n"
        "print(sum(len(getattr(dispatch, n)) for n in ('after_flush', 'do_orm_execute', 'after_commit', 'after_rollback')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0"
