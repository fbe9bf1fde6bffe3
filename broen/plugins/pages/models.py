"""The pages plugin's tables: a municipality's pages and news items (a simple tree), and every saved
version of their title and text.

A page stores its Markdown (`body`, what the writer typed) and the sanitised HTML made from it on save
(`body_html`, with the `render_version` of the rules it was made with), so reading a page never parses
Markdown. Attachments (a later `pages_attachment` table) reference `pages_page.id`; search indexes
`title` and `body`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broen import api


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Kind(enum.StrEnum):
    """A page of lasting knowledge, or a dated news item."""

    PAGE = "page"
    NEWS = "news"


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Audience(enum.StrEnum):
    """Who may read a published page: everyone with a role anywhere in the installation, anyone with a
    role in the owning municipality, or one role there (and its admins)."""

    INSTALLATION = "installation"
    MUNICIPALITY = "municipality"
    ROLE = "role"


class Page(api.TenantMixin, api.Base):
    """A page or a news item of the municipality that wrote it."""

    __tablename__ = "pages_page"
    __table_args__ = (
        # Siblings have different slugs (for top-level pages, whose parent is NULL, the service checks under
        # the municipality's lock: SQL counts NULLs as different).
        UniqueConstraint("municipality_id", "parent_id", "slug"),
        Index("ix_pages_page_parent_id", "parent_id"),
        Index("ix_pages_page_news", "municipality_id", "kind", "news_date"),
        #: Installation-wide pages are read across municipalities.
        Index("ix_pages_page_published", "status", "audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("pages_page.id", ondelete="RESTRICT"))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "pages_kind"), default=Kind.PAGE)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    news_date: Mapped[date | None] = mapped_column(Date)
    #: What the writer typed (Markdown).
    body: Mapped[str] = mapped_column(Text, default="")
    #: The sanitised HTML made from `body` on save (`render.to_html`), shown as it is.
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: `render.RENDER_VERSION` when `body_html` was made: older ones are made again from `body`.
    render_version: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[Status] = mapped_column(_enum(Status, "pages_status"), default=Status.DRAFT)
    audience: Mapped[Audience] = mapped_column(
        _enum(Audience, "pages_audience"), default=Audience.MUNICIPALITY
    )
    audience_role: Mapped[api.Role | None] = mapped_column(_enum(api.Role, "pages_role"))
    #: Order among siblings (smaller first, then by title).
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def __str__(self) -> str:
        return self.title


class PageVersion(api.TenantMixin, api.Base):
    """The title and text of a page as one save left them; every save that changed them adds one."""

    __tablename__ = "pages_version"
    __table_args__ = (UniqueConstraint("page_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages_page.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Attachment(api.TenantMixin, api.Base):
    """A file attached to a page (a PDF or DOCX template, an image). The file lies outside the web root
    under `stored_name`, a random name; the name the writer's file had is only shown and offered."""

    __tablename__ = "pages_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages_page.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    def __str__(self) -> str:
        return self.filename
