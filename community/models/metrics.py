"""Service metrics: per-thread fact rollups, community-post sentiment labels, SLA targets and
breaches, and CSAT surveys.

ThreadFacts and PostSentiment are rollups: the metrics job derives them from stored rows (threads,
posts, answers, bridge cases) so the dashboard reads a few thousand small rows instead of a million
posts. The job may rebuild any of them at any time.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class ThreadFacts(Base):
    """What the dashboard needs to know about one thread, durations in seconds."""

    __tablename__ = "metrics_thread_facts"
    __table_args__ = (Index("ix_metrics_thread_facts_created", "created_at", "category_id"),)

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True,
                                           autoincrement=False)
    category_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16), default="community")  # community | x
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))
    # The staff member answerable for the thread: assignee, else whoever replied first for staff.
    owner_id: Mapped[int | None] = mapped_column(default=None, index=True)
    first_staff_responder_id: Mapped[int | None] = mapped_column(default=None)
    first_reply_s: Mapped[int | None] = mapped_column(default=None)
    first_reply_bh_s: Mapped[int | None] = mapped_column(default=None)
    first_staff_s: Mapped[int | None] = mapped_column(default=None)
    first_staff_bh_s: Mapped[int | None] = mapped_column(default=None)
    solved_s: Mapped[int | None] = mapped_column(default=None)
    verified_s: Mapped[int | None] = mapped_column(default=None)
    verified_by_id: Mapped[int | None] = mapped_column(default=None)
    staff_replies: Mapped[int] = mapped_column(default=0)
    # Stamp of the thread row this was computed from; a changed stamp means recompute.
    source_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostSentiment(Base):
    """The bridge classifier's label for one community post (the rollup job fills it)."""

    __tablename__ = "metrics_post_sentiment"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    day: Mapped[date] = mapped_column(index=True)
    label: Mapped[str] = mapped_column(String(20))
    complaint_score: Mapped[float] = mapped_column(default=0.0)
    classifier_version: Mapped[str] = mapped_column(String(80), default="")


class SlaTarget(Base):
    """Targets for one category, in minutes of wall-clock time; None means no target."""

    __tablename__ = "sla_targets"

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    first_response_minutes: Mapped[int | None] = mapped_column(default=None)
    resolution_minutes: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaBreach(Base):
    """A missed target. Unique per thread and kind: a thread breaches each target at most once."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("thread_id", "kind"), Index("ix_sla_breaches_breached", "breached_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    category_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))  # first_response | resolution
    due_at: Mapped[datetime]
    breached_at: Mapped[datetime]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Claimed before the alert email goes out, so a job that runs twice sends one email.
    alerted_at: Mapped[datetime | None] = mapped_column(default=None)


class CsatSurvey(Base):
    """The one-question satisfaction prompt sent when a thread is solved, and its single answer."""

    __tablename__ = "csat_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[int | None] = mapped_column(default=None)  # 1 (very unhappy) .. 5 (very happy)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(default=None)

    thread = relationship("Thread", lazy="joined", innerjoin=True)
