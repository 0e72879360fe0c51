"""search_ranks: a narrow table the PostgreSQL backend matches and ranks on

The tsvectors move out of search_documents (whose wide rows made a common word cost seconds).
On PostgreSQL the rows are filled from the existing documents, so no reindex is needed.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import community.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TSVECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")
# Rows over this many bytes have their largest values (the document vector) moved out of line,
# so scanning matches reads ~200-byte rows (postgres_backend.RANKS_TOAST_TARGET, for rebuilds).
TOAST_TUPLE_TARGET = 256


def upgrade() -> None:
    op.create_table(
        "search_ranks",
        sa.Column("thread_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("has_verified_answer", sa.Boolean(), nullable=False),
        sa.Column("created_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("last_activity_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("heading", TSVECTOR, nullable=False),
        sa.Column("document", TSVECTOR, nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name=op.f("pk_search_ranks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE search_ranks SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
        op.execute("""
            INSERT INTO search_ranks (thread_id, category_id, visibility, is_private, author_id, state,
                has_verified_answer, created_at, last_activity_at, heading, document)
            SELECT thread_id, category_id, visibility, is_private, author_id, state,
                has_verified_answer, created_at, last_activity_at, heading, document
            FROM search_documents ORDER BY thread_id
        """)
    with op.batch_alter_table("search_ranks", schema=None) as batch_op:
        batch_op.create_index("ix_search_ranks_document", ["document"], unique=False, postgresql_using="gin")
        batch_op.create_index("ix_search_ranks_heading", ["heading"], unique=False, postgresql_using="gin")
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_heading", postgresql_using="gin")
        batch_op.drop_index("ix_search_documents_document", postgresql_using="gin")
        batch_op.drop_column("heading")
        batch_op.drop_column("document")


def downgrade() -> None:
    # The vectors are not copied back: run `flask search reindex` after downgrading.
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", TSVECTOR, nullable=False, server_default=""))
        batch_op.add_column(sa.Column("heading", TSVECTOR, nullable=False, server_default=""))
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index("ix_search_documents_document", ["document"], unique=False, postgresql_using="gin")
        batch_op.create_index("ix_search_documents_heading", ["heading"], unique=False, postgresql_using="gin")
    op.drop_table("search_ranks")
