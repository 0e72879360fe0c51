"""Moderation: flags and the queue, hiding, locking, pinning, moving, merging, suspensions, bans.

Every staff action writes its audit row (services.audit.record) in the same transaction as the
change, then commits; notifications are published after the commit.
"""
from __future__ import annotations

from functools import partial
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import (
    FLAG_REASON_LABELS,
    AcceptedAnswer,
    Category,
    Flag,
    FlagReason,
    Follow,
    Post,
    SameProblem,
    Thread,
    User,
    VerifiedAnswer,
    utcnow,
)
from . import audit, notifications
from .answers import mark_solved
from .forum import post_for_viewer
from .threads import refresh_category_counters, refresh_counters, refresh_thread_counters

NOTE_MAX = 500
REASON_MAX = 500
MAX_SUSPENSION_DAYS = 3650


require_moderator = partial(policies.ensure, policies.can_moderate, message="Only staff can moderate.")


def clean_reason(raw: str | None, field_name: str = "reason", required: bool = False) -> str:
    reason = " ".join((raw or "").split())
    if "\x00" in reason or "\ufffd" in reason:
        raise ValidationFailed("Please fix the marked fields.", fields={field_name: "The reason contains characters that are not allowed."})
    if required and not reason:
        raise ValidationFailed("Please fix the marked fields.", fields={field_name: "Give a reason; the member will see it."})
    if len(reason) > REASON_MAX:
        raise ValidationFailed("Please fix the marked fields.", fields={field_name: f"The reason can be at most {REASON_MAX} characters."})
    return reason


def existing_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("There is no such post.")
    return post


def _thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise NotFound("There is no such thread.")
    return thread


# --- flags --------------------------------------------------------------------------------------


def parse_flag_reason(raw: str | None) -> FlagReason:
    try:
        return FlagReason(raw or "")
    except ValueError:
        raise ValidationFailed("Please fix the marked fields.", fields={"reason": "Choose why you are flagging this post."}) from None


def flag_post(user: Optional[User], post_id: int, reason: str | None, note: str | None = "") -> Flag:
    """One flag per reader per post (the database enforces it); K distinct flags hide the post."""
    post = post_for_viewer(user, post_id)
    if user is not None and post.author_id == user.id:
        raise PermissionDenied("You can't flag your own post.")
    if post.deleted_at is not None:
        raise Conflict("This post was deleted, so it can't be flagged.")
    if not policies.can_flag(user, post):
        raise PermissionDenied("You can't flag this post.")
    flag = Flag(post_id=post.id, user_id=user.id, reason=parse_flag_reason(reason), note=_clean_note(note))
    db.session.add(flag)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You already flagged this post. Staff will review it.") from None
    _auto_hide_if_flagged_enough(post)
    db.session.commit()
    return flag


def _clean_note(raw: str | None) -> str:
    note = (raw or "").strip()
    if "\x00" in note or "\ufffd" in note:
        raise ValidationFailed("Please fix the marked fields.", fields={"note": "The note contains characters that are not allowed."})
    if len(note) > NOTE_MAX:
        raise ValidationFailed("Please fix the marked fields.", fields={"note": f"The note can be at most {NOTE_MAX} characters."})
    return note


def _open_flag_count(post_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Flag).where(Flag.post_id == post_id, Flag.resolved_at.is_(None))
    ) or 0


def _auto_hide_if_flagged_enough(post: Post) -> None:
    threshold = int(current_app.config["FLAGS_TO_AUTO_HIDE"])
    if threshold <= 0 or post.is_hidden or _open_flag_count(post.id) < threshold:
        return
    post.is_hidden = True
    # No person acted, so the row has no actor; the post stays in the queue for staff to review.
    audit.record(None, "post.auto_hide", "post", post.id, before={"is_hidden": False}, after={"is_hidden": True},
                 reason=f"{threshold} readers flagged it")
    refresh_counters(post.thread)


def _resolve_flags(actor: User, post_id: int, resolution: str) -> int:
    result = db.session.execute(
        update(Flag).where(Flag.post_id == post_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution)
    )
    return result.rowcount or 0


