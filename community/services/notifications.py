"""Notifications: services publish events after commit; a job works out who hears about them.

Event kinds: post_created, answer_accepted, answer_verified, thread_made_private, thread_moved,
thread_closed. `handle_event` decides the recipients (thread author, followers, mentioned users,
watchers of the thread's category or tags) and each one's channel (in-app and email, in-app only,
off), stores one row per recipient and event, then queues the emails. Everything here runs in
jobs, so it loads fresh rows and is safe to run twice: the (user, event_key) unique constraint
turns a second run into a no-op.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Optional

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import policies
from ..content.markdown import rendered_mentions
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..tags import watching
from ..webhooks import delivery as webhook_delivery
from ..models import (
    EmailFrequency,
    Follow,
    Notification,
    NotificationChannel,
    NotificationDigest,
    NotificationPreference,
    NotificationSettings,
    Post,
    Thread,
    User,
    utcnow,
)
from .accounts import existing_mentions
from .forum import paginate
from .notification_emails import send_digest_email, send_single
from .notification_kinds import ALL_KINDS, EMAIL, EVENT_KINDS, IN_APP, KINDS, OFF  # noqa: F401  (re-exported)

# One post can be a reply to my thread, in a thread I follow and mention me: the most personal
# reason the recipient hasn't switched off names the single notification they get.
POST_REASONS = ("mention", "reply", "followed", "watched_thread", "watched_post")
ANSWER_EVENTS = frozenset({"answer_accepted", "answer_verified"})
# Thread changes can happen again later (closed, reopened, closed): they refresh one row.
REPEATABLE_EVENTS = frozenset({"thread_made_private", "thread_moved", "thread_closed"})
WEBHOOK_KINDS = frozenset({"post_created", "answer_accepted", "answer_verified"})


def publish(kind: str, *, thread_id: int, post_id: int | None = None, actor_id: int | None = None) -> None:
    """Call after commit. The job loads fresh rows, so it is safe to run late or twice."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown notification event {kind!r}")
    enqueue(handle_event, kind, thread_id, post_id, actor_id)
    if kind in WEBHOOK_KINDS:  # the same events reach outgoing webhooks (thread/post created, verified, solved)
        enqueue(webhook_delivery.on_forum_event, kind, thread_id, post_id)


# --- deciding who hears about an event --------------------------------------------------------


@job("notifications.handle_event")
def handle_event(kind: str, thread_id: int, post_id: int | None, actor_id: int | None) -> None:
    """Job: store the notifications one event causes, then queue their emails."""
    thread = db.session.get(Thread, thread_id)
    post = db.session.get(Post, post_id) if post_id else None
    if thread is None or (post_id and (post is None or post.thread_id != thread.id)):
        return
    if kind == "post_created":
        follow_thread(post.author_id, thread.id)
        reasons, event_key = post_reasons(thread, post), f"post:{post.id}"
    elif kind in ANSWER_EVENTS:
        reasons, event_key = {post.author_id: [kind]}, f"{kind}:{post.id}"
    elif kind in REPEATABLE_EVENTS:
        reasons, event_key = {thread.author_id: [kind]}, f"{kind}:{thread.id}"
    else:
        raise ValueError(f"unknown notification event {kind!r}")
    reasons.pop(actor_id, None)
    to_email = store_notifications(thread, post, actor_id, event_key, reasons, refresh=kind in REPEATABLE_EVENTS)
    db.session.commit()
    for notification_id in to_email:
        enqueue(send_notification_email, notification_id)


def follow_thread(user_id: int, thread_id: int) -> None:
    """Posting in a thread follows it (opening a thread included). A duplicate is a harmless race."""
    exists = db.session.scalar(select(Follow.id).where(Follow.thread_id == thread_id, Follow.user_id == user_id))
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(Follow(thread_id=thread_id, user_id=user_id))
    except IntegrityError:
        pass


