"""A member's public record: counts, recent activity and (for staff) moderation history.

Every query goes through the viewer's read rules: what a viewer cannot read is neither listed nor
counted, so a profile never tells that a private or gated thread exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import Select, and_, func, or_, select

from .. import policies
from ..content.excerpts import plain_excerpt
from ..extensions import db
from ..models import AcceptedAnswer, AuditEntry, Category, HelpfulVote, Post, Thread, User, VerifiedAnswer
from ..services.accounts import profile_user

CARD_ACTIVITY = 3
PROFILE_ITEMS = 10
HISTORY_ITEMS = 25
EXCERPT_CHARS = 160


@dataclass(frozen=True)
class Stats:
    threads: int
    replies: int
    accepted: int
    verified: int
    helpful: int


@dataclass(frozen=True)
class Activity:
    post: Post
    excerpt: str


def member(username: str) -> User | None:
    """The member a profile or card is about: not deleted (a deleted account has no page)."""
    return profile_user(username)


def _readable_posts(viewer: Optional[User], author: User) -> Select:
    """The author's posts in threads this viewer may read: readable category, thread and post."""
    query = (
        select(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Category, Category.id == Thread.category_id)
        .where(
            Post.author_id == author.id, Post.deleted_at.is_(None), Post.is_system.is_(False),
            Thread.deleted_at.is_(None), Category.deleted_at.is_(None),
            Category.visibility.in_(policies.readable_visibilities(viewer)),
        )
    )
    if policies.is_staff(viewer):
        return query
    open_thread = and_(Thread.is_private.is_(False), Thread.is_pending.is_(False))
    if viewer is not None and viewer.id == author.id:
        # Their own held or hidden posts, and private threads they asked (not others' private threads).
        return query.where(or_(open_thread, Thread.author_id == author.id))
    # Others see neither private threads nor anything held for review or hidden.
    return query.where(
        Thread.is_private.is_(False), Thread.is_pending.is_(False),
        Post.is_pending.is_(False), Post.is_hidden.is_(False),
    )


def stats(viewer: Optional[User], author: User) -> Stats:
    """Counts in one statement, over the posts this viewer may read."""
    posts = _readable_posts(viewer, author).subquery()
    accepted = select(func.count()).select_from(AcceptedAnswer).join(posts, posts.c.id == AcceptedAnswer.post_id)
    verified = select(func.count()).select_from(VerifiedAnswer).join(posts, posts.c.id == VerifiedAnswer.post_id)
    helpful = select(func.count()).select_from(HelpfulVote).join(posts, posts.c.id == HelpfulVote.post_id)
    row = db.session.execute(select(
        select(func.count()).select_from(posts).where(posts.c.position == 1).scalar_subquery(),
        select(func.count()).select_from(posts).where(posts.c.position > 1).scalar_subquery(),
        accepted.scalar_subquery(), verified.scalar_subquery(), helpful.scalar_subquery(),
    )).one()
    return Stats(*(int(value or 0) for value in row))


def recent_activity(viewer: Optional[User], author: User, limit: int = PROFILE_ITEMS) -> list[Activity]:
    """The author's latest posts the viewer may read, newest first, with a plain-text excerpt."""
    posts = db.session.scalars(_readable_posts(viewer, author).order_by(Post.created_at.desc(), Post.id.desc()).limit(limit))
    return [Activity(post, plain_excerpt(post.body_html, EXCERPT_CHARS)) for post in posts]


def answers(viewer: Optional[User], author: User, limit: int = PROFILE_ITEMS) -> list[Activity]:
    """The author's replies marked as accepted or staff-verified, newest first."""
    marked = or_(
        select(AcceptedAnswer.id).where(AcceptedAnswer.post_id == Post.id).exists(),
        select(VerifiedAnswer.id).where(VerifiedAnswer.post_id == Post.id).exists(),
    )
    query = _readable_posts(viewer, author).where(Post.position > 1, marked)
    posts = db.session.scalars(query.order_by(Post.created_at.desc(), Post.id.desc()).limit(limit))
    return [Activity(post, plain_excerpt(post.body_html, EXCERPT_CHARS)) for post in posts]


def moderation_history(viewer: Optional[User], member_: User, limit: int = HISTORY_ITEMS) -> list[AuditEntry]:
    """Staff only: audit rows about the member, their threads and their posts, newest first."""
    if not policies.can_view_moderation_history(viewer):
        return []
    about = or_(
        and_(AuditEntry.target_type == "user", AuditEntry.target_id == member_.id),
        and_(AuditEntry.target_type == "post",
             AuditEntry.target_id.in_(select(Post.id).where(Post.author_id == member_.id))),
        and_(AuditEntry.target_type == "thread",
             AuditEntry.target_id.in_(select(Thread.id).where(Thread.author_id == member_.id))),
    )
    query = select(AuditEntry).where(about).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def role_label(user: User) -> str:
    """What a card says someone is: staff roles by name, customers by whether they are verified."""
    if user.is_staff:
        return user.role.value.capitalize()
    if user.role.value == "marketer":
        return "Marketing"
    return "Verified customer" if user.is_verified_customer else "Member"


@dataclass(frozen=True)
class Poster:
    """What a listing row shows of its last poster (templates/macros/people.html's avatar)."""
    id: int
    username: str
    display_name: str
    avatar_path: str | None


def last_posters(threads) -> dict[int, User | Poster]:
    """thread id → who wrote its latest visible post, for listing rows: one statement per list, of
    four columns (a row's author is already loaded). A row whose latest post is held, hidden or
    deleted (or that has none) shows its author instead."""
    by_post = {thread.last_post_id: thread.id for thread in threads if thread.last_post_id}
    posters: dict[int, User | Poster] = {thread.id: thread.author for thread in threads}
    if by_post:
        rows = db.session.execute(
            select(Post.id, User.id, User.username, User.display_name, User.avatar_path)
            .join(User, User.id == Post.author_id).where(
                Post.id.in_(by_post), Post.deleted_at.is_(None), Post.is_hidden.is_(False), Post.is_pending.is_(False),
            )
        )
        for post_id, *person in rows:
            posters[by_post[post_id]] = Poster(*person)
    return posters
