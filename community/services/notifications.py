"""Notifications: services publish events after commit; a job works out who hears about them.

Event kinds: post_created, answer_accepted, answer_verified, thread_made_private, thread_moved,
thread_closed. `handle_event` decides the recipients (thread author, followers, mentioned users)
and each one's channels (in-app, email, off).
"""
from __future__ import annotations

from ..jobs.queue import enqueue

EVENT_KINDS = frozenset(
    {"post_created", "answer_accepted", "answer_verified", "thread_made_private", "thread_moved", "thread_closed"}
)


def publish(kind: str, *, thread_id: int, post_id: int | None = None, actor_id: int | None = None) -> None:
    """Call after commit. The job loads fresh rows, so it is safe to run late or twice."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown notification event {kind!r}")
    enqueue("community.services.notifications:handle_event", kind, thread_id, post_id, actor_id)


def handle_event(kind: str, thread_id: int, post_id: int | None, actor_id: int | None) -> None:
    """Job: deliver one event. (Recipients and delivery are built by the notifications work.)"""