# --- the queue ----------------------------------------------------------------------------------


@dataclass
class QueueItem:
    post: Post
    flags: list[Flag] = field(default_factory=list)

    @property
    def reason_counts(self) -> list[tuple[str, int]]:
        counted = Counter(FLAG_REASON_LABELS[flag.reason] for flag in self.flags)
        return counted.most_common()

    @property
    def notes(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.note]


def moderation_queue(actor: Optional[User], limit: int = 100) -> list[QueueItem]:
    """Posts with open flags and posts waiting for approval, oldest first."""
    require_moderator(actor)
    open_flag = exists().where(Flag.post_id == Post.id, Flag.resolved_at.is_(None))
    waiting = list(db.session.scalars(
        select(Post).where(or_(open_flag, Post.is_pending.is_(True)), Post.deleted_at.is_(None))
        .order_by(Post.created_at, Post.id).limit(limit)
    ).unique())
    flags = db.session.scalars(
        select(Flag).where(Flag.post_id.in_([p.id for p in waiting]), Flag.resolved_at.is_(None)).order_by(Flag.id)
    ).unique() if waiting else []
    by_post: dict[int, QueueItem] = {post.id: QueueItem(post) for post in waiting}
    for flag in flags:
        by_post[flag.post_id].flags.append(flag)
    return list(by_post.values())


def queue_size() -> int:
    open_flag = exists().where(Flag.post_id == Post.id, Flag.resolved_at.is_(None))
    return db.session.scalar(
        select(func.count()).select_from(Post).where(or_(open_flag, Post.is_pending.is_(True)), Post.deleted_at.is_(None))
    ) or 0


def dismiss_flags(actor: Optional[User], post_id: int, reason: str = "") -> int:
    require_moderator(actor)
    post = existing_post(post_id)
    count = _resolve_flags(actor, post.id, "dismissed")
    was_hidden = post.is_hidden
    if was_hidden and count:
        # Dismissing says the post is fine: undo an automatic hide.
        post.is_hidden = False
        refresh_counters(post.thread)
    audit.record(actor, "flags.dismiss", "post", post.id, before={"open_flags": count, "is_hidden": was_hidden},
                 after={"open_flags": 0, "is_hidden": post.is_hidden}, reason=clean_reason(reason))
    db.session.commit()
    return count


def approve_post(actor: Optional[User], post_id: int, reason: str = "") -> Post:
    """A held post goes public; a held opening post makes its thread public too."""
    require_moderator(actor)
    post = existing_post(post_id)
    if not post.is_pending:
        return post
    post.is_pending = False
    if post.is_opening:
        post.thread.is_pending = False
    audit.record(actor, "post.approve", "post", post.id, before={"is_pending": True, "pending_reason": post.pending_reason},
                 after={"is_pending": False}, reason=clean_reason(reason))
    refresh_counters(post.thread)
    db.session.commit()
    notifications.publish("post_created", thread_id=post.thread_id, post_id=post.id, actor_id=post.author_id)
    return post


# --- posts: hide, unhide, delete --------------------------------------------------------------


def set_post_hidden(actor: Optional[User], post_id: int, hidden: bool, reason: str = "") -> Post:
    require_moderator(actor)
    post = existing_post(post_id)
    reason = clean_reason(reason)
    if hidden:
        _resolve_flags(actor, post.id, "hidden")
    if post.is_hidden == hidden:
        db.session.commit()
        return post
    audit.record(actor, "post.hide" if hidden else "post.unhide", "post", post.id,
                 before={"is_hidden": post.is_hidden}, after={"is_hidden": hidden}, reason=reason)
    post.is_hidden = hidden
    refresh_counters(post.thread)
    db.session.commit()
    return post


def delete_flagged_post(actor: Optional[User], post_id: int, reason: str = "") -> Post:
    """Queue action: resolve the flags and soft-delete (the forum's delete writes the audit row)."""
    from . import posts

    require_moderator(actor)
    post = existing_post(post_id)
    _resolve_flags(actor, post.id, "deleted")
    return posts.delete_post(actor, post.id, reason=clean_reason(reason))


