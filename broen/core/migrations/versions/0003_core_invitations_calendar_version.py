"""participant log-ins, invitations, calendar versions

Revision ID: 0003_core
Revises: 0002_core
Create Date: 2026-11-24 08:28:33.372678
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import broen.core.db

revision: str = "0003_core"
down_revision: str | Sequence[str] | None = "0002_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_version",
        sa.Column("municipality_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", broen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_calendar_version_municipality_id_municipality"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_calendar_version")),
    )

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", broen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", broen.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", broen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", broen.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizen.id"], name=op.f("fk_invitation_citizen_id_citizen"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_invitation_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_invitation_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_municipality_id"), ["municipality_id"], unique=False)

    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_citizen_user_id"), ["user_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_citizen_municipality_id"), ["municipality_id", "user_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_citizen_user_id_user_account"),
            "user_account",
            ["user_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_citizen_user_id_user_account"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_citizen_municipality_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_citizen_user_id"))
        batch_op.drop_column("user_id")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_citizen_id"))

    op.drop_table("invitation")

    op.drop_table("calendar_version")
