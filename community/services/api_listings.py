"""Keyset-paginated listings for the JSON API: threads, a thread's posts, users.

A position is the sort key of the last row a client saw, so a page never repeats or skips rows
because others were inserted meanwhile (unlike OFFSET). Visibility comes from the same queries
and policies as the pages (forum.visible_threads, policies.*).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import and_, or_, select

from .. import policies
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import Category, Post, Tag, Thread, ThreadState, User, thread_tags
from .forum import (
    STATE_FILTERS, Unreadable, post_shown_to, require_category_access, thread_for_viewer, visible_threads,
)

THREAD_STATES = (*STATE_FILTERS, *(state.value for state in ThreadState if state.value not in STATE_FILTERS))


def _page(rows: list, limit: int, key) -> tuple[list, tuple | None]:
    """Rows of one page (the query fetched limit + 1) and the position after its last row."""
    items = rows[:limit]
    return items, (key(items[-1]) if len(rows) > limit and items else None)


def listing_category(user: Optional[User], category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise Unreadable()  # the same answer as for one the user may not read
    require_category_access(user, category)
    return category


def thread_feed(
    user: Optional[User], *, category_id: int | None = None, state: str | None = None, tag: str | None = None,
    updated_since: datetime | None = None, after: tuple | None = None, limit: int = 25,
) -> tuple[list[Thread], tuple | None]:
    """Threads the user may see, most recently active first; in one category pinned ones lead, as on
    its page (and as its listing index is ordered). `after` is (last_activity_at, id), or
    (is_pinned, last_activity_at, id) with a category."""
    query = visible_threads(user)
    if category_id is not None:
        query = query.where(Thread.category_id == listing_category(user, category_id).id)
    if state in STATE_FILTERS:
        query = query.where(STATE_FILTERS[state]())
    elif state is not None:
        query = query.where(Thread.state == ThreadState(state))
    if tag is not None:
        tagged = select(thread_tags.c.thread_id).join(Tag, Tag.id == thread_tags.c.tag_id).where(Tag.name == tag.lower())
        query = query.where(Thread.id.in_(tagged))
    if updated_since is not None:
        query = query.where(Thread.last_activity_at >= updated_since)
    order = [Thread.last_activity_at.desc(), Thread.id.desc()]
    if category_id is not None:
        order.insert(0, Thread.is_pinned.desc())
    if after is not None:
        query = query.where(_after(after, pinned_first=category_id is not None))
    rows = list(db.session.scalars(query.order_by(*order).limit(limit + 1)))
    if category_id is not None:
        return _page(rows, limit, lambda thread: (int(thread.is_pinned), thread.last_activity_at, thread.id))
    return _page(rows, limit, lambda thread: (thread.last_activity_at, thread.id))


def _after(position: tuple, *, pinned_first: bool):
    """Rows past `position` in descending (is_pinned,) last_activity_at, id order."""
    *pinned, at, thread_id = position
    later = or_(Thread.last_activity_at < at, and_(Thread.last_activity_at == at, Thread.id < thread_id))
    if not pinned_first:
        return later
    if pinned[0]:  # still among the pinned: later pinned ones, then every unpinned one
        return or_(Thread.is_pinned.is_(False), and_(Thread.is_pinned.is_(True), later))
    return and_(Thread.is_pinned.is_(False), later)


def thread_posts(
    user: Optional[User], thread_id: int, *, after: tuple[int] | None = None, limit: int = 25,
) -> tuple[Thread, list[Post], tuple | None]:
    """The thread and a page of its posts in order (deleted and hidden ones stay as placeholders)."""
    thread = thread_for_viewer(user, thread_id)
    query = select(Post).where(Post.thread_id == thread.id, post_shown_to(user))
    if after is not None:
        query = query.where(Post.position > after[0])
    rows = list(db.session.scalars(query.order_by(Post.position).limit(limit + 1)))
    posts, position = _page(rows, limit, lambda post: (post.position,))
    return thread, posts, position


def users(
    actor: Optional[User], *, after: tuple[datetime, int] | None = None, limit: int = 25,
) -> tuple[list[User], tuple | None]:
    """Staff only: every live account, oldest first (new sign-ups land on the last page)."""
    if not policies.can_view_users(actor):
        raise PermissionDenied("Only staff can list users.")
    query = select(User).where(User.deleted_at.is_(None))
    if after is not None:
        at, user_id = after
        query = query.where(or_(User.created_at > at, and_(User.created_at == at, User.id > user_id)))
    rows = list(db.session.scalars(query.order_by(User.created_at, User.id).limit(limit + 1)))
    return _page(rows, limit, lambda user: (user.created_at, user.id))


def user_for_viewer(viewer: Optional[User], user_id: int) -> User:
    """Anyone may see a live account's public profile; staff see more (the serializer decides)."""
    user = db.session.get(User, user_id)
    if user is None or (user.deleted_at is not None and not policies.can_view_users(viewer)):
        raise NotFound("There is no such user.")
    return user

