"""threads: a partial index of each author's private or held threads, by latest activity

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every signed-in page asks for the reader's latest private or held thread (services/reader.py).
    # Without it PostgreSQL walked ix_threads_activity backwards past everyone's threads (15 ms for
    # an author whose private threads are old) or read all of the author's threads.
    op.create_index(
        "ix_threads_author_hidden", "threads", ["author_id", "last_activity_at"],
        postgresql_where=sa.text("deleted_at IS NULL AND (is_private OR is_pending)"),
        sqlite_where=sa.text("deleted_at IS NULL AND (is_private = 1 OR is_pending = 1)"),
    )
    op.execute("ANALYZE threads")


def downgrade() -> None:
    op.drop_index("ix_threads_author_hidden", table_name="threads")
