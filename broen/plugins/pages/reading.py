"""What a reader sees, in a fixed number of statements whatever the number of pages: the tree, a page's
breadcrumbs and sub-pages, the news. Every query here filters through `visibility.visible_condition`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, literal, select

from broen import api
from broen.plugins.pages.models import Audience, Kind, Page, Status
from broen.plugins.pages.visibility import visible_condition

#: Top-level pages per page of the tree.
ROOTS_PER_PAGE = 30
#: News items on the start page's panel.
PANEL_NEWS = 5
#: News items in the Atom feed.
FEED_ENTRIES = 50


@dataclass
class Node:
    """One page in the tree, with its visible sub-pages."""

    id: int
    title: str
    status: Status
    audience: Audience
    audience_role: api.Role | None
    owner: str
    own: bool
    children: list[Node] = field(default_factory=list)


def tree(
    db: api.Database, user: api.User, municipality: api.Municipality, page: int
) -> tuple[api.Page[Node], int]:
    """The pages `user` may see under `municipality` as a tree (one statement), a page of top-level pages
    at a time, and how many pages in all. A page whose parent the user may not see is shown at the top."""
    rows = db.session.execute(
        select(
            Page.id,
            Page.parent_id,
            Page.title,
            Page.status,
            Page.audience,
            Page.audience_role,
            Page.municipality_id,
            api.Municipality.name,
        )
        .join(api.Municipality, api.Municipality.id == Page.municipality_id)
        .where(Page.kind == Kind.PAGE, visible_condition(user, municipality))
        .order_by(Page.position, func.lower(Page.title), Page.id)
    ).all()
    nodes = {
        r.id: Node(
            r.id, r.title, r.status, r.audience, r.audience_role, r.name, r.municipality_id == municipality.id
        )
        for r in rows
    }
    roots: list[Node] = []
    for r in rows:
        parent = nodes.get(r.parent_id) if r.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[r.id])
    pages = max(1, -(-len(roots) // ROOTS_PER_PAGE))
    number = max(1, min(page, pages))
    shown = roots[(number - 1) * ROOTS_PER_PAGE : number * ROOTS_PER_PAGE]
    return api.Page(shown, len(roots), number, ROOTS_PER_PAGE), len(rows)


def visible_page(
    db: api.Database, user: api.User, municipality: api.Municipality, page_id: int
) -> Page | None:
    return db.session.scalar(select(Page).where(Page.id == page_id, visible_condition(user, municipality)))


@dataclass(frozen=True)
class Crumb:
    id: int
    title: str


def breadcrumbs(db: api.Database, user: api.User, municipality: api.Municipality, page: Page) -> list[Crumb]:
    """The page's ancestors the user may see, the top first (one statement)."""
    if page.parent_id is None:
        return []
    up = select(Page.id, Page.parent_id, literal(0).label("depth")).where(Page.id == page.parent_id)
    chain = up.cte("pages_ancestors", recursive=True)
    chain = chain.union_all(
        select(Page.id, Page.parent_id, (chain.c.depth + 1).label("depth")).join(
            chain, Page.id == chain.c.parent_id
        )
    )
    rows = db.session.execute(
        select(Page.id, Page.title)
        .join(chain, chain.c.id == Page.id)
        .where(visible_condition(user, municipality))
        .order_by(chain.c.depth.desc())
    ).all()
    return [Crumb(r.id, r.title) for r in rows]


def children(db: api.Database, user: api.User, municipality: api.Municipality, page: Page) -> list[Node]:
    rows = db.session.execute(
        select(Page.id, Page.title, Page.status, Page.audience, Page.audience_role)
        .where(Page.parent_id == page.id, Page.kind == Kind.PAGE, visible_condition(user, municipality))
        .order_by(Page.position, func.lower(Page.title), Page.id)
    ).all()
    return [Node(r.id, r.title, r.status, r.audience, r.audience_role, "", True) for r in rows]


def news_query(user: api.User, municipality: api.Municipality) -> Select[Any]:
    """The news items `user` may read under `municipality`, newest first, with the owner's name."""
    return (
        select(Page)
        .add_columns(api.Municipality.name)
        .join(api.Municipality, api.Municipality.id == Page.municipality_id)
        .where(Page.kind == Kind.NEWS, visible_condition(user, municipality))
        .order_by(Page.news_date.desc(), Page.id.desc())
    )


def latest_news(
    db: api.Database, user: api.User, municipality: api.Municipality, limit: int
) -> list[tuple[Page, str]]:
    """The newest *published* news `user` may read (the start page, the feed); drafts stay on the list."""
    stmt = news_query(user, municipality).where(Page.status == Status.PUBLISHED).limit(limit)
    return [(row[0], row[1]) for row in db.session.execute(stmt)]
