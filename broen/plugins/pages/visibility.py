"""Who may read which page: the one rule every list, page, tree, news panel and feed (and later search)
goes through, as a SQLAlchemy condition on `Page`.

A user reads pages under a municipality where they have a role (`/<municipality>/pages/`). There they see

- published pages of *any* municipality whose audience is the whole installation (a Norddjurs coordinator
  reads Silkeborg's installation-wide page at `/norddjurs/pages/<id>`, under their own municipality);
- published pages of this municipality for the municipality, and those for their role (an admin reads
  every role's);
- drafts of this municipality if they write pages here (admins and coordinators); an admin sees every page
  of the municipality, whatever its audience, because admins publish and unpublish.

Writing (editing, versions, deleting, publishing) is only ever about the municipality's own pages, read
with `api.get_scoped_or_404`; `may_edit` adds that the writer can see the page.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from broen import api
from broen.plugins.pages.models import Audience, Page, Status

#: Who writes pages, saves drafts and keeps versions.
WRITERS = (api.Role.ADMIN, api.Role.COORDINATOR)
#: Who publishes (chooses the audience) and unpublishes.
PUBLISHERS = (api.Role.ADMIN,)
#: Everyone with a role reads what is published to them.
READERS = tuple(api.Role)


def visible_condition(user: api.User, municipality: api.Municipality) -> ColumnElement[bool]:
    """The pages `user` may read under `municipality` (see the module's docstring)."""
    role = user.role_in(municipality.id)
    if role is None:
        return false()
    published = Page.status == Status.PUBLISHED
    own = Page.municipality_id == municipality.id
    everyone = and_(published, Page.audience == Audience.INSTALLATION)
    if role == api.Role.ADMIN:
        return or_(own, everyone)
    readable = or_(
        everyone,
        and_(
            own,
            published,
            or_(
                Page.audience == Audience.MUNICIPALITY,
                and_(Page.audience == Audience.ROLE, Page.audience_role == role),
            ),
        ),
    )
    if role in WRITERS:
        return or_(readable, and_(own, Page.status == Status.DRAFT))
    return readable


def may_write(user: api.User, municipality: api.Municipality) -> bool:
    return user.role_in(municipality.id) in WRITERS


def may_publish(user: api.User, municipality: api.Municipality) -> bool:
    return user.role_in(municipality.id) in PUBLISHERS


def may_edit(user: api.User, page: Page) -> bool:
    """A writer of the page's municipality, for a page they can see there (a coordinator does not edit a
    page published to mentors only)."""
    role = user.role_in(page.municipality_id)
    if role not in WRITERS:
        return False
    if role == api.Role.ADMIN or page.status == Status.DRAFT:
        return True
    return page.audience != Audience.ROLE or page.audience_role == role