# --- threads: lock, pin, move, merge ----------------------------------------------------------


THREAD_SWITCHES = {"lock": ("is_locked", True), "unlock": ("is_locked", False), "pin": ("is_pinned", True), "unpin": ("is_pinned", False)}


def switch_thread(actor: Optional[User], thread_id: int, action: str, reason: str = "") -> Thread:
    """lock, unlock, pin or unpin."""
    require_moderator(actor)
    if action not in THREAD_SWITCHES:
        raise NotFound("There is no such action.")
    thread = _thread(thread_id)
    column, value = THREAD_SWITCHES[action]
    if getattr(thread, column) != value:
        audit.record(actor, f"thread.{action}", "thread", thread.id, before={column: not value}, after={column: value},
                     reason=clean_reason(reason))
        setattr(thread, column, value)
        db.session.commit()
    return thread


def move_thread(actor: Optional[User], thread_id: int, category_id: int | None, reason: str = "") -> Thread:
    require_moderator(actor)
    thread = _thread(thread_id)
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or category.deleted_at is not None:
        raise ValidationFailed("Please fix the marked fields.", fields={"category": "Choose a category to move the thread to."})
    if category.id == thread.category_id:
        return thread
    old_category = thread.category
    audit.record(actor, "thread.move", "thread", thread.id, before={"category_id": old_category.id, "category": old_category.name},
                 after={"category_id": category.id, "category": category.name}, reason=clean_reason(reason))
    thread.category_id, thread.category = category.id, category
    db.session.flush()
    refresh_category_counters(old_category)
    refresh_category_counters(category)
    db.session.commit()
    notifications.publish("thread_moved", thread_id=thread.id, actor_id=actor.id)
    return thread


def merge_threads(actor: Optional[User], source_id: int, target_id: int | None, reason: str = "") -> Thread:
    """Move every post of `source` into `target` (in created order, renumbered after target's posts);
    the source stays as a deleted stub whose URL redirects to the target."""
    require_moderator(actor)
    source = _thread(source_id)
    target = db.session.get(Thread, target_id) if target_id else None
    problem = _merge_problem(source, target)
    if problem:
        raise ValidationFailed("Please fix the marked fields.", fields={"target": problem})
    moved = _move_posts_after(source, target)
    carried = _carry_people_and_marks(source, target)
    source.deleted_at, source.merged_into_id = utcnow(), target.id
    audit.record(actor, "thread.merge", "thread", source.id, before={"thread_id": source.id, "posts": len(moved)},
                 after={"merged_into": target.id, **carried}, reason=clean_reason(reason))
    refresh_counters(source)
    refresh_counters(target)
    db.session.commit()
    return target


def _merge_problem(source: Thread, target: Thread | None) -> str | None:
    if target is None:
        return "There is no thread with that number."
    if target.id == source.id:
        return "A thread can't be merged into itself."
    if target.deleted_at is not None or source.deleted_at is not None:
        return "Deleted threads can't be merged."
    if target.is_private != source.is_private:
        return "Merge public threads with public threads and private with private."
    return None


def _carry_people_and_marks(source: Thread, target: Thread) -> dict[str, object]:
    """Followers and "same problem" votes go with the posts; so do the source's accepted and verified
    answers when the target has none of its own (the target's own marks win: one of each per thread)."""
    carried: dict[str, object] = {
        "followers": _move_per_user_rows(Follow, source.id, target.id),
        "same_problem": _move_per_user_rows(SameProblem, source.id, target.id),
    }
    for mark, name in ((AcceptedAnswer, "accepted_answer_post"), (VerifiedAnswer, "verified_answer_post")):
        source_mark = db.session.scalar(select(mark).where(mark.thread_id == source.id))
        if source_mark is None:
            continue
        if db.session.scalar(select(mark.id).where(mark.thread_id == target.id)) is None:
            source_mark.thread_id = target.id
            carried[name] = source_mark.post_id
            mark_solved(target)
        else:
            db.session.delete(source_mark)
    db.session.flush()
    return carried


