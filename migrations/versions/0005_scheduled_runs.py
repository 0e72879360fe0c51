"""scheduled_runs: one claim per periodic task and time slot (the built-in scheduler)

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import community.models.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=120), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("claimed_at", community.models.base.UTCDateTime(), nullable=False),
        sa.Column("finished_at", community.models.base.UTCDateTime(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_runs")),
        sa.UniqueConstraint("task", "slot", name=op.f("uq_scheduled_runs_task_slot")),
    )
    op.create_index(op.f("ix_scheduled_runs_claimed_at"), "scheduled_runs", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_runs_claimed_at", table_name="scheduled_runs")
    op.drop_table("scheduled_runs")
