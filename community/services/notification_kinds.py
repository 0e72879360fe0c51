"""What a member can hear about, and on which channel by default (the preferences page's rows).

Its own module because both the notification rules (notifications.py) and the emails
(notification_emails.py) read it, and the rules send the emails.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import NotificationChannel

EVENT_KINDS = frozenset(
    {"post_created", "answer_accepted", "answer_verified", "thread_made_private", "thread_moved", "thread_closed"}
)


@dataclass(frozen=True)
class KindInfo:
    label: str
    default: NotificationChannel


EMAIL, IN_APP, OFF = NotificationChannel.email, NotificationChannel.in_app, NotificationChannel.off

# What a user can hear about, in the order the preferences page lists them.
KINDS: dict[str, KindInfo] = {
    "reply": KindInfo("Replies to my threads", EMAIL),
    "mention": KindInfo("Mentions of me (@username)", EMAIL),
    "followed": KindInfo("Replies in threads I follow", IN_APP),
    # Levels chosen on a category's or tag's page (community/tags/watching.py).
    "watched_thread": KindInfo("New threads in categories and tags I watch", EMAIL),
    "watched_post": KindInfo("New posts in categories and tags I watch", IN_APP),
    "answer_accepted": KindInfo("My answer was accepted", EMAIL),
    "answer_verified": KindInfo("My answer was verified by staff", EMAIL),
    "thread_made_private": KindInfo("My thread was made private", EMAIL),
    "thread_moved": KindInfo("My thread was moved", EMAIL),
    "thread_closed": KindInfo("My thread was closed", EMAIL),
}
# Unsubscribe links name a kind, or "all" (the digest's link) for every email.
ALL_KINDS = "all"
