"""meetings and applications

Revision ID: mentors_0002
Revises: mentors_0001
Create Date: 2026-11-24 12:14:51.735169
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from broen import api

revision: str = "mentors_0002"
down_revision: str | Sequence[str] | None = "mentors_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentors_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column(
            "background",
            sa.Enum(
                "employed", "student", "retired", name="mentors_background", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("about", sa.Text(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("availability", sa.Integer(), nullable=False),
        sa.Column("contact_forms", sa.Integer(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_mentors_application_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentors_application")),
    )
    with op.batch_alter_table("mentors_application", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentors_application_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mentors_application_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mentors_application_source"), ["source"], unique=False)

    op.create_table(
        "mentors_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("at", sa.Time(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("contact_form", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("logged_by_id", sa.Integer(), nullable=True),
        sa.Column("logged_at", api.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_mentors_meeting_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["logged_by_id"],
            ["user_account.id"],
            name=op.f("fk_mentors_meeting_logged_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["mentors_match.id"],
            name=op.f("fk_mentors_meeting_match_id_mentors_match"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_mentors_meeting_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentors_meeting")),
        sa.UniqueConstraint("uid", name=op.f("uq_mentors_meeting_uid")),
    )
    with op.batch_alter_table("mentors_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentors_meeting_match_id"), ["match_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mentors_meeting_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mentors_meeting_on"), ["on"], unique=False)

    with op.batch_alter_table("mentors_match", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("started_at", api.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("mentors_match", schema=None) as batch_op:
        batch_op.alter_column("shared", server_default=None)

    with op.batch_alter_table("mentors_mentor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_at", api.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consent_text", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("mentors_mentor", schema=None) as batch_op:
        batch_op.alter_column("consent_text", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("mentors_mentor", schema=None) as batch_op:
        batch_op.drop_column("consent_text")
        batch_op.drop_column("consent_at")

    with op.batch_alter_table("mentors_match", schema=None) as batch_op:
        batch_op.drop_column("started_at")
        batch_op.drop_column("shared")

    with op.batch_alter_table("mentors_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentors_meeting_on"))
        batch_op.drop_index(batch_op.f("ix_mentors_meeting_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_mentors_meeting_match_id"))

    op.drop_table("mentors_meeting")
    with op.batch_alter_table("mentors_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentors_application_source"))
        batch_op.drop_index(batch_op.f("ix_mentors_application_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_mentors_application_created_at"))

    op.drop_table("mentors_application")
