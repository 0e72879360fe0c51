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
    # The same first response, measured from when we ingested the post (how fast the team acted).
    first_response_ingest_seconds: Mapped[int | None] = mapped_column(default=None)

    posts: Mapped[list["BridgePost"]] = relationship(
        back_populates="case", order_by="BridgePost.posted_at", lazy="selectin"
    )
    assigned_to = relationship("User", foreign_keys=[assigned_to_id], lazy="joined")
    canned_response = relationship("BridgeCannedResponse", lazy="joined")
    outbound: Mapped[list["BridgeOutbound"]] = relationship(
        back_populates="case", order_by="BridgeOutbound.id", lazy="selectin"
    )


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


class OutboundKind(str, enum.Enum):
    invite = "invite"
    reply = "reply"
    solved_followup = "solved_followup"


class OutboundState(str, enum.Enum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    unknown = "unknown"  # sent, but no usable answer came back: reconcile before anything else


class BridgeOutbound(Base):
    """One post the brand sends (invite, reply, solved follow-up): the exactly-once outbox.

    The unique keys make a second invite (or reply, or follow-up) for one case, one post or one
    conversation impossible whatever the race. The invite link's token must not stay in clear once
    the post is out, so `text` is redacted when sent and `link_hash` (sha256 of the link) remains
    for matching the post on X.
    """

    __tablename__ = "bridge_outbound"
    __table_args__ = (
        UniqueConstraint("case_id", "kind"),
        UniqueConstraint("in_reply_to_post_id", "kind"),
        UniqueConstraint("network", "conversation_id", "kind"),
        Index("ix_bridge_outbound_state_due", "state", "next_attempt_at"),
        Index("ix_bridge_outbound_author_kind", "network", "author_id", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    case_id: Mapped[int] = mapped_column(ForeignKey("bridge_cases.id", ondelete="CASCADE"))
    kind: Mapped[OutboundKind] = mapped_column(Enum(OutboundKind, native_enum=False, length=20, validate_strings=True))
    in_reply_to_post_id: Mapped[str] = mapped_column(POST_ID)
    conversation_id: Mapped[str] = mapped_column(POST_ID)
    author_id: Mapped[str] = mapped_column(NETWORK_ID)  # the customer replied to (the 7-day rule)
    text: Mapped[str] = mapped_column(Text)
    link_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[OutboundState] = mapped_column(
        Enum(OutboundState, native_enum=False, length=20, validate_strings=True), default=OutboundState.queued
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    remote_post_id: Mapped[str | None] = mapped_column(POST_ID, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

    case: Mapped[BridgeCase] = relationship(back_populates="outbound")


class BridgeInvite(Base):
    """The per-case link an invite reply carries (/join/<token>). Only a hash of the token is stored.

    One invite per case (a retried invite reuses it, so the outbox never sends two different links).
    A GET records landed_at (link-preview bots fetch it too); only a signed-in POST claims it, once.
    """

    __tablename__ = "bridge_invites"
    __table_args__ = (UniqueConstraint("case_id"), UniqueConstraint("token_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("bridge_cases.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    # Random per issue: the token is an HMAC of (case, nonce) under the secret key, so the same link
    # can be rebuilt for a retried reply, while the database alone can't produce a valid token.
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    landed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    case: Mapped[BridgeCase] = relationship(lazy="joined")


class BridgeAccountLink(Base):
    """A community member's account on the network. `verified` only when proved by Log in with X;
    an unverified link is never used for public follow-ups."""

    __tablename__ = "bridge_account_links"
    __table_args__ = (UniqueConstraint("network", "network_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(NETWORK_ID, default="x")
    network_user_id: Mapped[str] = mapped_column(NETWORK_ID)
    username: Mapped[str] = mapped_column(String(64), default="")
    verified: Mapped[bool] = mapped_column(default=False)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    public_followup_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BridgeJoinRejection(Base):
    """How many /join links were refused, per day and reason (tampered, expired, used, other_author...)."""

    __tablename__ = "bridge_join_rejections"
    __table_args__ = (UniqueConstraint("day", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    reason: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(default=0)
