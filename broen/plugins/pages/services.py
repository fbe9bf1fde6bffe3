"""Every write of the pages plugin: pages and news items, their versions, publishing and deleting.

Each function checks the rules, writes, adds the audit entry (field names only) and commits in one
transaction, or raises `PageError` (`.field`, `.message`) and writes nothing. Who may call which function
is the views' to check (`visibility.may_write`, `may_publish`, `may_edit`); the services keep the data
right whoever calls them (the views, the demo data, the command line, tests).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from broen import api
from broen.plugins.pages import render
from broen.plugins.pages.models import Audience, Kind, Page, PageVersion, Status

NAME = "pages"
_ = api.gettext

MAX_TITLE = 200
MAX_SLUG = 80
MAX_BODY = 100_000
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class PageError(Exception):
    """A page cannot be saved as asked: `message` says why, `field` names the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PageData:
    """What a writer types: the title, the Markdown text, and for a page its slug and place among its
    siblings, for a news item its date."""

    title: str
    body: str = ""
    slug: str = ""
    position: int = 0
    news_date: date | None = None


def slugify(text: str) -> str:
    """A slug of `text`: lower-case letters and digits joined by hyphens, Danish letters spelt out."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "side"


def _check(data: PageData, kind: Kind) -> PageData:
    title = " ".join(data.title.split())
    if not title:
        raise PageError("title", _("Write a title."))
    if len(title) > MAX_TITLE:
        raise PageError("title", _("Write a title of at most %(num)d characters.", num=MAX_TITLE))
    if len(data.body) > MAX_BODY:
        raise PageError("body", _("Write a text of at most %(num)d characters.", num=MAX_BODY))
    slug = data.slug.strip().lower()
    if slug and (len(slug) > MAX_SLUG or not SLUG.match(slug)):
        raise PageError(
            "slug",
            _("Use only small letters a-z, digits and hyphens in the short name, e.g. cafe-checklist."),
        )
    if kind == Kind.NEWS and data.news_date is None:
        raise PageError("news_date", _("Give the news item a date."))
    news_date = data.news_date if kind == Kind.NEWS else None
    body = data.body.replace("\r\n", "\n")
    return PageData(title, body, slug, data.position, news_date)


def _slug_taken(
    db: api.Database, municipality_id: int, parent_id: int | None, slug: str, page_id: int | None
) -> bool:
    stmt = select(Page.id).where(
        Page.municipality_id == municipality_id,
        func.coalesce(Page.parent_id, 0) == (parent_id or 0),
        Page.slug == slug,
    )
    if page_id is not None:
        stmt = stmt.where(Page.id != page_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _free_slug(db: api.Database, page: Page, wanted: str) -> str:
    """`wanted` if the writer typed it and it is free among the page's siblings; a typed slug that is
    taken is refused; a slug made from the title gets -2, -3... until it is free."""
    if wanted:
        if _slug_taken(db, page.municipality_id, page.parent_id, wanted, page.id):
            raise PageError("slug", _("Another page at the same place has this short name. Choose another."))
        return wanted
    base = slugify(page.title)
    candidate, n = base, 1
    while _slug_taken(db, page.municipality_id, page.parent_id, candidate, page.id):
        n += 1
        suffix = f"-{n}"
        candidate = base[: MAX_SLUG - len(suffix)] + suffix
    return candidate


def _add_version(db: api.Database, page: Page, by: api.User | None) -> PageVersion:
    number = (
        db.session.scalar(select(func.max(PageVersion.number)).where(PageVersion.page_id == page.id)) or 0
    ) + 1
    version = PageVersion(
        municipality_id=page.municipality_id,
        page_id=page.id,
        number=number,
        title=page.title,
        body=page.body,
        saved_by_id=by.id if by else None,
        saved_at=page.updated_at,
    )
    db.session.add(version)
    return version


def _commit(db: api.Database) -> None:
    try:
        db.session.commit()
    except IntegrityError as err:  # two writers chose the same short name at the same moment
        db.session.rollback()
        raise PageError(
            "slug", _("Another page at the same place has this short name. Choose another.")
        ) from err


def create_page(
    db: api.Database,
    municipality: api.Municipality,
    by: api.User | None,
    data: PageData,
    kind: Kind = Kind.PAGE,
    parent: Page | None = None,
) -> Page:
    """A new draft page (under `parent`, a page of the same municipality) or news item, and its first
    version."""
    data = _check(data, kind)
    if parent is not None and (parent.municipality_id != municipality.id or parent.kind != Kind.PAGE):
        raise PageError("parent", _("A page can only be placed under another page of the municipality."))
    if kind == Kind.NEWS:
        parent = None
    now = api.utcnow()
    page = Page(
        municipality_id=municipality.id,
        parent_id=parent.id if parent else None,
        kind=kind,
        title=data.title,
        body=data.body,
        body_html=render.to_html(data.body),
        render_version=render.RENDER_VERSION,
        news_date=data.news_date,
        position=data.position,
        status=Status.DRAFT,
        audience=Audience.MUNICIPALITY,
        created_at=now,
        created_by_id=by.id if by else None,
        updated_at=now,
        updated_by_id=by.id if by else None,
        slug="",
    )
    # Sibling slugs are checked under the municipality's lock: the unique constraint cannot see two
    # top-level pages (parent NULL) with the same slug.
    api.lock_row(db, api.Municipality, municipality.id)
    page.slug = _free_slug(db, page, data.slug)
    db.session.add(page)
    db.session.flush()
    _add_version(db, page, by)
    fields = ["title", "body", "slug", "position"] + (["news_date"] if kind == Kind.NEWS else [])
    api.audit.record(
        db,
        "create",
        "pages_page",
        page.id,
        by=by,
        municipality_id=municipality.id,
        fields=fields,
        kind=kind.value,
    )
    _commit(db)
    return page


def update_page(
    db: api.Database, page: Page, by: api.User | None, data: PageData, **details: Any
) -> list[str]:
    """Save a writer's changes; a new version when the title or the text changed. Returns the names of
    the fields that changed (none: nothing is written). `details` go into the audit entry."""
    data = _check(data, page.kind)
    api.lock_row(db, Page, page.id)  # one save of a page at a time: version numbers follow each other
    wanted = {
        "title": data.title,
        "body": data.body,
        "position": data.position,
        "news_date": data.news_date,
    }
    changed = [name for name, value in wanted.items() if getattr(page, name) != value]
    for name in changed:
        setattr(page, name, wanted[name])
    slug = page.slug
    if data.slug != page.slug:
        api.lock_row(db, api.Municipality, page.municipality_id)
        slug = _free_slug(db, page, data.slug)
    if slug != page.slug:
        page.slug = slug
        changed.append("slug")
    if not changed:
        db.session.rollback()
        return []
    page.updated_at = api.utcnow()
    page.updated_by_id = by.id if by else None
    if "body" in changed or page.render_version != render.RENDER_VERSION:
        page.body_html = render.to_html(page.body)
        page.render_version = render.RENDER_VERSION
    if "title" in changed or "body" in changed:
        db.session.flush()
        _add_version(db, page, by)
    api.audit.record(
        db,
        "update",
        "pages_page",
        page.id,
        by=by,
        municipality_id=page.municipality_id,
        fields=changed,
        **details,
    )
    _commit(db)
    return changed


def restore_version(db: api.Database, page: Page, version: PageVersion, by: api.User | None) -> list[str]:
    """Bring back an older version's title and text, as a new version (the history keeps every one)."""
    if version.page_id != page.id:
        raise PageError("version", _("That version is not of this page."))
    data = PageData(version.title, version.body, page.slug, page.position, page.news_date)
    return update_page(db, page, by, data, restored_version=version.number)


