"""The start page's panel, the worklist page and the report's figures send the same number of SQL
statements for 2 citizens as for 200 (with their contacts and measurements), on SQLite and PostgreSQL;
and the worklist is paginated."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, select

from broen.core.models import Citizen, CitizenStatus, CitizenStatusChange
from broen.plugins.contacts import figures
from broen.plugins.contacts.models import Contact, ContactForm, Initiative, Rhythm, Who5
from tests.conftest import World, db_of, text_of
from tests.plugins.contacts.conftest import logged_in, today_in
from tests.sqlcount import count_statements


def seed(app: Flask, world: World, first: int, count: int) -> None:
    """`count` citizens of Silkeborg's coordinator (bulk, as a big municipality's data would be), each
    started 60 days ago with two contacts and two WHO-5 measurements, every third with a rhythm of their own."""
    today = today_in(world)
    with app.app_context():
        db = db_of(app)
        municipality = world.municipalities["silkeborg"]
        coordinator = world.user("silkeborg", "coordinator")
        rows = [
            {
                "municipality_id": municipality.id,
                "name": f"Person {n:04d}",
                "search_name": f"person {n:04d}",
                "status": CitizenStatus.ACTIVE,
                "status_since": today - timedelta(days=60),
                "contact_person_id": coordinator.id,
            }
            for n in range(first, first + count)
        ]
        ids = list(db.session.scalars(insert(Citizen).returning(Citizen.id), rows))
        db.session.execute(
            insert(CitizenStatusChange),
            [
                {"citizen_id": i, "status": CitizenStatus.ACTIVE, "on": today - timedelta(days=60)}
                for i in ids
            ],
        )
        db.session.execute(
            insert(Contact),
            [
                {
                    "municipality_id": municipality.id,
                    "citizen_id": i,
                    "on": today - timedelta(days=days + n % 20),
                    "form": ContactForm.PHONE,
                    "initiative": Initiative.CITIZEN,
                    "note": "",
                }
                for n, i in enumerate(ids)
                for days in (10, 40)
            ],
        )
        db.session.execute(
            insert(Who5),
            [
                {
                    "municipality_id": municipality.id,
                    "citizen_id": i,
                    "on": on,
                    **{f"item{k}": 2 + (n + k) % 3 for k in range(1, 6)},
                    "score": 40 + 4 * (n % 10),
                }
                for n, i in enumerate(ids)
                for on in (date(2026, 1, 5), date(2026, 4, 5))
            ],
        )
        db.session.execute(
            insert(Rhythm),
            [{"municipality_id": municipality.id, "citizen_id": i, "weeks": 2} for i in ids[::3]],
        )
        db.session.commit()


def measure(app: Flask, world: World, make_client: Any) -> tuple[int, int, int]:
    client = logged_in(make_client, world)
    with count_statements(app) as home:
        assert client.get("/silkeborg/").status_code == 200
    with count_statements(app) as worklist:
        assert client.get("/silkeborg/contacts/?scope=all").status_code == 200
    with app.app_context(), count_statements(app) as report:
        figures.outcome_figures(world.municipalities["silkeborg"], date(2026, 1, 1), date(2026, 6, 30))
    return len(home), len(worklist), len(report)


def test_the_pages_and_figures_statements_do_not_grow_with_the_citizens(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    seed(app, contacts_world, 0, 2)
    small = measure(app, contacts_world, make_client)
    seed(app, contacts_world, 2, 198)
    big = measure(app, contacts_world, make_client)
    assert small == big
    assert big[2] == 1  # the figures are one statement
    client = logged_in(make_client, contacts_world)
    page = text_of(client.get("/silkeborg/contacts/?scope=all&page=9"))
    assert "203 citizens" in page and "Page 9 of 9" in page
    home = text_of(client.get("/silkeborg/"))
    assert "See all (" in home
    with app.app_context():
        assert len(db_of(app).session.scalars(select(Rhythm.id)).all()) == 67
