"""The X bridge: posts found on a social network, the triage cases they form, poll cursors and logs,
opt-outs and canned responses.

`network` is on every row ("x" today) so a second network needs no schema change. Ids from the
network are strings: X ids exceed 2**53.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

NETWORK_ID = String(32)
POST_ID = String(32)


class CaseStatus(str, enum.Enum):
    new = "new"
    triaged = "triaged"
    invited = "invited"
    replied = "replied"
    ignored = "ignored"
    spam = "spam"
    opted_out = "opted_out"
    linked = "linked"
    solved = "solved"


class LabelSource(str, enum.Enum):
    classifier = "classifier"
    staff = "staff"


class BridgeCase(Base):
    """One triage case per (conversation, author): a customer's posts in one conversation."""

    __tablename__ = "bridge_cases"
    __table_args__ = (UniqueConstraint("network", "conversation_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    conversation_id: Mapped[str] = mapped_column(POST_ID)
    author_id: Mapped[str] = mapped_column(NETWORK_ID)
    author_username: Mapped[str] = mapped_column(String(64), default="")
    author_name: Mapped[str] = mapped_column(String(120), default="")
    author_followers: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[CaseStatus] = mapped_column(
        Enum(CaseStatus, native_enum=False, length=20, validate_strings=True), default=CaseStatus.new, index=True
    )
    # Invites go only to cases where the author summoned the brand (mention or quote).
    summoned: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str] = mapped_column(String(20), default="other", index=True)
    label_score: Mapped[float] = mapped_column(default=0.0)
    complaint_score: Mapped[float] = mapped_column(default=0.0)
    classifier_version: Mapped[str] = mapped_column(String(80), default="")
    label_source: Mapped[LabelSource] = mapped_column(
        Enum(LabelSource, native_enum=False, length=20, validate_strings=True), default=LabelSource.classifier
    )
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    canned_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("bridge_canned_responses.id", ondelete="SET NULL"), default=None
    )
    linked_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"), default=None)
    # Optimistic locking: every staff action is a compare-and-set on this number.
    version: Mapped[int] = mapped_column(default=1)
    # The funnel, in order. Later stages (invite, landing, join, ...) are filled by the outbox.
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    triaged_at: Mapped[datetime | None] = mapped_column(default=None)
    invited_at: Mapped[datetime | None] = mapped_column(default=None)
    landed_at: Mapped[datetime | None] = mapped_column(default=None)
    joined_at: Mapped[datetime | None] = mapped_column(default=None)
    thread_posted_at: Mapped[datetime | None] = mapped_column(default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    followed_up_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_seconds: Mapped[int | None] = mapped_column(default=None)

    posts: Mapped[list["BridgePost"]] = relationship(
        back_populates="case", order_by="BridgePost.posted_at", lazy="selectin"
    )
    assigned_to = relationship("User", foreign_keys=[assigned_to_id], lazy="joined")
    canned_response = relationship("BridgeCannedResponse", lazy="joined")


class BridgePost(Base):
    """A post found on the network, stored once. Text and raw JSON are purged when it is deleted there."""

    __tablename__ = "bridge_posts"
    __table_args__ = (
        UniqueConstraint("network", "post_id"),
        Index("ix_bridge_posts_deleted_pending", "deleted_at", "purged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    post_id: Mapped[str] = mapped_column(POST_ID)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("bridge_cases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # mentions, search, import, demo
    author_id: Mapped[str] = mapped_column(NETWORK_ID)
    author_username: Mapped[str] = mapped_column(String(64), default="")
    author_name: Mapped[str] = mapped_column(String(120), default="")
    author_followers: Mapped[int | None] = mapped_column(default=None)
    conversation_id: Mapped[str | None] = mapped_column(POST_ID, default=None)
    in_reply_to_post_id: Mapped[str | None] = mapped_column(POST_ID, default=None)
    in_reply_to_user_id: Mapped[str | None] = mapped_column(NETWORK_ID, default=None)
    quoted_post_id: Mapped[str | None] = mapped_column(POST_ID, default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    raw: Mapped[Any] = mapped_column(JSON, default=None)
    lang: Mapped[str | None] = mapped_column(String(16), default=None)
    summoned: Mapped[bool] = mapped_column(default=False)
    label: Mapped[str] = mapped_column(String(20), default="other")
    label_score: Mapped[float] = mapped_column(default=0.0)
    complaint_score: Mapped[float] = mapped_column(default=0.0)
    classifier_version: Mapped[str] = mapped_column(String(80), default="")
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Deleted on the network: we learnt of it at deleted_at and must purge within 24 hours.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)

    case: Mapped[BridgeCase | None] = relationship(back_populates="posts")


class BridgeCursor(Base):
    """Newest post id fully ingested per source; the next poll asks only for newer posts."""

    __tablename__ = "bridge_cursors"
    __table_args__ = (UniqueConstraint("network", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    source: Mapped[str] = mapped_column(String(16))
    since_id: Mapped[str | None] = mapped_column(POST_ID, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BridgePollLog(Base):
    """One poll of one source: counts, the last error, and the rate-limit headroom it saw."""

    __tablename__ = "bridge_poll_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    source: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    requests: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    dropped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    # Answers we could not fully use: not JSON, HTML pages, missing fields, numeric ids, errors arrays.
    bad_input: Mapped[int] = mapped_column(default=0)
    error_message: Mapped[str] = mapped_column(Text, default="")
    rate_limit: Mapped[int | None] = mapped_column(default=None)
    rate_remaining: Mapped[int | None] = mapped_column(default=None)
    rate_reset_at: Mapped[datetime | None] = mapped_column(default=None)
    cursor_before: Mapped[str | None] = mapped_column(POST_ID, default=None)
    cursor_after: Mapped[str | None] = mapped_column(POST_ID, default=None)


class BridgeOptOut(Base):
    """An author who asked not to hear from the brand here; their posts are dropped on ingest."""

    __tablename__ = "bridge_opt_outs"
    __table_args__ = (UniqueConstraint("network", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    author_id: Mapped[str] = mapped_column(NETWORK_ID)
    author_username: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(String(32), default="staff")  # staff, stop_reply
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BridgeCannedResponse(Base):
    """A reply template staff pick when triaging (the outbox sends them later)."""

    __tablename__ = "bridge_canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
