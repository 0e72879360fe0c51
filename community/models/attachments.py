"""Files members attach to posts: an upload belongs to its uploader until a post claims it; readers
flag a file, staff remove it (the row stays, for the audit log and the flags; the bytes go)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, utcnow
from .forum import Post
from .moderation import FlagReason


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        # The daily quota sums one uploader's recent files; the orphan sweep reads unattached old ones.
        Index("ix_attachments_uploader_id_created_at", "uploader_id", "created_at"),
        Index("ix_attachments_post_id_created_at", "post_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # None until a post that references it is saved; readable exactly when that post is.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attached_at: Mapped[datetime | None] = mapped_column(default=None)
    # The name shown and sent in Content-Disposition: cleaned (no folders, no control characters).
    name: Mapped[str] = mapped_column(String(160))
    is_image: Mapped[bool] = mapped_column(default=False)
    # What the bytes are (read from them, never from the browser), and what is served.
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # stored size (after re-encoding)
    original_size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(default=None)
    height: Mapped[int | None] = mapped_column(default=None)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored bytes
    storage_key: Mapped[str] = mapped_column(String(160), unique=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    thumbnail_width: Mapped[int | None] = mapped_column(default=None)
    thumbnail_height: Mapped[int | None] = mapped_column(default=None)
    # Removed by staff: never served or shown again, its stored files deleted.
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    post: Mapped[Post | None] = relationship(lazy="select")


class AttachmentFlag(Base):
    """A reader's report about one file. One per reader per file; staff resolve them in the queue."""

    __tablename__ = "attachment_flags"
    __table_args__ = (UniqueConstraint("attachment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(Enum(FlagReason, native_enum=False, length=20, validate_strings=True))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    resolution: Mapped[str] = mapped_column(String(20), default="")

    attachment: Mapped[Attachment] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
