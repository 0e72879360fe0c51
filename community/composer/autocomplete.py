"""What the composer suggests after `@` (people) and `#` (tags and categories).

Only what the member could find anyway: people are active accounts who may read the thread or
category being written in (policies.can_be_mentioned), tags are the official ones and those on a
thread the member may read, categories the ones they may read (a gated category never shows to
someone outside it). Returns plain values; the view adds URLs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import case, func, or_, select

from .. import policies
from ..errors import PermissionDenied
from ..extensions import db
from ..models import Category, Post, Tag, Thread, User, thread_tags
from ..services.forum import Unreadable, readable_categories, thread_for_viewer, visible_threads

LIMIT = 8
_SCAN = 40  # candidates read before the permission filter keeps LIMIT of them
QUERY_MAX = 40


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    avatar_path: str | None


@dataclass(frozen=True)
class Hashtag:
    kind: str  # "tag" or "category"
    name: str
    slug: str  # the tag's name, the category's slug


def _term(raw: object, sigil: str) -> str:
    text = raw if isinstance(raw, str) else ""
    return text.strip().lstrip(sigil).strip().lower()[:QUERY_MAX]


def _signed_in(viewer: Optional[User]) -> User:
    if viewer is None or not viewer.is_active:
        raise PermissionDenied("Sign in to get suggestions.")
    return viewer


def _context(viewer: User, thread_id: int | None, category_id: int | None) -> tuple[Thread | None, Category | None]:
    """The thread or category being written in, as the viewer may read it (Unreadable otherwise)."""
    thread = thread_for_viewer(viewer, thread_id) if thread_id is not None else None
    category = None
    if category_id is not None and thread is None:
        category = db.session.get(Category, category_id)
        if category is None or not policies.can_read_category(viewer, category):
            raise Unreadable()
    return thread, category


def people(viewer: Optional[User], raw_query: object, *, thread_id: int | None = None,
           category_id: int | None = None) -> list[Person]:
    """People to @mention, matching the start of the username or of a word of the display name.
    With no query yet, a thread's recent posters (whom one most often answers)."""
    viewer = _signed_in(viewer)
    thread, category = _context(viewer, thread_id, category_id)
    term = _term(raw_query, "@")
    query = select(User).where(User.deleted_at.is_(None), User.is_banned.is_(False), User.id != viewer.id)
    if term:
        username, display = func.lower(User.username), func.lower(User.display_name)
        query = query.where(or_(
            username.startswith(term, autoescape=True), display.startswith(term, autoescape=True),
            display.contains(" " + term, autoescape=True),
        )).order_by(case((username == term, 0), (username.startswith(term, autoescape=True), 1), else_=2), User.username)
    elif thread is not None:
        recent = (select(Post.author_id, func.max(Post.id).label("latest")).where(Post.thread_id == thread.id)
                  .group_by(Post.author_id).subquery())
        query = query.join(recent, recent.c.author_id == User.id).order_by(recent.c.latest.desc())
    else:
        return []
    found = []
    for user in db.session.scalars(query.limit(_SCAN)):
        if policies.can_be_mentioned(user, thread, category):
            found.append(Person(user.id, user.username, user.display_name, user.avatar_path))
            if len(found) == LIMIT:
                break
    return found


def hashtags(viewer: Optional[User], raw_query: object) -> list[Hashtag]:
    """Categories the viewer may read, then tags they may know, whose name starts with the query."""
    viewer = _signed_in(viewer)
    term = _term(raw_query, "#")
    categories = [
        Hashtag("category", category.name, category.slug) for category in readable_categories(viewer)
        if category.name.lower().startswith(term) or category.slug.startswith(term)
        or any(word.startswith(term) for word in category.name.lower().split())
    ][: LIMIT // 2]
    on_readable = select(thread_tags.c.tag_id).where(
        thread_tags.c.thread_id.in_(visible_threads(viewer).with_only_columns(Thread.id)))
    tags = db.session.scalars(
        select(Tag).where(func.lower(Tag.name).startswith(term, autoescape=True), or_(Tag.is_official.is_(True), Tag.id.in_(on_readable)))
        .order_by(case((Tag.name == term, 0), else_=1), Tag.name).limit(LIMIT - len(categories))
    )
    return categories + [Hashtag("tag", tag.name, tag.name) for tag in tags]
