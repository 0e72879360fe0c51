"""Categories, threads, posts, revisions and tags."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, SoftDeleteMixin, TimestampMixin, utcnow


class Visibility(str, enum.Enum):
    public = "public"        # anyone reads
    members = "members"      # signed-in users
    customers = "customers"  # verified customers and staff
    staff = "staff"          # staff only


class ThreadState(str, enum.Enum):
    open = "open"
    answered = "answered"
    solved = "solved"
    closed = "closed"


def _enum(kind: type[enum.Enum], length: int = 20) -> Enum:
    return Enum(kind, native_enum=False, length=length, validate_strings=True)


class Category(TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility), default=Visibility.public)
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)


class CategorySlug(Base):
    """A slug a category used to have, so old links redirect."""

    __tablename__ = "category_slugs"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))


thread_tags = Table(
    "thread_tags",
    Base.metadata,
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    # On the staff-defined list (admin → Tags); free tags members made, when allowed, are not.
    is_official: Mapped[bool] = mapped_column(default=False, server_default=false())


class Thread(TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "threads"
    __table_args__ = (
        # Match the listings' ORDER BY exactly, so a page is an index range scan, not a sort of
        # every thread in the category (measured: 22 req/s at 100k threads without it).
        Index("ix_threads_category_listing", "category_id", "is_pinned", "last_activity_at", "id"),
        Index("ix_threads_activity", "last_activity_at", "id"),
        # The same order for what every reader sees: a deep page (OFFSET 15,000) walks only this
        # index instead of reading each skipped thread's row to test the filters.
        Index(
            "ix_threads_public_listing", "category_id", "is_pinned", "last_activity_at", "id",
            postgresql_where=text("deleted_at IS NULL AND NOT is_private AND NOT is_pending"),
            sqlite_where=text("deleted_at IS NULL AND is_private = 0 AND is_pending = 0"),
        ),
        # A category's solved threads, newest solved first (the solved Atom feed) without sorting them all.
        Index("ix_threads_category_solved", "category_id", "solved_at", "id"),
        # Each author's private or held threads by latest activity: one index entry answers the
        # signed-in pages' "does the shared listing miss one of mine" (web/reader.py).
        Index(
            "ix_threads_author_hidden", "author_id", "last_activity_at",
            postgresql_where=text("deleted_at IS NULL AND (is_private OR is_pending)"),
            sqlite_where=text("deleted_at IS NULL AND (is_private = 1 OR is_pending = 1)"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(120))
    state: Mapped[ThreadState] = mapped_column(_enum(ThreadState), default=ThreadState.open)
    is_private: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_pinned: Mapped[bool] = mapped_column(default=False)
    # Replies, not counting the opening post.
    reply_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_id: Mapped[int | None] = mapped_column(default=None)
    first_reply_at: Mapped[datetime | None] = mapped_column(default=None)
    # Response-time facts, each set once in the transaction that caused it; deletes never clear them.
    first_staff_reply_at: Mapped[datetime | None] = mapped_column(default=None)
    first_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    solved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    # The opening post waits in the moderation queue: only the author and staff see the thread.
    is_pending: Mapped[bool] = mapped_column(default=False)
    # Set when staff merged this thread into another; its URL redirects there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), default=None)

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, lazy="selectin", order_by=Tag.name)


class Post(TimestampMixin, SoftDeleteMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("thread_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # 1 is the opening post; replies follow in order.
    position: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    reply_to_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    edit_count: Mapped[int] = mapped_column(default=0)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # Held for review (pre-moderation, watched words, spam checks): public only once approved.
    is_pending: Mapped[bool] = mapped_column(default=False)
    pending_reason: Mapped[str] = mapped_column(String(200), default="")
    # A note the system left (e.g. "moved to a private conversation"), not something a person wrote.
    is_system: Mapped[bool] = mapped_column(default=False)

    thread: Mapped[Thread] = relationship(lazy="joined", innerjoin=True)
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined", innerjoin=True)

    @property
    def is_opening(self) -> bool:
        return self.position == 1


class PostRevision(Base):
    """The content of a post before an edit. Revision n holds the text replaced by edit n."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the post (and, for an opening post, the thread title) said before this edit.
    old_title: Mapped[str | None] = mapped_column(String(300), default=None)
    old_body: Mapped[str] = mapped_column(Text)
    new_title: Mapped[str | None] = mapped_column(String(300), default=None)
    new_body: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(300), default="")

    editor: Mapped[User] = relationship(lazy="joined")
