"""the calendar version of what the public feeds show, apart from sign-ups and meetings

Revision ID: 0007_core
Revises: 0006_core
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from broen.core.db import UTCDateTime

revision: str = "0007_core"
down_revision: str | Sequence[str] | None = "0006_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("public_changed_at", UTCDateTime(timezone=True), nullable=True))
    # Until now every change counted for the public feeds too.
    op.execute("UPDATE calendar_version SET public_version = version, public_changed_at = changed_at")


def downgrade() -> None:
    with op.batch_alter_table("calendar_version", schema=None) as batch_op:
        batch_op.drop_column("public_changed_at")
        batch_op.drop_column("public_version")
