"""Fixtures for the contacts plugin: the world with the plugin on, and helpers to date a citizen's start
and to log contacts and WHO-5 measurements as the services do."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from broen import api
from broen.core import accounts
from broen.core.models import Citizen, CitizenStatusChange, Municipality, PluginState
from broen.core.plugins import registry
from broen.plugins.contacts import services
from broen.plugins.contacts.models import Contact
from tests.conftest import Client, World, db_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def contacts_world(app: Flask, world: World) -> World:
    """The world, with the contacts plugin on in both municipalities."""
    with app.app_context():
        db = db_of(app)
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "contacts", True)
    return world


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def today_in(world: World, slug: str = "silkeborg") -> date:
    return api.local_today(world.municipalities[slug])


def started(app: Flask, citizen_id: int, days_ago: int, today: date) -> None:
    """Date the citizen's start (their first status change) `days_ago` days before `today`."""
    with app.app_context():
        db = db_of(app)
        db.session.execute(
            update(CitizenStatusChange)
            .where(CitizenStatusChange.citizen_id == citizen_id)
            .values(on=today - timedelta(days=days_ago))
        )
        db.session.commit()


def log(app: Flask, world: World, citizen_id: int, on: date, note: str = "", slug: str = "silkeborg") -> int:
    with app.app_context():
        db = db_of(app)
        citizen = db.session.get_one(Citizen, citizen_id)
        contact = services.log_contact(
            db,
            citizen,
            world.user(slug, "coordinator"),
            services.ContactData(on=on, form="meeting", initiative="coordinator", note=note),
        )
        return contact.id


def answers_for(score: int) -> list[int]:
    """Five answers whose score (sum times 4) is `score`."""
    total = score // 4
    return [total // 5 + (1 if n < total % 5 else 0) for n in range(5)]


def save_settings(app: Flask, municipality: Municipality, **values: Any) -> None:
    """Store the contacts plugin's settings, as the admin's settings form does."""
    with app.app_context():
        db = db_of(app)
        state = db.session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == municipality.id, PluginState.plugin == "contacts"
            )
        )
        assert state is not None
        state.settings = registry().encode_settings("contacts", values)
        db.session.commit()


def contact_count(app: Flask) -> int:
    with app.app_context():
        return len(db_of(app).session.scalars(select(Contact.id)).all())
