"""The pages plugin as a plugin: installed through its entry point, off means 404 and no news panel, and
its lists cost the same number of SQL statements for 5 pages as for 50."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import pytest
from flask import Flask

from broen.core import accounts
from broen.plugins.pages import render, services
from broen.plugins.pages.models import Kind, Page
from tests.conftest import World, db_of, text_of
from tests.plugins.pages.conftest import MakePage, logged_in
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_the_plugin_is_installed_through_its_entry_point_and_off_means_404_and_no_panel(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="broen") if e.name == "pages"]
    assert entry.value == "broen.plugins.pages"
    info = app.extensions["broen.plugins"].info["pages"]
    assert (info.title_da, info.title_en) == ("Sider og nyheder", "Pages and news")
    make_page("Coffee next week", kind=Kind.NEWS)
    client = logged_in(make_client, pages_world, "mentor")
    home = text_of(client.get("/silkeborg/"))
    assert "Coffee next week" in home and "Pages and news" in home
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), pages_world.municipalities["silkeborg"], "pages", False)
    assert client.get("/silkeborg/pages/").status_code == 404
    assert client.get("/silkeborg/pages/news.atom").status_code == 404
    home = text_of(client.get("/silkeborg/"))
    assert "Coffee next week" not in home and "Pages and news" not in home


def statements(app: Flask, client: Any, path: str) -> int:
    client.get(path)  # warm: the session, the plugin states
    with count_statements(app) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


@SQLITE_ONLY
def test_the_tree_the_news_list_the_panel_and_the_feed_cost_the_same_for_5_and_50_pages(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    client = logged_in(make_client, pages_world, "coordinator")
    paths = ["/silkeborg/pages/", "/silkeborg/pages/news", "/silkeborg/", "/silkeborg/pages/news.atom"]

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            parent = make_page(f"Page {i}")
            make_page(f"Sub-page {i}", parent=parent)
            make_page(f"News {i}", kind=Kind.NEWS)

    add(5, 0)
    few = {path: statements(app, client, path) for path in paths}
    add(45, 5)
    many = {path: statements(app, client, path) for path in paths}
    assert many == few
    assert "News 49" in text_of(client.get("/silkeborg/"))  # the newest first (same date: latest saved)


@SQLITE_ONLY
def test_pages_saved_under_older_sanitiser_rules_are_shown_and_stored_made_again(
    app: Flask, pages_world: World, make_client: Any, make_page: MakePage
) -> None:
    page_id = make_page("Old", body="**bold**")
    with app.app_context():
        db = db_of(app)
        page = db.session.get_one(Page, page_id)
        page.body_html, page.render_version = "<p>stale <script>x()</script></p>", render.RENDER_VERSION - 1
        db.session.commit()
    client = logged_in(make_client, pages_world, "mentor")
    shown = client.get(f"/silkeborg/pages/{page_id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in shown and "stale" not in shown
    with app.app_context():
        assert services.rerender_stale(db_of(app)) == 1
        page = db_of(app).session.get_one(Page, page_id)
        assert (
            page.body_html == "<p><strong>bold</strong></p>\n"
            and page.render_version == render.RENDER_VERSION
        )
