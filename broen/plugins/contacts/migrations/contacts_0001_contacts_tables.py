"""contacts tables: the log of contacts, the citizen's own rhythm, WHO-5 measurements

Revision ID: contacts_0001
Revises:
Create Date: 2026-11-24 20:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "contacts_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("contacts",)
depends_on: str | Sequence[str] | None = "core"


def upgrade() -> None:
    op.create_table(
        "contacts_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column(
            "form",
            sa.Enum(
                "meeting", "phone", "walk", "message", name="contacts_form", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "initiative",
            sa.Enum("citizen", "coordinator", name="contacts_initiative", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user_account.id"],
            name=op.f("fk_contacts_contact_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_contacts_contact_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_contacts_contact_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts_contact")),
    )
    with op.batch_alter_table("contacts_contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_contact_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(
            "ix_contacts_contact_last", ["municipality_id", "citizen_id", "on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_contact_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "contacts_rhythm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_contacts_rhythm_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_contacts_rhythm_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["user_account.id"],
            name=op.f("fk_contacts_rhythm_set_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts_rhythm")),
    )
    with op.batch_alter_table("contacts_rhythm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_rhythm_citizen_id"), ["citizen_id"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_contacts_rhythm_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "contacts_who5",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("item1", sa.SmallInteger(), nullable=False),
        sa.Column("item2", sa.SmallInteger(), nullable=False),
        sa.Column("item3", sa.SmallInteger(), nullable=False),
        sa.Column("item4", sa.SmallInteger(), nullable=False),
        sa.Column("item5", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user_account.id"],
            name=op.f("fk_contacts_who5_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
            name=op.f("fk_contacts_who5_citizen_id_citizen"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_contacts_who5_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts_who5")),
    )
    with op.batch_alter_table("contacts_who5", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_who5_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contacts_who5_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contacts_who5_on"), ["on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts_who5", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_who5_on"))
        batch_op.drop_index(batch_op.f("ix_contacts_who5_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_who5_citizen_id"))

    op.drop_table("contacts_who5")
    with op.batch_alter_table("contacts_rhythm", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_rhythm_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_rhythm_citizen_id"))

    op.drop_table("contacts_rhythm")
    with op.batch_alter_table("contacts_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_contact_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_contact_citizen_id"))
        batch_op.drop_index("ix_contacts_contact_last")

    op.drop_table("contacts_contact")
