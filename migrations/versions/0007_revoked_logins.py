"""revoked_logins: sign-ins ended by signing out, so copies of their cookies stop working

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_logins",
        sa.Column("login_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", community.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_revoked_logins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("login_id", name=op.f("pk_revoked_logins")),
    )
    op.create_index(op.f("ix_revoked_logins_user_id"), "revoked_logins", ["user_id"])
    op.create_index(op.f("ix_revoked_logins_expires_at"), "revoked_logins", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_revoked_logins_expires_at", table_name="revoked_logins")
    op.drop_index("ix_revoked_logins_user_id", table_name="revoked_logins")
    op.drop_table("revoked_logins")
