"""café attendance, agenda, sent notices, promotion notices

Revision ID: cafe_0002
Revises: cafe_0001
Create Date: 2026-11-24 08:28:33.372678
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from broen import api

revision: str = "cafe_0002"
down_revision: str | Sequence[str] | None = "cafe_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cafe_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("proposed_by_citizen_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "guest_kind",
            sa.Enum("company", "lived_experience", name="cafe_guest_kind", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("guest_name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.Column("created_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["cafe_course.id"],
            name=op.f("fk_cafe_agenda_item_course_id_cafe_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_cafe_agenda_item_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_cafe_agenda_item_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_citizen_id"],
            ["citizen.id"],
            name=op.f("fk_cafe_agenda_item_proposed_by_citizen_id_citizen"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cafe_session.id"],
            name=op.f("fk_cafe_agenda_item_session_id_cafe_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_agenda_item")),
    )

    with op.batch_alter_table("cafe_agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cafe_agenda_item_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cafe_agenda_item_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cafe_agenda_item_proposed_by_citizen_id"), ["proposed_by_citizen_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cafe_agenda_item_session_id"), ["session_id"], unique=False)

    op.create_table(
        "cafe_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("marked_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_cafe_attendance_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_id"],
            ["user_account.id"],
            name=op.f("fk_cafe_attendance_marked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_cafe_attendance_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cafe_session.id"],
            name=op.f("fk_cafe_attendance_session_id_cafe_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_attendance")),
        sa.UniqueConstraint("session_id", "citizen_id", name=op.f("uq_cafe_attendance_session_id")),
    )

    with op.batch_alter_table("cafe_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cafe_attendance_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cafe_attendance_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cafe_attendance_session_id"), ["session_id"], unique=False)

    op.create_table(
        "cafe_sent_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "reminder",
                "moved",
                "cancelled",
                "promoted",
                name="cafe_notice_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("sent_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_cafe_sent_notice_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["cafe_course.id"],
            name=op.f("fk_cafe_sent_notice_course_id_cafe_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_cafe_sent_notice_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cafe_session.id"],
            name=op.f("fk_cafe_sent_notice_session_id_cafe_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cafe_sent_notice")),
        sa.UniqueConstraint(
            "session_id", "citizen_id", "kind", "sequence", name=op.f("uq_cafe_sent_notice_session_id")
        ),
    )

    with op.batch_alter_table("cafe_sent_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cafe_sent_notice_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cafe_sent_notice_course_id"), ["course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cafe_sent_notice_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cafe_sent_notice_session_id"), ["session_id"], unique=False)

    with op.batch_alter_table("cafe_signup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promoted_at", api.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("promotion_seen", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("cafe_signup", schema=None) as batch_op:
        # The default was only for the rows already there.
        batch_op.alter_column("promotion_seen", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("cafe_signup", schema=None) as batch_op:
        batch_op.drop_column("promotion_seen")
        batch_op.drop_column("promoted_at")

    with op.batch_alter_table("cafe_sent_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cafe_sent_notice_session_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_sent_notice_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_sent_notice_course_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_sent_notice_citizen_id"))

    op.drop_table("cafe_sent_notice")

    with op.batch_alter_table("cafe_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cafe_attendance_session_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_attendance_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_attendance_citizen_id"))

    op.drop_table("cafe_attendance")

    with op.batch_alter_table("cafe_agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cafe_agenda_item_session_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_agenda_item_proposed_by_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_agenda_item_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_cafe_agenda_item_course_id"))

    op.drop_table("cafe_agenda_item")
