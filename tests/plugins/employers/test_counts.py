"""The start page's panel, a company's page, the check-in worklist and the figures send the same number of
SQL statements with 2 and with 200 citizens' records (no query per row), on both databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import insert

from broen import api
from broen.core.models import Citizen, CitizenStatus, Municipality
from broen.plugins.employers import services
from broen.plugins.employers.models import (
    Contact,
    Outcome,
    Placement,
    PlacementKind,
    Task,
    TaskKind,
    TaskStatus,
)
from tests.conftest import Client, World, db_of, text_of
from tests.plugins.employers.conftest import BOTH, logged_in, make_company
from tests.sqlcount import count_statements


def seed(app: Flask, world: World, company_id: int, count: int, today: date) -> None:
    """`count` citizens of the coordinator, each with a contact with the company and a flex job started ten
    weeks ago with two overdue check-ins and one due today (bulk, as a big municipality's data would be)."""
    m, coordinator = world.municipalities["silkeborg"], world.user("silkeborg", "coordinator")
    with app.app_context():
        db = db_of(app)
        citizens = list(
            db.session.scalars(
                insert(Citizen).returning(Citizen.id),
                [
                    {
                        "municipality_id": m.id,
                        "name": f"Person {n:04d}",
                        "search_name": f"person {n:04d}",
                        "status": CitizenStatus.ACTIVE,
                        "status_since": date(2026, 1, 1),
                        "contact_person_id": coordinator.id,
                    }
                    for n in range(count)
                ],
            )
        )
        common = {"municipality_id": m.id, "company_id": company_id}
        db.session.execute(
            insert(Contact),
            [{**common, "citizen_id": c, "on": today, "outcome": Outcome.LATER} for c in citizens],
        )
        start = today - timedelta(weeks=10)
        placements = list(
            db.session.scalars(
                insert(Placement).returning(Placement.id),
                [
                    {
                        **common,
                        "citizen_id": c,
                        "kind": PlacementKind.FLEXJOB,
                        "start_on": start,
                        "hours_per_week": 10,
                    }
                    for c in citizens
                ],
            )
        )
        db.session.execute(
            insert(Task),
            [
                {
                    "municipality_id": m.id,
                    "placement_id": p,
                    "kind": TaskKind.CHECKIN,
                    "week": week,
                    "due_on": due,
                    "status": TaskStatus.OPEN,
                }
                for p in placements
                for week, due in (
                    (2, start + timedelta(weeks=2)),
                    (8, start + timedelta(weeks=8)),
                    (10, today),
                )
            ],
        )
        db.session.commit()


def measure(app: Flask, world: World, client: Client, company_id: int) -> dict[str, int]:
    pages = {
        "home": "/silkeborg/",
        "company": f"/silkeborg/employers/companies/{company_id}",
        "worklist": "/silkeborg/employers/checkins?who=everyone",
        "companies": "/silkeborg/employers/",
    }
    counts = {}
    for name, url in pages.items():
        client.get(url)  # warm caches
        with count_statements(app) as seen:
            response = client.get(url)
        assert response.status_code == 200
        assert name == "companies" or "Person 0" in text_of(response)
        counts[name] = len(seen)
    with app.test_request_context():
        m = db_of(app).session.get_one(Municipality, world.municipalities["silkeborg"].id)
        with count_statements(app) as seen:
            api.outcome_figures(m, date(2025, 1, 1), services.local_today(m))
        counts["figures"] = len(seen)
    return counts


@BOTH
def test_the_lists_and_figures_do_not_send_a_query_per_record(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w)
    with app.app_context():
        today = services.local_today(
            db_of(app).session.get_one(Municipality, w.municipalities["silkeborg"].id)
        )
    client = logged_in(make_client, w)
    seed(app, w, company, 2, today)
    small = measure(app, w, client, company)
    seed(app, w, company, 198, today)
    big = measure(app, w, client, company)
    assert big == small
    assert small["figures"] <= 2  # the plugins that are on, and the placements
    home = text_of(client.get("/silkeborg/"))
    assert "400 overdue" in home and "See all (400)" in home and "See all (200)" in home
