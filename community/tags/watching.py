"""Watching a category or a tag, with Discourse's levels, and what each level does.

- watching: notified of every new post in it; tracking: unread counts on the listings;
  watching first post: notified of new threads only; muted: its threads left out of /latest and
  the home page (and none of the above reaches you from it); normal: none of these (no row, or a
  row set back to normal so the reader's fingerprint moves: page_cache/signed_in.py).
- The notifications themselves are the post_created event's (services/notifications.py, a job
  run after commit with ids): post_watch_reasons adds these readers' reasons to the same event,
  so a post reaches a person once however many follows and watches point at it, never its author,
  and never someone who may not read it (store_notifications checks the policies per recipient).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, false, func, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Category, CategoryWatch, Post, Tag, TagWatch, Thread, ThreadRead, User, WatchLevel, thread_tags
from ..services.forum import category_for_viewer
from .service import tag_for_viewer

# The menu's order, with what each level means to the reader.
LEVELS: dict[WatchLevel, tuple[str, str]] = {
    WatchLevel.watching: ("Watching", "You are notified of every new post."),
    WatchLevel.tracking: ("Tracking", "Listings show how many posts you have not read."),
    WatchLevel.watching_first_post: ("Watching first post", "You are notified of new threads only."),
    WatchLevel.normal: ("Normal", "You hear about threads you follow, replies to you and mentions."),
    WatchLevel.muted: ("Muted", "Its threads are left out of Latest and the home page."),
}
NOTIFY_EVERY_POST = frozenset({WatchLevel.watching})
NOTIFY_NEW_THREADS = frozenset({WatchLevel.watching, WatchLevel.watching_first_post})
COUNT_UNREAD = frozenset({WatchLevel.watching, WatchLevel.tracking})


def parse_level(raw: str | None) -> WatchLevel:
    try:
        return WatchLevel(raw or "")
    except ValueError:
        problem = "Choose one of the offered levels."
        raise ValidationFailed(problem, fields={"level": problem}) from None


# --- a reader's levels ------------------------------------------------------------------------


def category_level(user: Optional[User], category: Category) -> WatchLevel:
    if user is None:
        return WatchLevel.normal
    return _level(CategoryWatch, CategoryWatch.category_id, category.id, user.id)


def tag_level(user: Optional[User], tag: Tag) -> WatchLevel:
    if user is None:
        return WatchLevel.normal
    return _level(TagWatch, TagWatch.tag_id, tag.id, user.id)


def _level(model, column, target_id: int, user_id: int) -> WatchLevel:
    level = db.session.scalar(select(model.level).where(column == target_id, model.user_id == user_id))
    return level or WatchLevel.normal


def set_category_level(user: Optional[User], slug: str, raw_level: str | None) -> tuple[Category, WatchLevel]:
    """The watch button on a category page. Unreadable for a category the reader may not open."""
    category, _ = category_for_viewer(user, slug)
    policies.ensure(policies.can_watch_category, user, category, message="You can't watch this category.")
    level = parse_level(raw_level)
    _store(CategoryWatch, "category_id", category.id, user.id, level)
    return category, level


def set_tag_level(user: Optional[User], name: str, raw_level: str | None) -> tuple[Tag, WatchLevel]:
    """The watch button on a tag page. UnknownTag for a tag the reader may not know."""
    tag = tag_for_viewer(user, name)
    policies.ensure(policies.can_watch_tag, user, message="Sign in to watch tags.")
    level = parse_level(raw_level)
    _store(TagWatch, "tag_id", tag.id, user.id, level)
    return tag, level


def _store(model, target: str, target_id: int, user_id: int, level: WatchLevel) -> None:
    """One row per (user, category) or (user, tag), by the unique constraint; a race updates the winner's."""
    for _attempt in range(2):
        row = db.session.scalar(select(model).where(getattr(model, target) == target_id, model.user_id == user_id))
        if row is not None:
            row.level = level
            db.session.commit()
            return
        try:
            with db.session.begin_nested():
                db.session.add(model(user_id=user_id, level=level, **{target: target_id}))
            db.session.commit()
            return
        except IntegrityError:
            continue
    raise PermissionDenied("Your choice could not be saved; try again.")


