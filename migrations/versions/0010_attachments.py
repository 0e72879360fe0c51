"""attachments: files uploaded by members, claimed by the post that references them

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("attached_at", community.models.base.UTCDateTime(), nullable=True),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("is_image", sa.Boolean(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("original_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=160), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=160), nullable=True),
        sa.Column("thumbnail_width", sa.Integer(), nullable=True),
        sa.Column("thumbnail_height", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_attachments_post_id_posts"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name=op.f("fk_attachments_uploader_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
        sa.UniqueConstraint("thumbnail_key", name=op.f("uq_attachments_thumbnail_key")),
    )
    op.create_index("ix_attachments_uploader_id_created_at", "attachments", ["uploader_id", "created_at"])
    op.create_index("ix_attachments_post_id_created_at", "attachments", ["post_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_attachments_post_id_created_at", table_name="attachments")
    op.drop_index("ix_attachments_uploader_id_created_at", table_name="attachments")
    op.drop_table("attachments")
