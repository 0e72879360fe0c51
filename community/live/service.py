"""Who may follow which live channel, and publishing a commit's events.

`subscribe(user, thread_id, staff_queues)` checks each channel with the same predicates as the
pages behind it (policies.can_read_thread, can_use_staff_inbox, can_triage_bridge, can_moderate)
and signs the answer. A thread the reader cannot read is a NotFound, exactly as its page is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select

from .. import policies
from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Notification, Thread, User
from . import tokens
from .broker import Broker
from .events import STAFF_QUEUES, events_for, staff_channel, thread_channel, user_channel

log = logging.getLogger(__name__)

STAFF_POLICIES = {
    "inbox": policies.can_use_staff_inbox,
    "queue": policies.can_moderate,
    "bridge": policies.can_triage_bridge,
}


@dataclass(frozen=True)
class Subscription:
    token: str
    channels: tuple[str, ...]
    last_id: str


def subscribe(user: Optional[User], broker: Broker, secret_key: str, *, thread_id: int | None = None,
              staff_queue: str | None = None) -> Subscription:
    channels = []
    if thread_id is not None:
        thread = db.session.get(Thread, thread_id)
        if thread is None or not policies.can_read_thread(user, thread):
            raise NotFound("No such thread.")
        channels.append(thread_channel(thread.id))
    if staff_queue is not None:
        if staff_queue not in STAFF_QUEUES:
            raise ValidationFailed("Unknown staff page.", fields={"staff": "Unknown staff page."})
        if not STAFF_POLICIES[staff_queue](user):
            raise PermissionDenied("This page is for staff only.")
        channels.append(staff_channel(staff_queue))
    if user is not None and getattr(user, "is_authenticated", False):
        channels.append(user_channel(user.id))  # only ever one's own bell
    if not channels:
        raise ValidationFailed("Nothing to follow.", fields={"thread": "Name a thread or sign in."})
    # The id first, then the token: an event between the two is replayed, never lost.
    last_id = broker.latest_id()
    return Subscription(tokens.sign(secret_key, channels), tuple(sorted(channels)), last_id)


def notification_owners(notification_ids: list[int]) -> list[int]:
    # After the commit: a connection of its own, so the finished session is not reopened.
    with db.engine.connect() as connection:
        return list(connection.scalars(select(Notification.user_id).where(Notification.id.in_(notification_ids))))


def publish(broker: Broker, change_set) -> None:
    """A commit's events, to the broker (the change tracker calls this after the commit)."""
    events = events_for(change_set, notification_owners)
    if not events:
        return
    try:
        broker.publish(events)
    except Exception:  # Redis away: pages are right on reload; the request already succeeded
        log.warning("live events not published (%d)", len(events), exc_info=True)
