"""Starting threads, and the rules every piece of posted text follows (shared with posts.py)."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from flask import current_app
from sqlalchemy import func, or_, select

from .. import policies
from ..attachments import service as attachments
from ..composer import cleanup as drafts
from ..content.markdown import render_with_mentions
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Category, Post, Thread, ThreadState, User, utcnow
from ..tags import service as tag_service
from . import notifications
from .accounts import existing_mentions
from .spam import screen_new_post

REPLACEMENT_CHAR = "\ufffd"


# --- input rules ------------------------------------------------------------------------------


def _text_problem(value: str, label: str, max_length: int) -> str | None:
    if "\x00" in value:
        return f"{label} contains a NUL character; remove it and try again."
    # Werkzeug decodes invalid UTF-8 into U+FFFD, so its presence means the bytes were broken.
    if REPLACEMENT_CHAR in value:
        return f"{label} contains bytes that are not valid UTF-8 text."
    if not value.strip():
        return f"{label} can't be empty."
    if len(value) > max_length:
        return f"{label} is too long: {len(value):,} characters, the limit is {max_length:,}."
    return None


def clean_title(raw: str | None) -> tuple[str, str | None]:
    """The title on one line with single spaces, and the problem with it if any."""
    title = " ".join((raw or "").split())
    return title, _text_problem(title, "The title", current_app.config["TITLE_MAX_LENGTH"])


def clean_body(raw: str | None) -> tuple[str, str | None]:
    body = (raw or "").replace("\r\n", "\n").strip("\n").rstrip()
    return body, _text_problem(body, "The post", current_app.config["BODY_MAX_LENGTH"])


def require_valid(problems: dict[str, str | None]) -> None:
    fields = {name: message for name, message in problems.items() if message}
    if fields:
        raise ValidationFailed("Please fix the marked fields.", fields=fields)


def posting_refusal(user: Optional[User]) -> str:
    """Why this account may not post anywhere (for the 403 page)."""
    if user is None:
        return "Sign in to post."
    if not user.email_verified:
        return "Confirm your email address before posting."
    if policies.is_suspended(user):
        until = user.suspended_until.strftime("%b %-d, %Y %H:%M UTC")
        reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
        return f"Your account is suspended until {until}, so you can't post right now.{reason}"
    return "You can't post here."


# --- rendering and slugs ----------------------------------------------------------------------


def render_body(body: str, files: list | None = None) -> str:
    """`files`: the Attachment rows the text may show (attachments.for_body); others show as text."""
    return render_with_mentions(body, existing_mentions, attachments.references(files or []))


# What bleach 6 left in code spans and blocks before sanitize.py stopped skipping them: the text
# of a skipped tag escaped a second time ("&amp;lt;" for "<").
_DOUBLE_ESCAPED = ("&amp;lt;", "&amp;gt;", "&amp;amp;", "&amp;quot;", "&amp;#")


def rerender_double_escaped(batch: int = 500) -> int:
    """Render again every stored post body that shows escaping twice; returns how many changed.
    Walks the posts in id order, a batch per transaction, so it can run on a live site."""
    changed, after = 0, 0
    suspect = func.coalesce(Post.body_html, "")
    while True:
        rows = db.session.scalars(
            select(Post).where(Post.id > after, or_(*(suspect.contains(mark) for mark in _DOUBLE_ESCAPED)))
            .order_by(Post.id).limit(batch)
        ).all()
        if not rows:
            return changed
        for post in rows:
            html = render_body(post.body_markdown, attachments.of_post(post))
            if html != post.body_html:
                post.body_html, changed = html, changed + 1
        after = rows[-1].id
        db.session.commit()


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].rstrip("-")
    return slug or "thread"


# --- counters ---------------------------------------------------------------------------------


def refresh_thread_counters(thread: Thread) -> None:
    """Recount from the posts, so deletes and restores can never drift the numbers."""
    live = select(Post).where(Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.is_pending.is_(False)).subquery()
    reply_count, last_post_id = db.session.execute(
        select(func.count().filter(live.c.position > 1), func.max(live.c.id))
    ).one()
    thread.reply_count = reply_count
    if last_post_id is not None:
        thread.last_post_id = last_post_id
        thread.last_activity_at = db.session.get(Post, last_post_id).created_at
    live_first_reply_at = db.session.scalar(
        select(func.min(live.c.created_at)).where(live.c.position > 1, live.c.author_id != thread.author_id)
    )
    # A response-time fact: deleting the first reply must not erase when the asker got it.
    thread.first_reply_at = thread.first_reply_at or live_first_reply_at
    if thread.state in (ThreadState.open, ThreadState.answered):
        thread.state = ThreadState.answered if live_first_reply_at else ThreadState.open


def refresh_category_counters(category: Category) -> None:
    """Counts only public threads (not private, pending or deleted), so they never reveal hidden ones."""
    public = (
        Thread.category_id == category.id, Thread.deleted_at.is_(None), Thread.is_private.is_(False),
        Thread.is_pending.is_(False),
    )
    category.thread_count = db.session.scalar(select(func.count()).select_from(Thread).where(*public))
    category.post_count = db.session.scalar(
        select(func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
        .where(*public, Post.deleted_at.is_(None), Post.is_pending.is_(False))
    )


def refresh_counters(thread: Thread) -> None:
    """Full recount after a delete or restore (rare); new posts use count_new_post instead."""
    db.session.flush()
    refresh_thread_counters(thread)
    refresh_category_counters(thread.category)


def count_new_post(thread: Thread, post: Post) -> None:
    """Counters for a new post as SQL increments: concurrent posts can't overwrite each other's
    counts, and a big thread or category is never rescanned on the hot path."""
    db.session.flush()
    if post.is_pending:
        return  # held for review: counted by refresh_counters when staff approve it
    thread.last_post_id, thread.last_activity_at = post.id, post.created_at
    if post.position > 1:
        thread.reply_count = Thread.reply_count + 1
        if post.author_id != thread.author_id and thread.first_reply_at is None:
            thread.first_reply_at = post.created_at
            if thread.state == ThreadState.open:
                thread.state = ThreadState.answered
        if post.author_id != thread.author_id and post.author.is_staff and thread.first_staff_reply_at is None:
            thread.first_staff_reply_at = post.created_at
    if not thread.is_private:
        category = thread.category
        category.post_count = Category.post_count + 1
        if post.position == 1:
            category.thread_count = Category.thread_count + 1
    db.session.flush()


# --- starting a thread ------------------------------------------------------------------------


def require_can_start_thread(user: Optional[User], category: Category) -> None:
    if not policies.can_post(user):
        raise PermissionDenied(posting_refusal(user))
    if not policies.can_start_thread(user, category):
        raise PermissionDenied("You can't start threads in this category.")


def create_thread(
    user: Optional[User], category_id: int | None, title: str | None, body: str | None, *, is_private: bool = False,
    tags: str | None = None,
) -> Thread:
    """`tags`: the composer's comma-separated tag names (community/tags/service.py has the rules)."""
    if not policies.can_post(user):
        raise PermissionDenied(posting_refusal(user))
    category = db.session.get(Category, category_id) if category_id else None
    title, title_problem = clean_title(title)
    body, body_problem = clean_body(body)
    chosen_tags, tags_problem = tag_service.resolve(tags)
    require_valid({
        "category": None if category else "Choose a category.", "title": title_problem, "body": body_problem,
        "tags": tags_problem,
    })
    require_can_start_thread(user, category)
    files = attachments.for_body(user, body)
    now = utcnow()
    thread = Thread(
        category=category, author=user, title=title, slug=slugify(title), is_private=is_private,
        created_at=now, last_activity_at=now, tags=tag_service.stored(chosen_tags),
    )
    opening = Post(thread=thread, author=user, position=1, body_markdown=body, body_html=render_body(body, files), created_at=now)
    db.session.add_all([thread, opening])
    attachments.claim(files, opening)
    thread.is_pending = screen_new_post(user, opening)
    count_new_post(thread, opening)
    # Following in the same transaction, not in the notification job: the page the author lands on
    # right after posting already says "Unfollow".
    notifications.follow_thread(user.id, thread.id)
    drafts.forget_new_thread_draft(user.id, category.id)  # posted: the composer's draft is done
    db.session.commit()
    if not thread.is_pending:  # held posts are announced when staff approve them
        notifications.publish("post_created", thread_id=thread.id, post_id=opening.id, actor_id=user.id)
    return thread