def post_reasons(thread: Thread, post: Post) -> dict[int, list[str]]:
    """user id → why they would hear about this post (mention, reply to their thread, followed,
    a watched category or tag)."""
    reasons: dict[int, list[str]] = {}
    for user_id in mentioned_user_ids(post.body_markdown):
        reasons.setdefault(user_id, []).append("mention")
    if not post.is_opening:
        reasons.setdefault(thread.author_id, []).append("reply")
    followers = db.session.scalars(select(Follow.user_id).where(Follow.thread_id == thread.id))
    for user_id in followers:
        reasons.setdefault(user_id, []).append("followed")
    # Watched categories and tags (muted ones take these away): still one row per post and person.
    for user_id, reason in watching.post_watch_reasons(thread, post).items():
        reasons.setdefault(user_id, []).append(reason)
    return reasons


def mentioned_user_ids(body: str) -> list[int]:
    """Accounts the post's markdown links as mentions (not names inside code, not unknown names)."""
    names = rendered_mentions(body, existing_mentions)
    if not names:
        return []
    return list(db.session.scalars(select(User.id).where(func.lower(User.username).in_(names))))


def store_notifications(
    thread: Thread, post: Optional[Post], actor_id: int | None, event_key: str,
    reasons: dict[int, list[str]], *, refresh: bool,
) -> list[int]:
    """Add one row per recipient who may read the thread and wants this kind; the ids to email."""
    users = db.session.scalars(select(User).where(User.id.in_(reasons))).all() if reasons else []
    existing = _existing_rows(event_key, [user.id for user in users])
    channels = channels_for_users([user.id for user in users])
    to_email: list[int] = []
    for user in users:
        if not may_hear_about(user, thread, post):
            continue
        choice = choose_kind(channels[user.id], reasons[user.id])
        if choice is None:
            continue
        kind, channel = choice
        row = existing.get(user.id)
        if row is not None:
            row = _refresh(row, kind, channel) if refresh else None
        else:
            row = _insert(Notification(
                user_id=user.id, kind=kind, event_key=event_key, thread_id=thread.id,
                post_id=post.id if post else None, actor_id=actor_id, email_due=channel == EMAIL,
            ))
        if row is not None and row.email_due:
            to_email.append(row.id)
    return to_email


def may_hear_about(user: User, thread: Thread, post: Optional[Post]) -> bool:
    if not user.is_active:
        return False
    return policies.can_read_post(user, post) if post is not None else policies.can_read_thread(user, thread)


def choose_kind(
    channels: dict[str, NotificationChannel], reasons: Iterable[str]
) -> tuple[str, NotificationChannel] | None:
    """The first reason (in priority order) the user hasn't switched off, with its channel."""
    reasons = list(reasons)
    ordered = [reason for reason in POST_REASONS if reason in reasons] + [
        reason for reason in reasons if reason not in POST_REASONS
    ]
    for reason in ordered:
        if channels[reason] != OFF:
            return reason, channels[reason]
    return None


def _existing_rows(event_key: str, user_ids: list[int]) -> dict[int, Notification]:
    if not user_ids:
        return {}
    rows = db.session.scalars(
        select(Notification).where(Notification.event_key == event_key, Notification.user_id.in_(user_ids))
    )
    return {row.user_id: row for row in rows}


def _insert(row: Notification) -> Notification | None:
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        # Another run of the same job stored it first.
        return None
    return row


def _refresh(row: Notification, kind: str, channel: NotificationChannel) -> Notification | None:
    """A thread change that happened again: an unread row already says so, a read one comes back."""
    if row.read_at is None:
        return None
    row.kind, row.created_at, row.read_at = kind, utcnow(), None
    row.email_due, row.emailed_at, row.digest_id = channel == EMAIL, None, None
    return row


# --- preferences ------------------------------------------------------------------------------


def channels_for(user_id: int) -> dict[str, NotificationChannel]:
    """Every kind's channel for a user: their choice, else the kind's default."""
    return channels_for_users([user_id])[user_id]


