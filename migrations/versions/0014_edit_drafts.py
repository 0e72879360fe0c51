"""edit drafts: a draft may be for an edit of a post, one per (user, post) through scope "post:<id>"

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drafts") as batch:
        batch.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_drafts_post_id_posts"), "posts", ["post_id"], ["id"], ondelete="CASCADE")
        batch.create_index(op.f("ix_drafts_post_id"), ["post_id"])


def downgrade() -> None:
    op.execute("DELETE FROM drafts WHERE post_id IS NOT NULL")  # edit drafts mean nothing without the column
    with op.batch_alter_table("drafts") as batch:
        batch.drop_index(op.f("ix_drafts_post_id"))
        batch.drop_constraint(op.f("fk_drafts_post_id_posts"), type_="foreignkey")
        batch.drop_column("post_id")
