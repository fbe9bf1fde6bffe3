"""Fixtures for the employers plugin: the world with the plugin on in both municipalities, and helpers that
make companies, citizens and placements through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import Citizen, Municipality, User
from broen.plugins.employers import services
from broen.plugins.employers.models import Company, Placement
from tests.conftest import Client, World, db_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BOTH = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)


@pytest.fixture
def employers_world(app: Flask, world: World) -> World:
    """The world, with the employers plugin on in both municipalities."""
    with app.app_context():
        db = db_of(app)
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "employers", True)
    return world


def municipality(app: Flask, world: World, slug: str = "silkeborg") -> Municipality:
    found: Municipality = db_of(app).session.get_one(Municipality, world.municipalities[slug].id)
    return found


def user(app: Flask, world: World, role: str = "coordinator", slug: str = "silkeborg") -> User:
    found: User = db_of(app).session.get_one(User, world.user(slug, role).id)
    return found


def citizen(app: Flask, world: World, n: int = 0, slug: str = "silkeborg") -> Citizen:
    found: Citizen = db_of(app).session.get_one(Citizen, world.citizens[slug][n])
    return found


def make_company(
    app: Flask, world: World, name: str = "Bageriet Kornblomsten", slug: str = "silkeborg", **facts: Any
) -> int:
    with app.app_context():
        return services.create_company(
            db_of(app),
            municipality(app, world, slug),
            user(app, world, slug=slug),
            services.CompanyData(name=name, **facts),
        ).id


def make_citizen(
    app: Flask, world: World, name: str, contact: str = "coordinator", slug: str = "silkeborg"
) -> int:
    """A citizen of `slug` whose contact person is the user of role `contact`."""
    with app.app_context():
        by = user(app, world, contact, slug)
        return create_citizen(
            db_of(app), municipality(app, world, slug), by, CitizenData(name=name, contact_person_id=by.id)
        ).id


def place(
    app: Flask,
    world: World,
    citizen_id: int,
    company_id: int,
    kind: str,
    start: date,
    hours: str | None = "10",
    slug: str = "silkeborg",
) -> int:
    with app.app_context():
        db = db_of(app)
        return services.record_placement(
            db,
            db.session.get_one(Citizen, citizen_id),
            user(app, world, slug=slug),
            db.session.get_one(Company, company_id),
            services.PlacementData(kind=kind, start_on=start, hours_per_week=hours),
        ).id


def tasks_of(app: Flask, placement_id: int) -> list[tuple[str, int | None, date, str]]:
    """(kind, week, due, status) of a placement's tasks, by due date."""
    with app.app_context():
        p = db_of(app).session.get_one(Placement, placement_id)
        return [(t.kind.value, t.week, t.due_on, t.status.value) for t in p.tasks]


def logged_in(
    make_client: Callable[[], Client], world: World, role: str = "coordinator", slug: str = "silkeborg"
) -> Client:
    client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client