@dataclass(frozen=True)
class Watched:
    kind: str  # "category" or "tag"
    name: str
    key: str  # the category's slug or the tag's name
    level: WatchLevel

    @property
    def label(self) -> str:
        return LEVELS[self.level][0]


def watch_list(user: User) -> list[Watched]:
    """What the account settings list: every level other than normal, categories the reader may
    still read first, then tags."""
    categories = db.session.execute(
        select(Category, CategoryWatch.level).join(CategoryWatch, CategoryWatch.category_id == Category.id)
        .where(CategoryWatch.user_id == user.id, CategoryWatch.level != WatchLevel.normal)
        .order_by(Category.position, Category.name)
    )
    tags = db.session.execute(
        select(Tag, TagWatch.level).join(TagWatch, TagWatch.tag_id == Tag.id)
        .where(TagWatch.user_id == user.id, TagWatch.level != WatchLevel.normal).order_by(Tag.name)
    )
    shown = [
        Watched("category", category.name, category.slug, level)
        for category, level in categories if policies.can_read_category(user, category)
    ]
    return shown + [Watched("tag", tag.name, tag.name, level) for tag, level in tags]


def version_column(user_id):
    """When the reader last changed a level (NULL: never), as a column to select with the user row
    (web/reader.py): the signed-in home page a mute changes is then made again."""
    changes = _changed_at(user_id)
    return select(func.max(changes.c.at)).scalar_subquery()


def _changed_at(user_id, levels=None):
    """The times the reader set their levels (only `levels`, when given), as one subquery."""
    parts = []
    for model in (CategoryWatch, TagWatch):
        part = select(model.updated_at.label("at")).where(model.user_id == user_id)
        parts.append(part.where(model.level.in_(levels)) if levels is not None else part)
    return union_all(*parts).subquery()


# --- who a new post reaches -------------------------------------------------------------------


def post_watch_reasons(thread: Thread, post: Post) -> dict[int, str]:
    """user id → "watched_thread" (an opening post in something they watch or watch the first
    post of) or "watched_post" (a reply in something they watch). The author is left out, and so is
    anyone who muted the category or one of the thread's tags. Who may read it is checked later,
    per recipient, with the other reasons (notifications.store_notifications)."""
    levels = _watch_levels(thread)
    muted = {user_id for user_id, level in levels if level == WatchLevel.muted}
    wanted = NOTIFY_NEW_THREADS if post.is_opening else NOTIFY_EVERY_POST
    reason = "watched_thread" if post.is_opening else "watched_post"
    return {
        user_id: reason for user_id, level in levels
        if level in wanted and user_id not in muted and user_id != post.author_id
    }


def _watch_levels(thread: Thread) -> list[tuple[int, WatchLevel]]:
    interesting = (WatchLevel.watching, WatchLevel.watching_first_post, WatchLevel.muted)
    by_category = select(CategoryWatch.user_id, CategoryWatch.level).where(
        CategoryWatch.category_id == thread.category_id, CategoryWatch.level.in_(interesting)
    )
    by_tag = select(TagWatch.user_id, TagWatch.level).join(thread_tags, thread_tags.c.tag_id == TagWatch.tag_id).where(
        thread_tags.c.thread_id == thread.id, TagWatch.level.in_(interesting)
    )
    return [(user_id, level) for user_id, level in db.session.execute(union_all(by_category, by_tag))]


# --- muted threads ----------------------------------------------------------------------------


def has_mutes(user: Optional[User]) -> bool:
    """Whether the home page and /latest must be made for this reader alone (threads left out)."""
    return _has_level(user, (WatchLevel.muted,))


