"""Users, roles and single-use tokens."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, TimestampMixin, utcnow


class Role(str, enum.Enum):
    customer = "customer"
    staff = "staff"
    moderator = "moderator"
    admin = "admin"
    marketer = "marketer"


STAFF_ROLES = frozenset({Role.staff, Role.moderator, Role.admin})


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Uniqueness regardless of case lives in the database: email_normalized is lower-cased.
    email: Mapped[str] = mapped_column(String(254))
    email_normalized: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True), default=Role.customer
    )
    is_verified_customer: Mapped[bool] = mapped_column(default=False)
    email_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    avatar_path: Mapped[str | None] = mapped_column(String(255), default=None)
    bio: Mapped[str] = mapped_column(String(500), default="")
    # "auto" follows the device's prefers-color-scheme; "light" or "dark" is the member's own choice.
    color_scheme: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    # Bumped on password change and sign-out-everywhere; part of the session id so old
    # sessions and remember-me cookies stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_until: Mapped[datetime | None] = mapped_column(default=None)
    suspension_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    is_banned: Mapped[bool] = mapped_column(default=False)

    # The sign-in this user object was loaded for or made by (services/accounts.py); not a column.
    login_id = None  # str | None

    def get_id(self) -> str:
        # Flask-Login keeps this in the session and the remember-me cookie: the session version
        # ends every sign-in at once (password change), the login id ends just this one (sign-out).
        if self.login_id:
            return f"{self.id}:{self.session_version}:{self.login_id}"
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None and not self.is_banned

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class UsedToken(Base):
    """A signed token that has been spent. The primary key makes a second use impossible."""

    __tablename__ = "used_tokens"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)


class RevokedLogin(Base):
    """A sign-in ended by signing out: its session and remember-me cookies stop working, even if
    someone kept a copy. Kept until both cookies would have expired anyway."""

    __tablename__ = "revoked_logins"

    login_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ExternalRef(Base):
    """Maps ids from another system (a Stack Exchange dump, X) to our rows, for idempotent imports."""

    __tablename__ = "external_refs"
    __table_args__ = (UniqueConstraint("source", "kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    local_id: Mapped[int]
