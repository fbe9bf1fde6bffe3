"""outcomes tables

Revision ID: outcomes_0001
Revises:
Create Date: 2026-11-24 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outcomes_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("outcomes",)
depends_on: str | Sequence[str] | None = "core"


def upgrade() -> None:
    op.create_table(
        "outcomes_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_outcomes_target_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes_target")),
        sa.UniqueConstraint("municipality_id", "key", name=op.f("uq_outcomes_target_municipality_id")),
    )
    with op.batch_alter_table("outcomes_target", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcomes_target_municipality_id"), ["municipality_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outcomes_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcomes_target_municipality_id"))
    op.drop_table("outcomes_target")