def publish(
    db: api.Database, page: Page, by: api.User | None, audience: Audience, role: api.Role | None = None
) -> None:
    """Publish the page to `audience` (`role` for Audience.ROLE), or change whom it is published to."""
    if audience == Audience.ROLE and role is None:
        raise PageError("role", _("Choose the role that may read the page."))
    page.status = Status.PUBLISHED
    page.audience = audience
    page.audience_role = role if audience == Audience.ROLE else None
    page.published_at = api.utcnow()
    page.published_by_id = by.id if by else None
    api.audit.record(
        db,
        "update",
        "pages_page",
        page.id,
        by=by,
        municipality_id=page.municipality_id,
        fields=["status", "audience", "audience_role", "published_at"],
    )
    db.session.commit()


def unpublish(db: api.Database, page: Page, by: api.User | None) -> None:
    """Make the page a draft again: only the municipality's writers see it."""
    page.status = Status.DRAFT
    api.audit.record(
        db, "update", "pages_page", page.id, by=by, municipality_id=page.municipality_id, fields=["status"]
    )
    db.session.commit()


def has_children(db: api.Database, page: Page) -> bool:
    return db.session.scalar(select(Page.id).where(Page.parent_id == page.id).limit(1)) is not None


def delete_page(db: api.Database, page: Page, by: api.User | None) -> None:
    """Delete a page, its versions and its files; refused while it has sub-pages (move or delete them
    first)."""
    from broen.plugins.pages import attachments  # it imports the views, which import this module

    api.lock_row(db, Page, page.id)
    if has_children(db, page):
        db.session.rollback()
        raise PageError("page", _("The page has sub-pages. Delete them first."))
    db.session.execute(delete(PageVersion).where(PageVersion.page_id == page.id))
    stored = attachments.delete_rows_of_page(db, page, by)
    api.audit.record(db, "delete", "pages_page", page.id, by=by, municipality_id=page.municipality_id)
    db.session.delete(page)
    db.session.commit()
    attachments.remove_files(stored)


def rerender_stale(db: api.Database, batch: int = 200) -> int:
    """Make the stored HTML again for every page made under older rules (`render.RENDER_VERSION`); how
    many. Pages show the right HTML before this too (`render.page_html`); this saves the work per read."""
    done = 0
    while True:
        pages = db.session.scalars(
            select(Page).where(Page.render_version != render.RENDER_VERSION).order_by(Page.id).limit(batch)
        ).all()
        if not pages:
            return done
        for page in pages:
            db.session.execute(
                update(Page)
                .where(Page.id == page.id)
                .values(body_html=render.to_html(page.body), render_version=render.RENDER_VERSION),
                execution_options={"synchronize_session": False},
            )
        db.session.commit()
        done += len(pages)
