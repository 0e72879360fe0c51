"""Changes made straight on the models reach the index after commit, on every backend."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Post, SearchOutbox, Tag, Visibility, utcnow
from community.search import queries as search_service
from community.search import outbox as search_outbox
from community.search import upkeep as search_upkeep


def found(text: str, user=None) -> list[int]:
    return [item.thread.id for item in search_service.search(user, text).items]


def test_new_thread_and_reply_are_searchable(make_thread, make_post, search_backend):
    thread = make_thread(title="Router keeps rebooting", body="The firmware update failed twice.")
    assert found("rebooting") == [thread.id]
    assert found("firmware") == [thread.id]
    make_post(thread=thread, body="Try the zanzibar recovery mode.")
    assert found("zanzibar") == [thread.id]


def test_edit_changes_what_is_found(make_thread, search_backend):
    thread = make_thread(title="Printer jams", body="Paper gets stuck.")
    thread.title = "Scanner smudges"
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    opening.body_html = "<p>Glass is dirty.</p>"
    db.session.commit()
    assert found("printer") == []
    assert found("scanner") == [thread.id]
    assert found("glass") == [thread.id]
    assert found("paper") == []


def test_deleted_or_hidden_posts_and_deleted_threads_leave_the_index(make_thread, make_post, search_backend):
    thread = make_thread(title="Battery drains", body="Overnight.")
    hidden = make_post(thread=thread, body="quokka spam link")
    deleted = make_post(thread=thread, body="wombat rant")
    hidden.is_hidden = True
    deleted.deleted_at = utcnow()
    db.session.commit()
    assert found("quokka") == [] and found("wombat") == []
    assert found("battery") == [thread.id]
    thread.deleted_at = utcnow()
    db.session.commit()
    assert found("battery") == []
    assert search_upkeep.check_index().ok


def test_hard_delete_removes_the_document(make_thread, search_backend):
    thread = make_thread(title="Ephemeral toaster question")
    db.session.delete(thread)
    db.session.commit()
    assert found("toaster") == []


def test_moving_privatising_and_category_visibility_reach_the_index(
    make_thread, make_category, make_user, search_backend
):
    public, staff_only = make_category(), make_category(visibility=Visibility.staff)
    thread = make_thread(title="Licence renewal question", category=public)
    assert found("licence") == [thread.id]
    thread.category_id = staff_only.id
    db.session.commit()
    assert found("licence") == []
    thread.category_id = public.id
    thread.is_private = True
    db.session.commit()
    assert found("licence") == []
    thread.is_private = False
    public.visibility = Visibility.members
    db.session.commit()
    assert found("licence") == []
    assert found("licence", make_user()) == [thread.id]


def test_tags_are_indexed(make_thread, search_backend):
    thread = make_thread(title="Setup help")
    thread.tags.append(Tag(name="kubernetes"))
    db.session.commit()
    assert found("kubernetes") == [thread.id]


def test_outbox_rows_left_by_a_crash_are_indexed_at_next_drain(app, make_thread, search_backend, monkeypatch):
    from community.jobs import queue

    thread = make_thread(title="Drained later")
    # Simulate a crash after commit: the change and its outbox row, but the job never ran.
    monkeypatch.setattr(queue, "run_job", lambda *_args: None)
    thread.title = "Platypus incident"
    db.session.commit()
    monkeypatch.undo()
    db.session.execute(SearchOutbox.__table__.update().values(processed_at=None))
    db.session.commit()
    assert found("platypus") == []
    assert search_outbox.has_pending_outbox()
    assert search_outbox.process_outbox() >= 1
    assert found("platypus") == [thread.id]
    assert not search_outbox.has_pending_outbox()


def test_app_start_drains_leftover_outbox(app, make_thread, search_backend):
    from community import create_app

    thread = make_thread(title="Restart recovery")
    db.session.add(SearchOutbox(thread_id=thread.id))
    thread_title = "Narwhal restart recovery"
    db.session.execute(
        type(thread).__table__.update().where(type(thread).__table__.c.id == thread.id).values(title=thread_title)
    )
    db.session.commit()  # core update: the listener does not see it, only the outbox row we wrote
    assert found("narwhal") == []
    restarted = create_app({**app.config, "SERVER_NAME": None})
    restarted.test_client().get("/search")
    assert found("narwhal") == [thread.id]


def test_update_statements_that_skip_the_flush_reach_the_index(make_thread, make_post, search_backend):
    from sqlalchemy import update

    from community.models import Thread, ThreadState

    thread = make_thread(title="Modem blinks amber")
    reply = make_post(thread=thread, body="Reset it.")
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(state=ThreadState.solved))
    db.session.execute(update(Post).where(Post.id == reply.id).values(body_html="<p>Replace the capybara.</p>"))
    db.session.commit()
    assert found("capybara") == [thread.id]
    assert search_upkeep.check_index().ok


def test_verifying_an_answer_on_an_already_solved_thread_reaches_the_index(make_thread, make_post, make_user, search_backend):
    from community.models import ThreadState
    from community.services import answers

    staff = make_user(role="staff")
    thread = make_thread(title="Fan is noisy")
    reply = make_post(thread=thread, author=staff, body="Clean the vent.")
    thread.state = ThreadState.solved
    db.session.commit()
    assert search_upkeep.check_index().ok
    answers.verify_answer(staff, thread.id, reply.id)
    assert search_upkeep.check_index().ok


def test_a_verified_answer_moved_to_another_thread_reindexes_both(make_thread, make_post, make_user):
    """A merge re-points the mark; neither thread row need change, yet "has a verified answer" does."""
    from sqlalchemy import func

    from community.models import VerifiedAnswer

    source, target = make_thread(title="Source"), make_thread(title="Target")
    answer = make_post(thread=source, author=make_user())
    mark = VerifiedAnswer(thread_id=source.id, post_id=answer.id, verified_by_id=make_user(role="staff").id)
    db.session.add(mark)
    db.session.commit()
    before = db.session.scalar(select(func.max(SearchOutbox.id)))
    mark.thread_id = target.id
    db.session.commit()
    reindexed = set(db.session.scalars(select(SearchOutbox.thread_id).where(SearchOutbox.id > before)))
    assert reindexed == {source.id, target.id}


@pytest.mark.backends("postgres")
def test_a_drain_leaves_the_rows_a_concurrent_drain_holds_and_takes_the_rest(app, make_thread, search_backend):
    """Drains on several workers share the outbox: rows another drain has claimed are skipped,
    not waited for (that wait, repeated for every reply, made the index lag seconds long)."""
    held_thread, free_thread = make_thread(title="Held by the other worker"), make_thread(title="Free for this one")
    held, free = SearchOutbox(thread_id=held_thread.id), SearchOutbox(thread_id=free_thread.id)
    db.session.add_all([held, free])
    db.session.commit()
    other_worker = db.engine.connect()
    transaction = other_worker.begin()
    other_worker.execute(select(SearchOutbox.id).where(SearchOutbox.id == held.id).with_for_update())
    try:
        with app.app_context():
            assert search_outbox.process_outbox() == 1
            db.session.remove()
    finally:
        transaction.rollback()
        other_worker.close()
    db.session.expire_all()
    assert db.session.get(SearchOutbox, free.id).processed_at is not None
    assert db.session.get(SearchOutbox, held.id).processed_at is None
    assert search_outbox.process_outbox() == 1