def _has_level(user: Optional[User], levels) -> bool:
    if user is None:
        return False
    rows = union_all(
        select(CategoryWatch.id).where(CategoryWatch.user_id == user.id, CategoryWatch.level.in_(levels)),
        select(TagWatch.id).where(TagWatch.user_id == user.id, TagWatch.level.in_(levels)),
    ).subquery()
    return db.session.scalar(select(select(rows).limit(1).exists())) or False


def not_muted(user: Optional[User]):
    """A condition on Thread: not in a category, nor carrying a tag, the reader muted."""
    if user is None:
        return ~false()
    categories = select(CategoryWatch.category_id).where(
        CategoryWatch.user_id == user.id, CategoryWatch.level == WatchLevel.muted
    )
    tagged = select(thread_tags.c.thread_id).join(TagWatch, TagWatch.tag_id == thread_tags.c.tag_id).where(
        TagWatch.user_id == user.id, TagWatch.level == WatchLevel.muted
    )
    return and_(Thread.category_id.not_in(categories), Thread.id.not_in(tagged))


# --- tracking: unread counts ------------------------------------------------------------------


@dataclass(frozen=True)
class Unread:
    posts: int
    new: bool  # never opened: every post is unread


def _counted(user_id: int):
    """A condition on Thread: in a category or with a tag the reader tracks or watches."""
    categories = select(CategoryWatch.category_id).where(
        CategoryWatch.user_id == user_id, CategoryWatch.level.in_(COUNT_UNREAD)
    )
    tagged = select(thread_tags.c.thread_id).join(TagWatch, TagWatch.tag_id == thread_tags.c.tag_id).where(
        TagWatch.user_id == user_id, TagWatch.level.in_(COUNT_UNREAD)
    )
    return or_(Thread.category_id.in_(categories), Thread.id.in_(tagged))


def unread_counts(user: Optional[User], threads) -> dict[int, Unread]:
    """thread id → its unread posts, for the listed threads the reader tracks (or watches) and
    has not read to the end (never opened: only those active since the tracking began). Three
    queries, whatever the page's length; none for anonymous readers."""
    ids = [thread.id for thread in threads]
    if user is None or not ids:
        return {}
    counted = set(db.session.scalars(select(Thread.id).where(Thread.id.in_(ids), _counted(user.id))))
    if not counted:
        return {}
    seen = dict(db.session.execute(
        select(ThreadRead.thread_id, ThreadRead.seen_posts)
        .where(ThreadRead.user_id == user.id, ThreadRead.thread_id.in_(counted))
    ).all())
    since = _counting_since(user.id)
    unread = {}
    for thread in threads:
        if thread.id not in counted or (thread.id not in seen and thread.last_activity_at < since):
            continue  # a thread quiet since before the reader began tracking is not news
        mine = thread.author_id == user.id  # their own opening post is read
        left = thread.reply_count + 1 - seen.get(thread.id, 1 if mine else 0)
        if left > 0:
            unread[thread.id] = Unread(left, thread.id not in seen and not mine)
    return unread


def _counting_since(user_id: int):
    """When the reader first set one of their current tracking or watching levels."""
    changes = _changed_at(user_id, COUNT_UNREAD)
    return db.session.scalar(select(func.min(changes.c.at)))


def tracks_anything(user: Optional[User]) -> bool:
    """Whether listings must be made for this reader alone (their unread counts)."""
    return _has_level(user, COUNT_UNREAD)


def note_read(user: Optional[User], thread: Thread) -> None:
    """A reader opened the thread: in something they track, remember how many posts it had."""
    if user is None or not db.session.scalar(select(Thread.id).where(Thread.id == thread.id, _counted(user.id))):
        return
    seen = thread.reply_count + 1
    row = db.session.get(ThreadRead, (user.id, thread.id))
    if row is not None:
        if row.seen_posts != seen:
            row.seen_posts = seen
            db.session.commit()
        return
    try:
        with db.session.begin_nested():
            db.session.add(ThreadRead(user_id=user.id, thread_id=thread.id, seen_posts=seen))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same reader's other tab stored it first
