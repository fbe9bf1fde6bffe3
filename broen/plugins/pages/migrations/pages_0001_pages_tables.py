"""pages tables: pages and news items, and their versions

Revision ID: pages_0001
Revises:
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pages_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("pages",)
depends_on: str | Sequence[str] | None = "core"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "pages_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("pages_kind", "page", "news"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("news_date", sa.Date(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("render_version", sa.Integer(), nullable=False),
        sa.Column("status", _enum("pages_status", "draft", "published"), nullable=False),
        sa.Column(
            "audience", _enum("pages_audience", "installation", "municipality", "role"), nullable=False
        ),
        sa.Column(
            "audience_role",
            _enum("pages_role", "admin", "coordinator", "mentor", "participant"),
            nullable=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_pages_page_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_pages_page_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["pages_page.id"],
            name=op.f("fk_pages_page_parent_id_pages_page"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_pages_page_published_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_pages_page_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages_page")),
        sa.UniqueConstraint(
            "municipality_id", "parent_id", "slug", name=op.f("uq_pages_page_municipality_id")
        ),
    )
    with op.batch_alter_table("pages_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pages_page_municipality_id"), ["municipality_id"], unique=False)
        batch_op.create_index("ix_pages_page_news", ["municipality_id", "kind", "news_date"], unique=False)
        batch_op.create_index("ix_pages_page_parent_id", ["parent_id"], unique=False)
        batch_op.create_index("ix_pages_page_published", ["status", "audience"], unique=False)

    op.create_table(
        "pages_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_pages_version_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages_page.id"],
            name=op.f("fk_pages_version_page_id_pages_page"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["user_account.id"],
            name=op.f("fk_pages_version_saved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages_version")),
        sa.UniqueConstraint("page_id", "number", name=op.f("uq_pages_version_page_id")),
    )
    with op.batch_alter_table("pages_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pages_version_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pages_version_page_id"), ["page_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pages_version")
    op.drop_table("pages_page")
