"""Identity federation (community/identity): the OpenID providers admins add, the links between a
provider's subject and a Parley account, and the sign-ins made through a provider (for logout)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class IdentityProvider(Base):
    """An OpenID provider added at /admin/identity (providers from settings are not stored)."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(String(255), default="")
    scopes: Mapped[str] = mapped_column(String(255), default="openid email profile")
    enabled: Mapped[bool] = mapped_column(default=True)
    # Claim and group mapping: which claim holds the groups and the name; which group makes a
    # verified customer ("*": everyone this provider signs in), staff or a moderator.
    groups_claim: Mapped[str] = mapped_column(String(64), default="groups")
    name_claim: Mapped[str] = mapped_column(String(64), default="name")
    verified_customer_group: Mapped[str] = mapped_column(String(120), default="")
    staff_group: Mapped[str] = mapped_column(String(120), default="")
    moderator_group: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdentityLink(Base):
    """This provider's subject is this account. One account per (provider, subject), in the database."""

    __tablename__ = "identity_links"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(default=None)


class IdentityLogin(Base):
    """A Parley sign-in made through a provider: its login id (accounts.begin_login), the provider's
    session id and ID token, so a logout at the provider can end it (revoked_logins)."""

    __tablename__ = "identity_logins"
    __table_args__ = (
        Index("ix_identity_logins_provider_subject", "provider", "subject"),
        Index("ix_identity_logins_provider_sid", "provider", "sid"),
    )

    login_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    sid: Mapped[str | None] = mapped_column(String(255), default=None)
    id_token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(index=True)
