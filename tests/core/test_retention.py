"""Retention: each municipality keeps ended citizens' records for the years its admin chose (5 unless they
chose otherwise); `broen privacy enforce-retention` erases the records that are due, says what it did, and is
safe to run twice; `--dry-run` erases nothing. The admin sets the years under Administration -> Privacy."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from broen.core.citizens.services import CitizenData, create_citizen, end_citizen
from broen.core.dates import add_months
from broen.core.models import Citizen, Municipality
from tests.conftest import Client, World, db_of


def ended(app: Flask, world: World, slug: str, name: str, on: date) -> int:
    with app.test_request_context(f"/{slug}/"):
        db = db_of(app)
        by = world.user(slug, "coordinator")
        citizen = create_citizen(
            db, world.municipalities[slug], by, CitizenData(name=name, email=f"{name}@x.dk")
        )
        end_citizen(db, citizen, by, on)
        return citizen.id


def erased(app: Flask, *ids: int) -> list[bool]:
    with app.app_context():
        db = db_of(app)
        return [db.session.get_one(Citizen, i).erased_at is not None for i in ids]


def test_enforce_retention_erases_what_is_due_says_so_and_is_safe_to_run_twice(
    app: Flask, world: World
) -> None:
    today = date.today()
    old = ended(app, world, "silkeborg", "Oldended", add_months(today, -61))
    recent = ended(app, world, "silkeborg", "Recentended", add_months(today, -59))
    edge = ended(app, world, "norddjurs", "Edgeended", add_months(today, -36) - timedelta(days=1))
    active = world.citizens["silkeborg"][0]
    with app.app_context():
        db = db_of(app)
        db.session.scalars(
            select(Municipality).where(Municipality.slug == "norddjurs")
        ).one().retention_years = 3
        db.session.commit()
    runner = app.test_cli_runner()

    def run(*args: str) -> Any:
        with app.app_context():
            return runner.invoke(args=["privacy", "enforce-retention", *args])

    dry = run("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        "Silkeborg Kommune: records are kept 5 years after the course ended; 1 ended on or before"
        in dry.output
    )
    assert (
        "Norddjurs Kommune: records are kept 3 years" in dry.output
        and "Dry run: nothing was erased." in dry.output
    )
    assert erased(app, old, recent, edge, active) == [False, False, False, False]

    first = run()
    assert first.exit_code == 0, first.output
    assert "Erased 2 citizen records." in first.output
    assert erased(app, old, recent, edge, active) == [True, False, True, False]

    again = run()
    assert again.exit_code == 0 and "Erased 0 citizen records." in again.output
    with app.app_context():
        assert (
            db_of(app).session.scalars(select(Citizen.name).where(Citizen.id == old)).one()
            == "Slettet borger"
        )


def test_an_admin_sets_the_retention_years_of_their_municipality_only(
    app: Flask, world: World, client: Client, make_client: Any
) -> None:
    client.login(world.user("silkeborg", "admin"))
    page = client.get("/admin/privacy/").get_data(as_text=True)
    assert "Silkeborg Kommune" in page and "Norddjurs Kommune" not in page
    silkeborg = world.municipalities["silkeborg"].id
    bad = client.submit(
        "/admin/privacy/", {"form": "retention", "municipality_id": str(silkeborg), "retention_years": "0"}
    )
    assert bad.status_code == 400 and "Write a number of years from 1 to 30." in bad.get_data(as_text=True)
    assert 'value="0"' in bad.get_data(as_text=True)
    good = client.submit(
        "/admin/privacy/", {"form": "retention", "municipality_id": str(silkeborg), "retention_years": "7"}
    )
    assert good.status_code == 302
    with app.app_context():
        assert db_of(app).session.get_one(Municipality, silkeborg).retention_years == 7
    # Another municipality's id changes nothing.
    norddjurs = world.municipalities["norddjurs"].id
    client.submit(
        "/admin/privacy/", {"form": "retention", "municipality_id": str(norddjurs), "retention_years": "2"}
    )
    with app.app_context():
        assert db_of(app).session.get_one(Municipality, norddjurs).retention_years == 5
    coordinator = make_client()
    coordinator.login(world.user("silkeborg", "coordinator"))
    assert coordinator.get("/admin/privacy/").status_code in (302, 403)
