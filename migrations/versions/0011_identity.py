"""identity: OpenID providers added by admins, provider subjects linked to accounts, sign-ins made
through a provider (so a logout there ends them)

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("groups_claim", sa.String(length=64), nullable=False),
        sa.Column("name_claim", sa.String(length=64), nullable=False),
        sa.Column("verified_customer_group", sa.String(length=120), nullable=False),
        sa.Column("staff_group", sa.String(length=120), nullable=False),
        sa.Column("moderator_group", sa.String(length=120), nullable=False),
        sa.Column("created_at", community.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_providers")),
        sa.UniqueConstraint("slug", name=op.f("uq_identity_providers_slug")),
    )
    op.create_table(
        "identity_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_sign_in_at", community.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_identity_links_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_links")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_identity_links_provider_subject")),
    )
    op.create_index(op.f("ix_identity_links_user_id"), "identity_links", ["user_id"])
    op.create_table(
        "identity_logins",
        sa.Column("login_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("sid", sa.String(length=255), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.Column("expires_at", community.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_identity_logins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("login_id", name=op.f("pk_identity_logins")),
    )
    op.create_index(op.f("ix_identity_logins_user_id"), "identity_logins", ["user_id"])
    op.create_index(op.f("ix_identity_logins_expires_at"), "identity_logins", ["expires_at"])
    op.create_index("ix_identity_logins_provider_subject", "identity_logins", ["provider", "subject"])
    op.create_index("ix_identity_logins_provider_sid", "identity_logins", ["provider", "sid"])


def downgrade() -> None:
    op.drop_index("ix_identity_logins_provider_sid", table_name="identity_logins")
    op.drop_index("ix_identity_logins_provider_subject", table_name="identity_logins")
    op.drop_index("ix_identity_logins_expires_at", table_name="identity_logins")
    op.drop_index("ix_identity_logins_user_id", table_name="identity_logins")
    op.drop_table("identity_logins")
    op.drop_index("ix_identity_links_user_id", table_name="identity_links")
    op.drop_table("identity_links")
    op.drop_table("identity_providers")
