"""pages attachments: files attached to a page, stored outside the web root under random names

Revision ID: pages_0002
Revises: pages_0001
Create Date: 2026-11-25 00:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from broen import api

revision: str = "pages_0002"
down_revision: str | Sequence[str] | None = "pages_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pages_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", api.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["municipality_id"], ["municipality.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["page_id"], ["pages_page.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stored_name"),
    )
    with op.batch_alter_table("pages_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pages_attachment_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pages_attachment_page_id"), ["page_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pages_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pages_attachment_page_id"))
        batch_op.drop_index(batch_op.f("ix_pages_attachment_municipality_id"))
    op.drop_table("pages_attachment")
