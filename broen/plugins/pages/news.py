"""News: the list of news items (/<municipality>/pages/news), the start page's panel of the newest, and
the Atom feed (/<municipality>/pages/news.atom) for the logged-in staff member. All three show only the
news `visibility.visible_condition` lets the user read."""

from __future__ import annotations

from datetime import datetime, time
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from flask import Response, render_template
from flask.typing import ResponseReturnValue

from broen import api
from broen.plugins.pages import reading, render
from broen.plugins.pages.models import Page
from broen.plugins.pages.services import _
from broen.plugins.pages.views import bp
from broen.plugins.pages.visibility import READERS, may_write

ATOM = "http://www.w3.org/2005/Atom"


@bp.route("/news")
@api.require_role(*READERS)
def news() -> ResponseReturnValue:
    user, municipality = api.current_user(), api.current_municipality()
    listed = api.paginate(
        api.db(),
        reading.news_query(user, municipality),
        api.requested_page(),
        item=lambda p, owner: (p, owner),
    )
    return render_template("pages/news.html", listed=listed, may_write=may_write(user, municipality))


def home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    """The newest news the user may read, newest first (one statement); nothing when there is none."""
    items = reading.latest_news(api.db(), user, municipality, reading.PANEL_NEWS)
    if not items:
        return []
    html = render_template("pages/_home.html", items=items, municipality=municipality)
    return [api.HomePanel(_("News"), html, order=30)]


def _updated(page: Page) -> datetime:
    """When the entry last changed (its text, or whom it is published to), to the second."""
    return max(d for d in (page.updated_at, page.published_at) if d is not None).replace(microsecond=0)


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    element.text = text
    return element


@bp.route("/news.atom")
@api.require_role(*READERS)
def feed() -> ResponseReturnValue:
    """An Atom feed (RFC 4287) of the newest news the logged-in user may read; each entry's content is the
    item's sanitised HTML, escaped as Atom's type="html" wants."""
    user, municipality = api.current_user(), api.current_municipality()
    items = reading.latest_news(api.db(), user, municipality, reading.FEED_ENTRIES)
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    slug = municipality.slug
    # Ids and links under the installation's base_url: the same whichever host name the request used.
    feed_url = api.absolute_url("pages.feed", municipality=slug)
    _text(root, "id", feed_url)
    _text(root, "title", _("News from %(name)s", name=municipality.name))
    newest = max((_updated(p) for p, _owner in items), default=None)
    _text(root, "updated", (newest or datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))).isoformat())
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "href": feed_url, "type": "application/atom+xml"})
    ET.SubElement(
        root,
        f"{{{ATOM}}}link",
        {"rel": "alternate", "href": api.absolute_url("pages.news", municipality=slug)},
    )
    author = ET.SubElement(root, f"{{{ATOM}}}author")
    _text(author, "name", municipality.name)
    zone = ZoneInfo(municipality.timezone)
    for page, owner in items:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        url = api.absolute_url("pages.show", municipality=slug, page_id=page.id)
        _text(entry, "id", url)
        _text(entry, "title", page.title)
        _text(entry, "updated", _updated(page).isoformat())
        if page.news_date is not None:
            _text(entry, "published", datetime.combine(page.news_date, time(0), zone).isoformat())
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": url})
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        _text(entry_author, "name", owner)
        html = render.page_html(page.body, page.body_html, page.render_version)
        _text(entry, "content", str(html), type="html")
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")
