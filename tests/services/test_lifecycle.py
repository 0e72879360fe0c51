"""Thread lifecycle: close/reopen transitions, auto-close after solved, the accept reminder, and
`flask community run-scheduled`."""
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from community.errors import PermissionDenied
from community.extensions import db
from community.models import AcceptReminder, AuditEntry, Post, ThreadState, utcnow
from community.services import answers, lifecycle, posts, threads
from community.services.mail import outbox_dir


@pytest.fixture
def people(make_user):
    return type("People", (), dict(asker=make_user(), helper=make_user(), staff=make_user(role="staff")))


@pytest.fixture
def category(make_category):
    return make_category()


def _thread(people, category, replies=()):
    thread = threads.create_thread(people.asker, category.id, "Wi-Fi drops", "Every hour.")
    made = [posts.create_reply(author, thread.id, "Reply") for author in replies]
    return thread, made


def _days_ago(days: float):
    return utcnow() - timedelta(days=days)


# --- close and reopen -----------------------------------------------------------------------------


def test_open_to_answered_to_solved_to_closed_and_back(people, category, published):
    thread, _ = _thread(people, category)
    assert thread.state == ThreadState.open
    reply = posts.create_reply(people.helper, thread.id, "Restart the router")
    assert thread.state == ThreadState.answered
    answers.accept_answer(people.asker, thread.id, reply.id)
    assert thread.state == ThreadState.solved
    lifecycle.close_thread(people.asker, thread.id)
    assert thread.state == ThreadState.closed and thread.closed_at is not None
    assert ("thread_closed", {"thread_id": thread.id, "actor_id": people.asker.id}) in published
    lifecycle.reopen_thread(people.staff, thread.id)
    assert thread.state == ThreadState.solved  # closed with an accepted answer goes back to solved
    lifecycle.reopen_thread(people.asker, thread.id)
    assert thread.state == ThreadState.answered  # "not solved after all"
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["thread.close", "thread.reopen", "thread.reopen"]


def test_reopening_an_unanswered_closed_thread_makes_it_open(people, category):
    thread, _ = _thread(people, category)
    lifecycle.close_thread(people.staff, thread.id)
    lifecycle.reopen_thread(people.asker, thread.id)
    assert thread.state == ThreadState.open


def test_only_the_asker_and_staff_close_or_reopen(people, category, make_user, published):
    thread, _ = _thread(people, category)
    for stranger in (people.helper, make_user(role="marketer")):
        with pytest.raises(PermissionDenied):
            lifecycle.close_thread(stranger, thread.id)
    lifecycle.close_thread(people.staff, thread.id)
    with pytest.raises(PermissionDenied):
        lifecycle.reopen_thread(people.helper, thread.id)
    assert thread.state == ThreadState.closed
    assert [kind for kind, _ in published if kind == "thread_closed"] == ["thread_closed"]


def test_closing_twice_publishes_once(people, category, published):
    thread, _ = _thread(people, category)
    lifecycle.close_thread(people.staff, thread.id)
    lifecycle.close_thread(people.staff, thread.id)
    assert [kind for kind, _ in published if kind == "thread_closed"] == ["thread_closed"]


# --- auto-close -------------------------------------------------------------------------------------


@pytest.mark.parametrize("days, solved_days_ago, closes", [(14, 15, True), (14, 13, False), (0, 400, False)])
def test_auto_close_after_solved(app, people, category, published, days, solved_days_ago, closes):
    app.config["SOLVED_AUTO_CLOSE_DAYS"] = days
    thread, (reply,) = _thread(people, category, replies=[people.helper])
    answers.accept_answer(people.asker, thread.id, reply.id)
    thread.solved_at = _days_ago(solved_days_ago)
    db.session.commit()
    assert lifecycle.auto_close_solved() == (1 if closes else 0)
    assert lifecycle.auto_close_solved() == 0  # safe to run twice
    db.session.expire_all()
    assert thread.state == (ThreadState.closed if closes else ThreadState.solved)
    assert [kind for kind, _ in published].count("thread_closed") == (1 if closes else 0)
    if closes:
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "thread.auto_close"))
        assert (entry.actor_id, entry.target_id) == (None, thread.id)


# --- the accept reminder ---------------------------------------------------------------------------------


def _outbox() -> list:
    """Reminder emails written to the outbox (reply notifications may sit there too)."""
    folder = outbox_dir()
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    mails = [message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]
    return [mail for mail in mails if mail["Subject"].startswith("Did this answer your question?")]


def _backdate_staff_reply(thread, reply, days):
    reply.created_at = _days_ago(days)
    thread.first_staff_reply_at = reply.created_at
    db.session.commit()


def test_reminder_goes_once_when_a_staff_reply_waits(app, people, category):
    app.config["ACCEPT_REMINDER_DAYS"] = 3
    thread, (reply,) = _thread(people, category, replies=[people.staff])
    _backdate_staff_reply(thread, reply, 4)
    assert lifecycle.send_accept_reminders() == 1
    assert lifecycle.send_accept_reminders() == 0
    mails = _outbox()
    assert len(mails) == 1 and mails[0]["To"] == people.asker.email
    assert "Wi-Fi drops" in mails[0]["Subject"]
    assert f"/t/{thread.id}-" in mails[0].get_body(("plain",)).get_content()
    assert db.session.scalar(select(func.count()).select_from(AcceptReminder)) == 1


@pytest.mark.parametrize("situation", ["too recent", "asker replied since", "already accepted", "off", "no staff reply"])
def test_no_reminder_when_nothing_waits_on_the_asker(app, people, category, situation):
    app.config["ACCEPT_REMINDER_DAYS"] = 0 if situation == "off" else 3
    author = people.helper if situation == "no staff reply" else people.staff
    thread, (reply,) = _thread(people, category, replies=[author])
    _backdate_staff_reply(thread, reply, 1 if situation == "too recent" else 5)
    if situation == "no staff reply":
        thread.first_staff_reply_at = None
        db.session.commit()
    if situation == "asker replied since":
        follow_up = posts.create_reply(people.asker, thread.id, "Didn't work")
        follow_up.created_at = _days_ago(4)
        db.session.commit()
    if situation == "already accepted":
        answers.accept_answer(people.asker, thread.id, reply.id)
    assert lifecycle.send_accept_reminders() == 0
    assert _outbox() == []


def test_run_scheduled_runs_every_periodic_job(app, people, category):
    app.config.update(SOLVED_AUTO_CLOSE_DAYS=1, ACCEPT_REMINDER_DAYS=1)
    solved, (answer,) = _thread(people, category, replies=[people.helper])
    answers.accept_answer(people.asker, solved.id, answer.id)
    solved.solved_at = _days_ago(2)
    waiting, (reply,) = _thread(people, category, replies=[people.staff])
    _backdate_staff_reply(waiting, reply, 2)
    result = app.test_cli_runner().invoke(args=["community", "run-scheduled"])
    assert result.exit_code == 0, result.output
    assert "auto_close_solved: 1" in result.output and "send_accept_reminders: 1" in result.output
    db.session.expire_all()
    assert solved.state == ThreadState.closed and len(_outbox()) == 1
    again = app.test_cli_runner().invoke(args=["community", "run-scheduled"])
    assert "auto_close_solved: 0" in again.output and "send_accept_reminders: 0" in again.output