def channels_for_users(user_ids: list[int]) -> dict[int, dict[str, NotificationChannel]]:
    """channels_for for many users in one query (an event can reach every follower of a thread)."""
    chosen: dict[int, dict[str, NotificationChannel]] = {user_id: {} for user_id in user_ids}
    if user_ids:
        rows = db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.channel)
            .where(NotificationPreference.user_id.in_(user_ids))
        )
        for user_id, kind, channel in rows:
            chosen[user_id][kind] = channel
    return {
        user_id: {kind: picks.get(kind, info.default) for kind, info in KINDS.items()}
        for user_id, picks in chosen.items()
    }


def email_frequency(user_id: int) -> EmailFrequency:
    settings = db.session.get(NotificationSettings, user_id)
    return settings.email_frequency if settings else EmailFrequency.immediately


def save_preferences(user: User, channels: dict[str, str], frequency: str) -> None:
    """Store every kind's channel and the email frequency. Values come from a checked form."""
    problems = {kind: "Choose one of the offered options." for kind in KINDS if channels.get(kind) not in _CHANNEL_VALUES}
    if frequency not in _FREQUENCY_VALUES:
        problems["email_frequency"] = "Choose immediately or a daily digest."
    if problems:
        raise ValidationFailed("Please fix the marked fields.", fields=problems)
    for kind in KINDS:
        _set_channel(user.id, kind, NotificationChannel(channels[kind]))
    settings = db.session.get(NotificationSettings, user.id) or NotificationSettings(user_id=user.id)
    settings.email_frequency = EmailFrequency(frequency)
    db.session.add(settings)
    db.session.commit()
    if settings.email_frequency == EmailFrequency.immediately:
        # Leaving the digest: what was waiting for it goes out now instead of never.
        for notification_id in _waiting_for_email(user.id):
            enqueue(send_notification_email, notification_id)


def _waiting_for_email(user_id: int) -> list[int]:
    return list(db.session.scalars(
        select(Notification.id).where(
            Notification.user_id == user_id, Notification.email_due.is_(True), Notification.emailed_at.is_(None)
        )
    ))


_CHANNEL_VALUES = {channel.value for channel in NotificationChannel}
_FREQUENCY_VALUES = {frequency.value for frequency in EmailFrequency}


def _set_channel(user_id: int, kind: str, channel: NotificationChannel) -> None:
    preference = db.session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id, NotificationPreference.kind == kind)
    )
    if preference is None:
        db.session.add(NotificationPreference(user_id=user_id, kind=kind, channel=channel))
    else:
        preference.channel = channel


def stop_emails(user_id: int, kind: str) -> None:
    """Unsubscribe: this kind (or every kind) stops emailing but stays in the in-app list."""
    kinds = list(KINDS) if kind == ALL_KINDS else [kind]
    channels = channels_for(user_id)
    for name in kinds:
        if channels[name] == EMAIL:
            _set_channel(user_id, name, IN_APP)
    db.session.commit()


# --- the in-app list ---------------------------------------------------------------------------


# The bell shows "99+" from here on, so counting further is work nobody sees.
BELL_MAX = 100


def unread_count(user: Optional[User]) -> int:
    if user is None:
        return 0
    return _count_or_zero(select(func.count()).select_from(Notification).where(*_unread(user.id)))


def unread_for_bell(user: Optional[User]) -> int:
    """unread_count up to BELL_MAX, at a cost that does not grow with the unread pile."""
    if user is None:
        return 0
    return _count_or_zero(select(unread_for_bell_column(user.id)))


def _count_or_zero(statement) -> int:
    try:
        return db.session.scalar(statement) or 0
    except SQLAlchemyError:
        # Every page shows the bell, error pages too: they must render even when the database is down.
        db.session.rollback()
        return 0


def unread_for_bell_column(user_id):
    """The unread count up to BELL_MAX, as a column to select with the user row (web/reader.py):
    at most BELL_MAX entries of ix_notifications_user_unread, however many there are. The ORDER BY
    is that index's: with a bare LIMIT, PostgreSQL expected to find BELL_MAX rows of a user with
    20,000 unread soon and scanned the whole table (18 ms) instead of the index (0.2 ms)."""
    unread = select(Notification.read_at).where(*_unread(user_id)).order_by(Notification.read_at).limit(BELL_MAX)
    unread = unread.subquery()
    return select(func.count()).select_from(unread).scalar_subquery()