def _move_per_user_rows(model, source_id: int, target_id: int) -> int:
    """Re-point one-per-user rows (follows, same-problem votes) at the target, skipping people who
    already have one there; the unique (thread, user) key would refuse a second."""
    already = select(model.user_id).where(model.thread_id == target_id)
    moved = db.session.execute(
        update(model).where(model.thread_id == source_id, model.user_id.not_in(already))
        .values(thread_id=target_id).execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(delete(model).where(model.thread_id == source_id).execution_options(synchronize_session=False))
    return moved


def _move_posts_after(source: Thread, target: Thread) -> list[Post]:
    moving = list(db.session.scalars(select(Post).where(Post.thread_id == source.id).order_by(Post.created_at, Post.id)))
    existing = list(db.session.scalars(select(Post).where(Post.thread_id == target.id)))
    combined = sorted(existing + moving, key=lambda post: (post.created_at, post.id))
    # Renumber in two passes so the (thread_id, position) unique constraint never sees a clash.
    for offset, post in enumerate(combined, start=1):
        post.position = -offset
    db.session.flush()
    for post in moving:
        post.thread_id, post.thread = target.id, target
    db.session.flush()
    for post in combined:
        post.position = -post.position
    db.session.flush()
    return moving


# --- people: suspend, ban ---------------------------------------------------------------------


def _member(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("There is no such member.")
    if not policies.can_suspend(actor, user):
        raise PermissionDenied("You can't suspend or ban this account.")
    return user


def parse_days(raw: object) -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_SUSPENSION_DAYS:
        raise ValidationFailed("Please fix the marked fields.", fields={"days": f"Enter a number of days from 1 to {MAX_SUSPENSION_DAYS}."})
    return int(text)


def suspend_user(actor: Optional[User], user_id: int, days: object, reason: str | None) -> User:
    require_moderator(actor)
    user = _member(actor, user_id)
    problems = {}
    try:
        length = parse_days(days)
    except ValidationFailed as error:
        problems.update(error.fields)
    try:
        why = clean_reason(reason, required=True)
    except ValidationFailed as error:
        problems.update(error.fields)
    if problems:
        raise ValidationFailed("Please fix the marked fields.", fields=problems)
    until = utcnow() + timedelta(days=length)
    audit.record(actor, "user.suspend", "user", user.id, before=_suspension(user),
                 after={"suspended_until": until.isoformat(), "suspension_reason": why}, reason=why)
    user.suspended_until, user.suspension_reason = until, why
    db.session.commit()
    return user


def _suspension(user: User) -> dict:
    until = user.suspended_until.isoformat() if user.suspended_until else None
    return {"suspended_until": until, "suspension_reason": user.suspension_reason}


def unsuspend_user(actor: Optional[User], user_id: int, reason: str = "") -> User:
    require_moderator(actor)
    user = _member(actor, user_id)
    if user.suspended_until is None:
        return user
    audit.record(actor, "user.unsuspend", "user", user.id, before=_suspension(user),
                 after={"suspended_until": None, "suspension_reason": None}, reason=clean_reason(reason))
    user.suspended_until, user.suspension_reason = None, None
    db.session.commit()
    return user


def set_banned(actor: Optional[User], user_id: int, banned: bool, reason: str | None = "") -> User:
    """Banning also ends every session: the session version is part of each session id."""
    require_moderator(actor)
    user = _member(actor, user_id)
    why = clean_reason(reason, required=banned)
    if user.is_banned == banned:
        return user
    audit.record(actor, "user.ban" if banned else "user.unban", "user", user.id,
                 before={"is_banned": user.is_banned}, after={"is_banned": banned}, reason=why)
    user.is_banned = banned
    if banned:
        user.session_version += 1
    db.session.commit()
    return user


def member_for_staff(actor: Optional[User], user_id: int) -> User:
    require_moderator(actor)
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("There is no such member.")
    return user
