"""invitations of a plugin's record (a mentor), and the role an invitation gives

Revision ID: 0004_core
Revises: 0003_core
Create Date: 2026-11-24 12:24:58.769583
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_core"
down_revision: str | Sequence[str] | None = "0003_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_SUBJECT = (
    "(citizen_id IS NOT NULL AND subject_type IS NULL AND subject_id IS NULL)"
    " OR (citizen_id IS NULL AND subject_type IS NOT NULL AND subject_id IS NOT NULL)"
)
ROLE = sa.Enum(
    "admin", "coordinator", "mentor", "participant", name="invitation_role", native_enum=False, length=20
)


def upgrade() -> None:
    # Every invitation so far was a citizen's, to the participant pages: the server default fills `role`
    # of the existing rows, then goes (the model has none). Batch: SQLite cannot alter columns in place.
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("role", ROLE, nullable=False, server_default="participant"))
        batch_op.create_index(batch_op.f("ix_invitation_subject_id"), ["subject_id"], unique=False)

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=ROLE, existing_nullable=False, server_default=None)
        batch_op.alter_column("citizen_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(batch_op.f("ck_invitation_one_subject"), ONE_SUBJECT)


def downgrade() -> None:
    # A plugin's records cannot be invited before this revision: their invitations go.
    op.execute(sa.text("DELETE FROM invitation WHERE citizen_id IS NULL"))
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_invitation_one_subject"), type_="check")
        batch_op.drop_index(batch_op.f("ix_invitation_subject_id"))
        batch_op.alter_column("citizen_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("role")
        batch_op.drop_column("email")
        batch_op.drop_column("name")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
