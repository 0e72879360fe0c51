"""users.color_scheme: a member's light/dark choice (auto follows the device)

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("color_scheme", sa.String(length=8), nullable=False, server_default="auto"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("color_scheme")
