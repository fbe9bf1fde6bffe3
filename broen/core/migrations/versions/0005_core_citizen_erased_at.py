"""a citizen's erasure: when the data was erased (the row keeps anonymous numbers); how long a municipality
keeps ended citizens' records

Revision ID: 0005_core
Revises: 0004_core
Create Date: 2026-11-24 21:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from broen.core.db import UTCDateTime

revision: str = "0005_core"
down_revision: str | Sequence[str] | None = "0004_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_years", sa.Integer(), nullable=False, server_default="5"))


def downgrade() -> None:
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_column("retention_years")
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
