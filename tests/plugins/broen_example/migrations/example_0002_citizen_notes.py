"""notes about a citizen

Revision ID: example_0002
Revises: example_0001
Create Date: 2026-11-24 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "example_0002"
down_revision: str | Sequence[str] | None = "example_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "example_citizen_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_example_citizen_note_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_example_citizen_note_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_citizen_note")),
    )
    with op.batch_alter_table("example_citizen_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_example_citizen_note_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_example_citizen_note_municipality_id"), ["municipality_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("example_citizen_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_example_citizen_note_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_example_citizen_note_citizen_id"))
    op.drop_table("example_citizen_note")
