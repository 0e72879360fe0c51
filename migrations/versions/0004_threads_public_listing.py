"""threads: a partial index for the listings everyone sees (deep category pages walk it alone)

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_threads_public_listing", "threads", ["category_id", "is_pinned", "last_activity_at", "id"],
        postgresql_where=sa.text("deleted_at IS NULL AND NOT is_private AND NOT is_pending"),
        sqlite_where=sa.text("deleted_at IS NULL AND is_private = 0 AND is_pending = 0"),
    )
    # Without statistics for the new index, SQLite (whose other indexes had them from an earlier
    # ANALYZE) reached the home page's threads category by category and sorted all of them:
    # 300 ms a render at 100,000 threads instead of 7 ms.
    op.execute("ANALYZE threads")


def downgrade() -> None:
    op.drop_index("ix_threads_public_listing", table_name="threads")
