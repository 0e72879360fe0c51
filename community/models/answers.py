"""Accepted and staff-verified answers, "I have this problem too", helpful votes, reminders sent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, utcnow


class AcceptedAnswer(Base):
    """The asker's pick. thread_id is unique: a thread has at most one accepted answer."""

    __tablename__ = "accepted_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    accepted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerifiedAnswer(Base):
    """Staff's stamp. thread_id is unique: a thread has at most one verified answer."""

    __tablename__ = "verified_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    verified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime] = mapped_column(default=utcnow)

    verified_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class SameProblem(Base):
    """One "I have this problem too" per user per thread."""

    __tablename__ = "same_problems"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpfulVote(Base):
    """One "helpful" per user per reply."""

    __tablename__ = "helpful_votes"
    __table_args__ = (UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AcceptReminder(Base):
    """The accept-an-answer reminder sent for a thread; the primary key makes a second one impossible."""

    __tablename__ = "accept_reminders"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