def _unread(user_id) -> tuple:
    return Notification.user_id == user_id, Notification.read_at.is_(None)


def notifications_query(user: User):
    return select(Notification).where(Notification.user_id == user.id).order_by(
        Notification.created_at.desc(), Notification.id.desc()
    )


def mark_read(user: User, notification_id: int) -> Notification:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("There is no such notification.")
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.commit()
    return row


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def still_readable(user: User, row: Notification) -> bool:
    """Whether the thing a notification points at is still there for this user to read."""
    return may_hear_about(user, row.thread, row.post)


# --- email: one at a time, or a daily digest ---------------------------------------------------


@job("notifications.send_notification_email")
def send_notification_email(notification_id: int) -> None:
    """Job: email one notification, unless the user takes a digest (which will include it)."""
    row = db.session.get(Notification, notification_id)
    if row is None or not row.email_due or row.emailed_at is not None:
        return
    if email_frequency(row.user_id) == EmailFrequency.daily:
        return
    if not _claim(row):
        return
    user = db.session.get(User, row.user_id)
    if not (user.email_verified and still_readable(user, row)):
        return
    try:
        send_single(user, row)
    except Exception:
        _release([row.id])
        raise


def _claim(row: Notification) -> bool:
    """Mark the row emailed before sending, so two runs of the job can't both send it."""
    claimed = db.session.execute(
        update(Notification).where(Notification.id == row.id, Notification.emailed_at.is_(None)).values(emailed_at=utcnow())
    ).rowcount
    db.session.commit()
    db.session.refresh(row)
    return claimed == 1


def _release(ids: list[int]) -> None:
    db.session.rollback()
    db.session.execute(update(Notification).where(Notification.id.in_(ids)).values(emailed_at=None, digest_id=None))
    db.session.commit()


@job("notifications.send_daily_digests")
def send_daily_digests(today: date | None = None) -> int:
    """Scheduled job: one digest per user and day with everything still waiting. Returns how many
    digests went out. Running it twice the same day sends nothing more (one digest row per day)."""
    today = today or utcnow().date()
    waiting = (
        select(Notification.user_id).distinct()
        .join(NotificationSettings, NotificationSettings.user_id == Notification.user_id)
        .where(
            NotificationSettings.email_frequency == EmailFrequency.daily,
            Notification.email_due.is_(True), Notification.emailed_at.is_(None),
        )
    )
    return sum(send_digest(user_id, today) for user_id in db.session.scalars(waiting).all())


def send_digest(user_id: int, today: date) -> int:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.email_verified:
        return 0
    digest = _claim_digest(user_id, today)
    if digest is None:
        return 0
    rows = db.session.scalars(
        select(Notification).where(Notification.digest_id == digest.id).order_by(Notification.created_at)
    ).all()
    readable = [row for row in rows if still_readable(user, row)]
    if not readable:
        return 0
    try:
        send_digest_email(user, readable)
    except Exception:
        _release([row.id for row in rows])
        # Forget today's digest too, so the next run tries again.
        db.session.delete(db.session.get(NotificationDigest, digest.id))
        db.session.commit()
        raise
    digest.sent_at = utcnow()
    db.session.commit()
    return 1


def _claim_digest(user_id: int, today: date) -> NotificationDigest | None:
    """Today's digest row with the waiting notifications attached; None if today's went out."""
    digest = NotificationDigest(user_id=user_id, day=today)
    try:
        with db.session.begin_nested():
            db.session.add(digest)
    except IntegrityError:
        db.session.rollback()
        return None
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.email_due.is_(True), Notification.emailed_at.is_(None))
        .values(digest_id=digest.id, emailed_at=utcnow())
    )
    db.session.commit()
    return digest


def notifications_page(user: User, number: int):
    """One page of a user's notifications, newest first (NotFound past the last page)."""
    return paginate(notifications_query(user), number, int(current_app.config["NOTIFICATIONS_PER_PAGE"]))
