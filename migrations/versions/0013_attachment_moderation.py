"""attachment moderation: readers flag a file, staff remove it (the row stays, the bytes go)

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("removed_at", community.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_attachments_removed_by_id_users"), "users", ["removed_by_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "attachment_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Enum("spam", "abuse", "off_topic", "needs_staff", "other", name="flagreason", native_enum=False, length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", community.models.base.UTCDateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], name=op.f("fk_attachment_flags_attachment_id_attachments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_attachment_flags_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_attachment_flags_resolved_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_flags")),
        sa.UniqueConstraint("attachment_id", "user_id", name=op.f("uq_attachment_flags_attachment_id_user_id")),
    )
    op.create_index(op.f("ix_attachment_flags_attachment_id"), "attachment_flags", ["attachment_id"])
    op.create_index(op.f("ix_attachment_flags_resolved_at"), "attachment_flags", ["resolved_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_attachment_flags_resolved_at"), table_name="attachment_flags")
    op.drop_index(op.f("ix_attachment_flags_attachment_id"), table_name="attachment_flags")
    op.drop_table("attachment_flags")
    with op.batch_alter_table("attachments") as batch:
        batch.drop_constraint(op.f("fk_attachments_removed_by_id_users"), type_="foreignkey")
        batch.drop_column("removed_by_id")
        batch.drop_column("removed_at")
