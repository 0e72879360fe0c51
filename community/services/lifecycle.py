"""Thread lifecycle: close and reopen, auto-close after solved, and the accept-an-answer reminder.

The periodic functions (auto_close_solved, send_accept_reminders) are jobs that are safe to run
twice: each only picks rows still in the state it changes, and reminders are recorded before they
are sent so a thread never gets a second one.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select

from .. import policies
from ..errors import PermissionDenied
from ..extensions import db
from ..rows import insert_once
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..models import AcceptedAnswer, AcceptReminder, Post, Thread, ThreadState, User, utcnow
from . import audit, notifications
from .answers import has_marks, unsolved_state
from .forum import thread_for_viewer
from .mail import absolute_url, send_email

log = logging.getLogger(__name__)


# --- close and reopen ---------------------------------------------------------------------------


def close_thread(user: Optional[User], thread_id: int, reason: str = "") -> Thread:
    thread = thread_for_viewer(user, thread_id)
    if not policies.can_close_thread(user, thread):
        raise PermissionDenied("Only the person who asked and staff can close this thread.")
    if thread.state == ThreadState.closed:
        return thread
    before = thread.state.value
    thread.state, thread.closed_at = ThreadState.closed, utcnow()
    audit.record(user, "thread.close", "thread", thread.id, before={"state": before}, after={"state": "closed"}, reason=reason)
    db.session.commit()
    notifications.publish("thread_closed", thread_id=thread.id, actor_id=user.id)
    return thread


def reopen_thread(user: Optional[User], thread_id: int, reason: str = "") -> Thread:
    """Closed goes back to solved when it has an answer mark; solved (the asker says it is not) and
    unmarked closed threads go back to answered or open."""
    thread = thread_for_viewer(user, thread_id)
    if not policies.can_reopen_thread(user, thread):
        raise PermissionDenied("Only the person who asked and staff can reopen this thread.")
    if thread.state not in (ThreadState.closed, ThreadState.solved):
        return thread
    before = thread.state
    if before == ThreadState.closed and has_marks(thread.id):
        thread.state = ThreadState.solved
    else:
        thread.state = unsolved_state(thread)
    audit.record(user, "thread.reopen", "thread", thread.id, before={"state": before.value}, after={"state": thread.state.value}, reason=reason)
    db.session.commit()
    return thread


# --- auto-close ---------------------------------------------------------------------------------


@job("lifecycle.auto_close_solved")
def auto_close_solved() -> int:
    """Job: close threads solved more than SOLVED_AUTO_CLOSE_DAYS ago (0 turns this off)."""
    days = int(current_app.config["SOLVED_AUTO_CLOSE_DAYS"])
    if days <= 0:
        return 0
    now = utcnow()
    due = list(db.session.scalars(
        select(Thread).where(
            Thread.state == ThreadState.solved, Thread.deleted_at.is_(None), Thread.solved_at <= now - timedelta(days=days)
        ).with_for_update(skip_locked=True)
    ))
    for thread in due:
        thread.state, thread.closed_at = ThreadState.closed, now
        audit.record(None, "thread.auto_close", "thread", thread.id, before={"state": "solved"}, after={"state": "closed"},
                     reason=f"Solved more than {days} days ago.")
    db.session.commit()
    for thread in due:
        notifications.publish("thread_closed", thread_id=thread.id)
    return len(due)


# --- the accept-an-answer reminder --------------------------------------------------------------


@job("lifecycle.send_accept_reminders")
def send_accept_reminders() -> int:
    """Job: remind askers whose staff reply has waited ACCEPT_REMINDER_DAYS for them (0 = off)."""
    days = int(current_app.config["ACCEPT_REMINDER_DAYS"])
    if days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    sent = 0
    for thread in _reminder_candidates(cutoff):
        if _staff_reply_unacknowledged(thread, cutoff) and _record_reminder(thread.id):
            enqueue(email_accept_reminder, thread.id)
            sent += 1
    return sent


def _reminder_candidates(cutoff) -> list[Thread]:
    reminded = select(AcceptReminder.thread_id)
    accepted = select(AcceptedAnswer.thread_id)
    return list(db.session.scalars(
        select(Thread).where(
            Thread.state.in_((ThreadState.open, ThreadState.answered)), Thread.deleted_at.is_(None),
            Thread.first_staff_reply_at <= cutoff, Thread.id.not_in(reminded), Thread.id.not_in(accepted),
        ).order_by(Thread.id)
    ))


def _staff_reply_unacknowledged(thread: Thread, cutoff) -> bool:
    """The latest staff reply is older than the cutoff and the asker has not written since."""
    replies = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.position > 1, Post.deleted_at.is_(None)).order_by(Post.position)
    ).all()
    staff_times = [p.created_at for p in replies if p.author.is_staff and p.author_id != thread.author_id]
    if not staff_times or staff_times[-1] > cutoff:
        return False
    return not any(p.author_id == thread.author_id and p.created_at > staff_times[-1] for p in replies)


def _record_reminder(thread_id: int) -> bool:
    """Claim the reminder (the primary key refuses a second claim, even from a parallel run)."""
    return insert_once(AcceptReminder(thread_id=thread_id))


@job("lifecycle.email_accept_reminder")
def email_accept_reminder(thread_id: int) -> None:
    """Job: the reminder email itself."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        return
    asker = thread.author
    if not asker.is_active or not asker.email_verified:
        return
    url = absolute_url("forum.thread", thread_id=thread.id, slug=thread.slug)
    send_email(asker.email, f"Did this answer your question? {thread.title}", "accept_reminder", thread=thread, user=asker, url=url)
