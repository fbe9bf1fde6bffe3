"""Fixtures for the pages plugin: the world with the plugin on in both municipalities, and a quick way to
write pages through its services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from broen import api
from broen.core import accounts
from broen.plugins.pages import services
from broen.plugins.pages.models import Audience, Kind, Page
from tests.conftest import Client, World

MakePage = Callable[..., int]


@pytest.fixture
def pages_world(app: Flask, world: World) -> World:
    """The world, with the pages plugin on in both municipalities."""
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "pages", True)
    return world


@pytest.fixture
def make_page(app: Flask, pages_world: World) -> MakePage:
    """A page (or news item) of `slug`, written by its coordinator and, unless `audience` is None,
    published by its admin; returns its id."""

    def make(
        title: str,
        slug: str = "silkeborg",
        audience: Audience | None = Audience.MUNICIPALITY,
        role: str | None = None,
        body: str = "Some text.",
        kind: Kind = Kind.PAGE,
        parent: int | None = None,
        news_date: date | None = None,
    ) -> int:
        db = app.extensions["broen.db"]
        with app.app_context():
            m = db.session.merge(pages_world.municipalities[slug])
            writer = db.session.merge(pages_world.user(slug, "coordinator"))
            admin = db.session.merge(pages_world.user(slug, "admin"))
            above = db.session.get(Page, parent) if parent else None
            data = services.PageData(title, body, news_date=news_date or date(2026, 1, 5))
            page = services.create_page(db, m, writer, data, kind=kind, parent=above)
            if audience is not None:
                services.publish(db, page, admin, audience, api.Role(role) if role else None)
            page_id: int = page.id
            return page_id

    return make


def logged_in(make_client: Any, world: World, role: str, slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client
