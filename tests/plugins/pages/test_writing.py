"""Writing pages as the writers click through it: drafts, versions (compare, restore), publishing (admins
only), unpublishing and deleting (with confirmation; refused while a page has sub-pages), bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry
from broen.plugins.pages.models import Audience, Page, PageVersion, Status
from tests.conftest import World, db_of, text_of
from tests.plugins.pages.conftest import MakePage, logged_in

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BASE = "/silkeborg/pages"


@SQLITE_ONLY
def test_every_save_that_changes_the_text_is_a_version_to_compare_and_bring_back(
    app: Flask, pages_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, pages_world, "coordinator")
    created = client.submit(f"{BASE}/new", {"title": "Café checklist", "body": "Book the room\nBuy coffee"})
    assert created.status_code == 302
    page_id = int(created.location.rsplit("/", 1)[1])
    assert "Draft: only the municipality's admins and coordinators can see it." in text_of(
        client.get(created.location)
    )
    edit = f"{BASE}/{page_id}/edit"
    client.submit(edit, {"title": "Café checklist", "body": "Book the room\nBuy <b>tea</b>"})
    client.submit(edit, {"title": "Café checklist", "body": "Book the room\nBuy <b>tea</b>", "position": "3"})
    unchanged = client.submit(
        edit, {"title": "Café checklist", "body": "Book the room\nBuy <b>tea</b>", "position": "3"}
    )
    assert "Nothing was changed." in text_of(client.get(unchanged.location))

    versions = text_of(client.get(f"{BASE}/{page_id}/versions"))
    assert "Version 2" in versions and "Version 3" not in versions  # the position is not a new version
    compare = client.get(f"{BASE}/{page_id}/versions/compare").get_data(as_text=True)
    assert '<del><span class="sr-only">Removed: </span>- Buy coffee</del>' in compare
    assert '<ins><span class="sr-only">Added: </span>+ Buy &lt;b&gt;tea&lt;/b&gt;</ins>' in compare
    assert "<span>  Book the room</span>" in compare and "<b>tea" not in compare

    with app.app_context():
        first = db_of(app).session.scalars(select(PageVersion).where(PageVersion.number == 1)).one()
    confirm = client.get(f"{BASE}/{page_id}/versions/{first.id}/restore")
    assert "Bring back version 1?" in text_of(confirm)
    restored = client.submit(f"{BASE}/{page_id}/versions/{first.id}/restore", {})
    assert restored.status_code == 302
    assert "Version 1 is brought back as a new version." in text_of(client.get(restored.location))
    with app.app_context():
        session = db_of(app).session
        page = session.get_one(Page, page_id)
        assert (
            page.body == "Book the room\nBuy coffee" and "<p>Book the room\nBuy coffee</p>" in page.body_html
        )
        numbers = session.scalars(select(PageVersion.number).where(PageVersion.page_id == page_id)).all()
        assert sorted(numbers) == [1, 2, 3]
        details = session.scalars(
            select(AuditEntry.details).where(AuditEntry.object_type == "pages_page")
        ).all()
        # Field names only, never the text.
        assert all("coffee" not in str(d) and "tea" not in str(d) for d in details)
        assert {"fields": ["body"]} in details


@SQLITE_ONLY
def test_only_admins_publish_and_the_audience_role_is_named_when_it_is_missing(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    page_id = make_page("For mentors", audience=None)
    coordinator = logged_in(make_client, pages_world, "coordinator")
    token = coordinator.csrf_token(f"{BASE}/")
    assert (
        coordinator.post(
            f"{BASE}/{page_id}/publish", data={"audience": "municipality", "csrf_token": token}
        ).status_code
        == 403
    )
    assert "Publish" not in text_of(coordinator.get(f"{BASE}/{page_id}"))

    admin = logged_in(make_client, pages_world, "admin")
    refused = admin.submit(f"{BASE}/{page_id}/publish", {"audience": "role", "role": ""})
    assert refused.status_code == 400 and "Choose the role that may read the page." in text_of(refused)
    published = admin.submit(f"{BASE}/{page_id}/publish", {"audience": "role", "role": "mentor"})
    assert published.status_code == 302
    mentor = logged_in(make_client, pages_world, "mentor")
    assert mentor.get(f"{BASE}/{page_id}").status_code == 200
    # A coordinator neither sees nor edits a page published to mentors only.
    assert coordinator.get(f"{BASE}/{page_id}").status_code == 404
    assert coordinator.get(f"{BASE}/{page_id}/edit").status_code == 404

    assert "Unpublish For mentors?" in text_of(admin.get(f"{BASE}/{page_id}/unpublish"))
    assert admin.submit(f"{BASE}/{page_id}/unpublish", {}).status_code == 302
    assert mentor.get(f"{BASE}/{page_id}").status_code == 404
    with app.app_context():
        page = db_of(app).session.get_one(Page, page_id)
        assert page.status == Status.DRAFT and page.audience == Audience.ROLE


@SQLITE_ONLY
def test_a_page_with_sub_pages_is_not_deleted_and_one_without_is_after_confirmation(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    parent = make_page("Method")
    child = make_page("Method in practice", parent=parent)
    client = logged_in(make_client, pages_world, "coordinator")
    assert "Method in practice" in text_of(client.get(f"{BASE}/{parent}"))
    html = client.get(f"{BASE}/{child}").get_data(as_text=True)
    crumbs = re.search(r'<nav aria-label="Breadcrumbs".*?</nav>', html, re.S)
    assert crumbs and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", crumbs.group(0))).split() == [
        "Pages",
        "and",
        "news",
        "Method",
        "Method",
        "in",
        "practice",
    ]
    refused = client.submit(f"{BASE}/{parent}/delete", {}, page=f"{BASE}/")
    assert refused.status_code == 409 and "The page has sub-pages. Delete them first." in text_of(refused)
    assert "Delete Method in practice?" in text_of(client.get(f"{BASE}/{child}/delete"))
    assert client.submit(f"{BASE}/{child}/delete", {}).status_code == 302
    assert client.submit(f"{BASE}/{parent}/delete", {}).status_code == 302
    with app.app_context():
        assert db_of(app).session.scalars(select(Page)).all() == []
        assert db_of(app).session.scalars(select(PageVersion)).all() == []


@SQLITE_ONLY
def test_bad_input_names_the_field_keeps_what_was_typed_and_saves_nothing(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    make_page("Checklist", audience=None)
    client = logged_in(make_client, pages_world, "coordinator")
    empty = client.submit(f"{BASE}/new", {"title": "  ", "body": "Typed text"})
    assert (
        empty.status_code == 400
        and "Title: Write a title." in text_of(empty)
        and "Typed text" in text_of(empty)
    )
    taken = client.submit(f"{BASE}/new", {"title": "Another", "body": "Kept", "slug": "checklist"})
    assert taken.status_code == 400 and "Another page at the same place has this short name" in text_of(taken)
    bad = client.submit(f"{BASE}/new", {"title": "Another", "slug": "Not a slug!"})
    assert bad.status_code == 400 and "Use only small letters" in text_of(bad)
    news = client.submit(f"{BASE}/new?kind=news", {"title": "News", "news_date": ""})
    assert news.status_code == 400 and "Give the news item a date." in text_of(news)
    auto = client.submit(f"{BASE}/new", {"title": "Checklist"})
    assert auto.status_code == 302
    with app.app_context():
        slugs = db_of(app).session.scalars(select(Page.slug).order_by(Page.id)).all()
        assert slugs == ["checklist", "checklist-2"]
