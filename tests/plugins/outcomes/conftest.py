"""Fixtures for the outcomes plugin: the world with the plugin on, a small test plugin ("extra") that
contributes a figure of every kind, and citizens with a hand-written status history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import insert

from broen import api
from broen.core import accounts
from broen.core.models import Citizen, CitizenStatus, CitizenStatusChange
from tests.conftest import EXAMPLE_PLUGIN, World, db_of, make_app

S = CitizenStatus


class Extra:
    """A plugin contributing a people, a share, a mean and a total figure, by municipality slug."""

    #: slug → (flex job people, kept, of, WHO-5 sum, WHO-5 of, hours)
    numbers = {
        "silkeborg": (2, 8, 10, 0, 0, 37.5),
        "norddjurs": (1, 3, 5, 0, 0, 20),
    }

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return api.PluginInfo(name="extra", title_da="Ekstra", title_en="Extra")

    @api.hookimpl
    def broen_outcome_figures(
        self, municipality: api.Municipality, start: date, end: date
    ) -> list[api.OutcomeFigure]:
        flex, kept, of, who5, who5_of, hours = self.numbers.get(municipality.slug, (0, 0, 0, 0, 0, 0))
        return [
            api.OutcomeFigure(
                "extra.flexjob", "Into a flex job", flex, chart="work", order=110, note="Flex."
            ),
            api.OutcomeFigure(
                "extra.hours",
                "=Paid hours",
                hours,
                kind="total",
                unit="hours a week",
                chart="work",
                order=140,
            ),
            api.OutcomeFigure(
                "extra.kept", "Kept the job", kept, kind="share", of=of, chart="retention", order=210
            ),
            api.OutcomeFigure(
                "extra.who5", "WHO-5 at start", who5, kind="mean", of=who5_of, chart="wellbeing", order=320
            ),
        ]


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app with the "extra" test plugin installed (on where `outcomes_world` turns it on)."""
    app = make_app(database_url, plugins=[EXAMPLE_PLUGIN, ("extra", Extra())])
    yield app
    app.extensions["broen.db"].dispose()


@pytest.fixture
def outcomes_world(app: Flask, world: World) -> World:
    """The world, with the outcomes plugin and the extra test plugin on in both municipalities."""
    with app.app_context():
        db = db_of(app)
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "outcomes", True)
            accounts.set_plugin_enabled(db, m, "extra", True)
    return world


History = list[tuple[CitizenStatus, date]]


@pytest.fixture
def add_history(app: Flask) -> Callable[..., list[int]]:
    """Citizens of `slug` with the given status histories, written as rows (in bulk, as a big
    municipality's data would be): returns their ids. Changes are written in the order given."""

    def add(world: World, slug: str, histories: list[History]) -> list[int]:
        with app.app_context():
            db = db_of(app)
            municipality = world.municipalities[slug]
            rows = [
                {
                    "municipality_id": municipality.id,
                    "name": f"Person {n:04d}",
                    "search_name": f"person {n:04d}",
                    "status": history[-1][0],
                    "status_since": history[-1][1],
                }
                for n, history in enumerate(histories)
            ]
            ids = list(db.session.scalars(insert(Citizen).returning(Citizen.id), rows))
            changes = [
                {"citizen_id": citizen_id, "status": status, "on": on}
                for citizen_id, history in zip(ids, histories, strict=True)
                for status, on in history
            ]
            db.session.execute(insert(CitizenStatusChange), changes)
            db.session.commit()
        return ids

    return add
