"""Watching categories and tags (Discourse's levels), and how far a member has read a thread."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class WatchLevel(str, enum.Enum):
    normal = "normal"                            # the default; a row may say so after a change back
    watching = "watching"                        # notified of every new post
    tracking = "tracking"                        # unread counts on the listings
    watching_first_post = "watching_first_post"  # notified of new threads only
    muted = "muted"                              # threads left out of /latest and the home page


def _level() -> Enum:
    return Enum(WatchLevel, native_enum=False, length=20, validate_strings=True)


class _Watch:
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    level: Mapped[WatchLevel] = mapped_column(_level(), default=WatchLevel.normal)
    # Moves with every change (a change back to normal included): the reader's fingerprint reads it.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CategoryWatch(_Watch, Base):
    __tablename__ = "category_watches"
    __table_args__ = (UniqueConstraint("user_id", "category_id"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)


class TagWatch(_Watch, Base):
    __tablename__ = "tag_watches"
    __table_args__ = (UniqueConstraint("user_id", "tag_id"),)

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)


class ThreadRead(Base):
    """How many posts of a thread a member had seen when they last opened it (tracking's unread counts)."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True)
    seen_posts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
