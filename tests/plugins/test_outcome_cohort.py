"""The outcome report with the three follow-up plugins together, checked figure by figure against numbers
worked out by hand for a small cohort (the calculation is in the comments), on SQLite and PostgreSQL.

The period is the first half of 2026. Silkeborg has contacts, employers and outcomes on; Norddjurs has
contacts and outcomes only (the report must work with any subset). The world's own citizens start today,
after the period, so they count nowhere.

Silkeborg (status history; placements; WHO-5 scores):
  A  intake 2025-10-01, active 2025-11-01, in work 2026-02-15 (changes status mid-period);
     flex job from 2026-02-15, 12 h a week, running; WHO-5 40 (2025-10-01), 48, 60 (2026-04-10).
  B  intake 2026-01-15, active 2026-02-01; WHO-5 52 on 2026-01-15 (a first measurement: not counted).
  C  intake 2025-03-01, in education 2025-09-01, ended 2026-03-31 (completed);
     education from 2025-09-01, running.
  D  intake 2026-02-01, ended 2026-05-10 without work (ended early); WHO-5 44, 48 (2026-05-01).
  E  intake 2025-01-10, ended 2025-12-01 (before the period: counts nowhere).
  F  intake 2026-07-05 (after the period: counts nowhere).
  G  intake 2025-06-01, in work 2025-12-20, active again 2026-02-10 (changes status mid-period);
     ordinary job from 2025-12-20, 30 h a week, ended 2026-02-10.
Norddjurs:
  H  intake 2026-03-01; WHO-5 36, 56 (2026-06-01).
  I  intake 2024-05-01, in work 2025-06-01, ended 2026-01-20 (completed).

By hand, Silkeborg / Norddjurs / together:
  enrolled      B, D / H                        2 / 1 / 3
  active        A, B, G (status on 30 June)     3 / 1 / 4
  completed     C / I                           1 / 1 / 2
  ended early   D                               1 / 0 / 1
  flex job      A (started in the period)       1 / (off) / 1;  ordinary job: G started 2025 → 0;  education: 0
  paid hours    A's 12 (G's job has ended)      12
  retention 3m  A (15 May, running) kept; G (20 Mar, ended 10 Feb) not; C's 3 months were 2025 → 1 of 2
  retention 6m  C (1 Mar, running) kept; G (20 Jun) not; A's 6 months are in August → 1 of 2
  WHO-5 gain    A +20 yes, D +4 no / H +20 yes  → 1 of 2 / 1 of 1 / 2 of 3
  WHO-5 start   (40 + 44) / 2 = 42.0 / 36.0 / (40 + 44 + 36) / 3 = 40.0
  WHO-5 latest  (60 + 48) / 2 = 54.0 / 56.0 / (60 + 48 + 56) / 3 = 54.7
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from sqlalchemy import insert, select

from broen.core import accounts
from broen.core.models import Citizen, CitizenStatus, CitizenStatusChange, Role
from broen.plugins.contacts import services as contacts
from broen.plugins.employers import services as employers
from broen.plugins.employers.models import Placement
from broen.plugins.outcomes import services as outcomes
from tests.conftest import Client, World, db_of

S = CitizenStatus
PERIOD = {"start": "2026-01-01", "end": "2026-06-30", "scope": "all"}

HISTORIES = {
    "silkeborg": {
        "A": [(S.INTAKE, date(2025, 10, 1)), (S.ACTIVE, date(2025, 11, 1)), (S.IN_WORK, date(2026, 2, 15))],
        "B": [(S.INTAKE, date(2026, 1, 15)), (S.ACTIVE, date(2026, 2, 1))],
        "C": [(S.INTAKE, date(2025, 3, 1)), (S.IN_EDUCATION, date(2025, 9, 1)), (S.ENDED, date(2026, 3, 31))],
        "D": [(S.INTAKE, date(2026, 2, 1)), (S.ENDED, date(2026, 5, 10))],
        "E": [(S.INTAKE, date(2025, 1, 10)), (S.ENDED, date(2025, 12, 1))],
        "F": [(S.INTAKE, date(2026, 7, 5))],
        "G": [(S.INTAKE, date(2025, 6, 1)), (S.IN_WORK, date(2025, 12, 20)), (S.ACTIVE, date(2026, 2, 10))],
    },
    "norddjurs": {
        "H": [(S.INTAKE, date(2026, 3, 1))],
        "I": [(S.INTAKE, date(2024, 5, 1)), (S.IN_WORK, date(2025, 6, 1)), (S.ENDED, date(2026, 1, 20))],
    },
}

#: WHO-5: the day and the five answers (score = sum x 4).
WHO5 = {
    "A": [(date(2025, 10, 1), [2] * 5), (date(2026, 1, 10), [3, 3, 2, 2, 2]), (date(2026, 4, 10), [3] * 5)],
    "B": [(date(2026, 1, 15), [3, 3, 3, 2, 2])],
    "D": [(date(2026, 2, 1), [3, 2, 2, 2, 2]), (date(2026, 5, 1), [3, 3, 2, 2, 2])],
    "H": [(date(2026, 3, 1), [2, 2, 2, 2, 1]), (date(2026, 6, 1), [3, 3, 3, 3, 2])],
}


def build_cohort(app: Flask, world: World) -> None:
    with app.test_request_context("/silkeborg/"):
        db = db_of(app)
        silkeborg, norddjurs = world.municipalities["silkeborg"], world.municipalities["norddjurs"]
        for m, plugins in (
            (silkeborg, ("outcomes", "contacts", "employers")),
            (norddjurs, ("outcomes", "contacts")),
        ):
            for plugin in plugins:
                accounts.set_plugin_enabled(db, m, plugin, True)
        ids: dict[str, int] = {}
        for slug, histories in HISTORIES.items():
            municipality = world.municipalities[slug]
            for name, history in histories.items():
                ids[name] = db.session.scalar(
                    insert(Citizen)
                    .values(
                        municipality_id=municipality.id,
                        name=f"Citizen {name}",
                        search_name=f"citizen {name.lower()}",
                        status=history[-1][0],
                        status_since=history[-1][1],
                        contact_person_id=world.user(slug, "coordinator").id,
                    )
                    .returning(Citizen.id)
                )
                db.session.execute(
                    insert(CitizenStatusChange),
                    [{"citizen_id": ids[name], "status": s, "on": on} for s, on in history],
                )
        db.session.commit()

        def citizen(name: str) -> Citizen:
            return db.session.get_one(Citizen, ids[name])

        for name, measurements in WHO5.items():
            for on, answers in measurements:
                contacts.record_who5(db, citizen(name), None, on, answers)
        company = employers.create_company(db, silkeborg, None, employers.CompanyData("Bageriet ved Søen"))
        for name, kind, start, hours in (
            ("A", "flexjob", date(2026, 2, 15), "12"),
            ("C", "education", date(2025, 9, 1), None),
            ("G", "ordinary_job", date(2025, 12, 20), "30"),
        ):
            employers.record_placement(
                db, citizen(name), None, company, employers.PlacementData(kind, start, hours)
            )
        g_job = db.session.scalars(select(Placement).where(Placement.citizen_id == ids["G"])).one()
        employers.end_placement(db, g_job, None, date(2026, 2, 10), "Too many hours too soon")
        outcomes.save_targets(silkeborg, [outcomes.Target("outcomes.enrolled", 70)], None)
        outcomes.save_targets(norddjurs, [outcomes.Target("outcomes.enrolled", 70)], None)
        outcomes.save_targets(silkeborg, [outcomes.Target("employers.flexjob", 39, 55)], None)
        outcomes.save_targets(
            silkeborg,
            [outcomes.Target("contacts.who5_gain", None, 70)],
            None,
            {"contacts.who5_gain": "share"},
        )
        outcomes.save_targets(
            norddjurs,
            [outcomes.Target("contacts.who5_gain", None, 80)],
            None,
            {"contacts.who5_gain": "share"},
        )
        # The project lead works in both municipalities.
        accounts.grant_role(db, world.user("silkeborg", "admin"), norddjurs, Role.COORDINATOR)


def report_rows(client: Client) -> dict[str, list[str]]:
    response = client.get("/silkeborg/outcomes/report.csv", query_string=PERIOD)
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Key", "Figure", "Norddjurs Kommune", "Silkeborg Kommune", "Together", "Target",
                       "Percent (of enrolled, or of the share)"]  # fmt: skip
    return {row[0]: row[2:] for row in rows[1:]}


def test_every_figure_of_the_report_is_the_hand_computed_one(
    app: Flask, world: World, client: Client
) -> None:
    build_cohort(app, world)
    client.login(world.user("silkeborg", "admin"))
    rows = report_rows(client)
    # key: Norddjurs, Silkeborg, together, target, percent (together)
    assert rows == {
        "outcomes.enrolled": ["1", "2", "3", "140", ""],
        "outcomes.active": ["1", "3", "4", "", "133.3"],
        "outcomes.completed": ["1", "1", "2", "", "66.7"],
        "outcomes.ended_early": ["0", "1", "1", "", "33.3"],
        "employers.flexjob": ["–", "1", "1", "39 (55 %)", "33.3"],
        "employers.ordinary_job": ["–", "0", "0", "", "0.0"],
        "employers.education": ["–", "0", "0", "", "0.0"],
        "employers.paid_hours": ["–", "12 hours a week", "12 hours a week", "", ""],
        "employers.retention_3m": ["–", "1 of 2", "1 of 2", "", "50.0"],
        "employers.retention_6m": ["–", "1 of 2", "1 of 2", "", "50.0"],
        # Together, the percent target is weighted by each municipality's number counted: (70 x 2 + 80 x 1) / 3.
        "contacts.who5_gain": ["1 of 1", "1 of 2", "2 of 3", "73 %", "66.7"],
        "contacts.who5_start": ["36.0", "42.0", "40.0", "", ""],
        "contacts.who5_latest": ["56.0", "54.0", "54.7", "", ""],
    }
