"""Moving a public post into a private conversation between its author and staff.

The post becomes the opening post of a new private thread in the same category; the public thread
keeps a system note at the post's old position so the conversation there still reads in order.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Post, Thread, User, utcnow
from . import audit, notifications
from .moderation import clean_reason, existing_post, require_moderator
from .threads import clean_title, refresh_counters, render_body, slugify

MOVED_NOTE = "A post here was moved to a private conversation with our team."


def move_post_to_private(actor: Optional[User], post_id: int, title: str | None = None, reason: str = "") -> Thread:
    require_moderator(actor)
    post = existing_post(post_id)
    problem = _move_problem(post)
    if problem:
        raise ValidationFailed(problem, fields={"post": problem})
    public = post.thread
    new_title, title_problem = clean_title(title or f"Private: {public.title}")
    if title_problem:
        raise ValidationFailed("Please fix the marked fields.", fields={"title": title_problem})
    private = _private_thread_for(post, new_title)
    old_position = post.position
    post.thread_id, post.thread, post.position, post.reply_to_post_id = private.id, private, 1, None
    db.session.flush()
    db.session.add(_moved_note(public, actor, old_position, post.created_at))
    audit.record(actor, "post.make_private", "post", post.id, before={"thread_id": public.id, "position": old_position},
                 after={"thread_id": private.id}, reason=clean_reason(reason))
    refresh_counters(public)
    refresh_counters(private)
    db.session.commit()
    notifications.publish("thread_made_private", thread_id=private.id, post_id=post.id, actor_id=actor.id)
    return private


def _move_problem(post: Post) -> str | None:
    if post.is_opening:
        return "The opening post can't be moved; it is the thread itself."
    if post.is_system or post.deleted_at is not None:
        return "Only a live reply can be moved to a private conversation."
    if post.thread.is_private:
        return "This post is already in a private conversation."
    return None


def _private_thread_for(post: Post, title: str) -> Thread:
    now = utcnow()
    thread = Thread(
        category_id=post.thread.category_id, author_id=post.author_id, title=title, slug=slugify(title),
        is_private=True, created_at=now, last_activity_at=post.created_at,
    )
    db.session.add(thread)
    db.session.flush()
    return thread


def _moved_note(public: Thread, actor: User, position: int, created_at) -> Post:
    return Post(
        thread_id=public.id, author_id=actor.id, position=position, body_markdown=MOVED_NOTE,
        body_html=render_body(MOVED_NOTE), is_system=True, created_at=created_at,
    )


def private_threads_of(user_id: int) -> list[Thread]:
    return list(db.session.scalars(
        select(Thread).where(Thread.author_id == user_id, Thread.is_private.is_(True), Thread.deleted_at.is_(None))
    ).unique())
