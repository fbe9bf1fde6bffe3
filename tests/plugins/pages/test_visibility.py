"""Who reads which page: every audience (installation, municipality, one role) and drafts, by every role of
both municipalities, through everything that shows pages: the tree, the page itself, the news list, the
start page's news panel and the Atom feed. On SQLite and PostgreSQL (the condition is SQL)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import Flask

from broen.plugins.pages.models import Audience, Kind
from tests.conftest import World, text_of
from tests.plugins.pages.conftest import MakePage, logged_in

ATOM = "{http://www.w3.org/2005/Atom}"
ROLES = ("admin", "coordinator", "mentor", "participant")

#: (title, owner, audience, role): None audience is a draft.
PAGES = [
    ("Silkeborg draft", "silkeborg", None, None),
    ("Silkeborg for everyone", "silkeborg", Audience.INSTALLATION, None),
    ("Silkeborg for the municipality", "silkeborg", Audience.MUNICIPALITY, None),
    ("Silkeborg for mentors", "silkeborg", Audience.ROLE, "mentor"),
    ("Norddjurs for the municipality", "norddjurs", Audience.MUNICIPALITY, None),
    ("Norddjurs for participants", "norddjurs", Audience.ROLE, "participant"),
]


def may_read(viewer: str, role: str, owner: str, audience: Audience | None, for_role: str | None) -> bool:
    """The rule as the issue states it, written out independently of the plugin's SQL."""
    own = viewer == owner
    if audience is None:
        return own and role in ("admin", "coordinator")
    if audience == Audience.INSTALLATION:
        return True
    if audience == Audience.MUNICIPALITY:
        return own
    return own and role in (for_role, "admin")


def feed_titles(response: Any) -> set[str]:
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(  # noqa: S314  # our own feed, in a test
        response.get_data()
    )
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{required}") is not None, required
    titles = set()
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "link", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        titles.add(entry.findtext(f"{ATOM}title") or "")
    return titles


def test_each_role_of_each_municipality_reads_exactly_what_is_published_to_it(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    ids: dict[str, int] = {}
    for title, owner, audience, role in PAGES:
        ids[title] = make_page(title, owner, audience, role)
        news = f"News: {title}"
        ids[news] = make_page(news, owner, audience, role, kind=Kind.NEWS)
    problems = []
    for viewer in ("silkeborg", "norddjurs"):
        for role in ROLES:
            client = logged_in(make_client, pages_world, role, viewer)
            who = f"{role}@{viewer}"
            expected = {t for t, o, a, r in PAGES if may_read(viewer, role, o, a, r)}
            tree = text_of(client.get(f"/{viewer}/pages/"))
            shown = {t for t, *_ in PAGES if t in tree}
            if shown != expected:
                problems.append(f"{who} tree: {sorted(shown)} != {sorted(expected)}")
            for title, page_id in ids.items():
                status = client.get(f"/{viewer}/pages/{page_id}").status_code
                if status != (200 if title.removeprefix("News: ") in expected else 404):
                    problems.append(f"{who} GET {title}: {status}")
            news_expected = {f"News: {t}" for t in expected}
            news_page = text_of(client.get(f"/{viewer}/pages/news"))
            if (listed := {t for t in ids if t.startswith("News:") and t in news_page}) != news_expected:
                problems.append(f"{who} news: {sorted(listed)}")
            # The start page and the feed: published news only (a writer finds drafts on the list).
            published = news_expected - {"News: Silkeborg draft"}
            home = text_of(client.get(f"/{viewer}/"))
            if (panel := {t for t in ids if t.startswith("News:") and t in home}) != published:
                problems.append(f"{who} home panel: {sorted(panel)}")
            if (fed := feed_titles(client.get(f"/{viewer}/pages/news.atom"))) != published:
                problems.append(f"{who} feed: {sorted(fed)}")
    assert not problems, "\n".join(problems)


def test_an_installation_wide_page_is_read_under_ones_own_municipality_and_never_edited_there(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    page_id = make_page("The method", "silkeborg", Audience.INSTALLATION, body="## Du bestemmer")
    client = logged_in(make_client, pages_world, "admin", "norddjurs")
    page = client.get(f"/norddjurs/pages/{page_id}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Du bestemmer" in text and "From Silkeborg Kommune, for everyone in the installation." in text
    assert "Edit" not in text and "Versions" not in text
    # Writing is only ever about the municipality's own pages.
    for path in ("edit", "publish", "unpublish", "delete", "versions"):
        assert client.get(f"/norddjurs/pages/{page_id}/{path}").status_code == 404, path
    # Under the owner's URL the Norddjurs admin has no role at all.
    assert client.get(f"/silkeborg/pages/{page_id}").status_code == 403
