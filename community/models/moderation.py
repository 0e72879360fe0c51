"""The append-only audit log, flags on posts, and the watched-words list."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, utcnow


class AuditEntry(Base):
    """One row per staff action. Rows are only ever inserted: nothing updates or deletes them."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_target", "target_type", "target_id"),
        Index("ix_audit_entries_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None]
    before: Mapped[Any] = mapped_column(JSON, default=None)
    after: Mapped[Any] = mapped_column(JSON, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class FlagReason(str, enum.Enum):
    spam = "spam"
    abuse = "abuse"
    off_topic = "off-topic"
    needs_staff = "needs-staff"
    other = "other"


FLAG_REASON_LABELS = {
    FlagReason.spam: "Spam",
    FlagReason.abuse: "Abusive or harmful",
    FlagReason.off_topic: "Off-topic",
    FlagReason.needs_staff: "Needs staff attention",
    FlagReason.other: "Something else",
}


class Flag(Base):
    """A reader's report about a post. One per reader per post; staff resolve them in the queue."""

    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(Enum(FlagReason, native_enum=False, length=20, validate_strings=True))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Open until staff act: dismissed, hidden or deleted.
    resolved_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolution: Mapped[str] = mapped_column(String(20), default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class WatchedWord(Base):
    """A word that sends any post containing it (whole word, any case) to the moderation queue."""

    __tablename__ = "watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so "Spam" and "spam" are one entry.
    word: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
