"""tags and watching: the staff-defined tag list, category and tag watches, thread reads

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEVEL = sa.Enum(
    "normal", "watching", "tracking", "watching_first_post", "muted",
    name="watchlevel", native_enum=False, length=20, create_constraint=False,
)


def _watch_table(name: str, target: str, target_table: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("level", LEVEL, nullable=False),
        sa.Column("updated_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column(target, sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint([target], [f"{target_table}.id"], name=op.f(f"fk_{name}_{target}_{target_table}"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("user_id", target, name=op.f(f"uq_{name}_user_id_{target}")),
    )
    op.create_index(op.f(f"ix_{name}_{target}"), name, [target])


def upgrade() -> None:
    with op.batch_alter_table("tags") as batch:
        batch.add_column(sa.Column("is_official", sa.Boolean(), server_default=sa.false(), nullable=False))
    _watch_table("category_watches", "category_id", "categories")
    _watch_table("tag_watches", "tag_id", "tags")
    op.create_table(
        "thread_reads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("seen_posts", sa.Integer(), nullable=False),
        sa.Column("updated_at", community.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], name=op.f("fk_thread_reads_thread_id_threads"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_thread_reads_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "thread_id", name=op.f("pk_thread_reads")),
    )
    op.create_index(op.f("ix_thread_reads_thread_id"), "thread_reads", ["thread_id"])


def downgrade() -> None:
    op.drop_index("ix_thread_reads_thread_id", table_name="thread_reads")
    op.drop_table("thread_reads")
    for name, target in (("tag_watches", "tag_id"), ("category_watches", "category_id")):
        op.drop_index(f"ix_{name}_{target}", table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("tags") as batch:
        batch.drop_column("is_official")
