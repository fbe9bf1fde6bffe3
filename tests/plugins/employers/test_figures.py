"""The employers figures of the outcome report, by hand on a small cohort, on both databases: people into
a flex job / ordinary job / education (distinct citizens, start in the period), paid hours a week running on
the period's last day, and retention at 3 and 6 calendar months — with a placement ended before 3 months,
one ended on its 6-month day, one whose 6-month day is the day after the period, and an internship, which
counts nowhere."""

from __future__ import annotations

from datetime import date

from flask import Flask

from broen import api
from broen.core.models import Citizen, Municipality
from broen.plugins.employers import services
from broen.plugins.employers.models import Placement
from tests.conftest import World, db_of
from tests.plugins.employers.conftest import BOTH, make_citizen, make_company, place, user

START, END = date(2025, 1, 1), date(2025, 6, 30)


def end(app: Flask, world: World, placement_id: int, on: date) -> None:
    with app.app_context():
        db = db_of(app)
        services.end_placement(
            db, db.session.get_one(Placement, placement_id), user(app, world), on, "Stopped"
        )


def figures(app: Flask, world: World, slug: str = "silkeborg") -> dict[str, tuple[float, int | None]]:
    with app.test_request_context():
        m = db_of(app).session.get_one(Municipality, world.municipalities[slug].id)
        found = api.outcome_figures(m, START, END)
    return {f.key: (f.value, f.of) for f in found if f.key.startswith("employers.")}


@BOTH
def test_the_figures_match_a_cohort_counted_by_hand(app: Flask, employers_world: World) -> None:
    w = employers_world
    company = make_company(app, w)
    a, b, c, d, e, f, g, h = (make_citizen(app, w, f"Person {x}") for x in "ABCDEFGH")
    place(app, w, a, company, "flexjob", date(2025, 2, 10), "10")  # 3m 10 May: kept; 10 h on the end
    a2 = place(app, w, a, company, "flexjob", date(2025, 3, 1), "5")  # same citizen; 3m 1 Jun: ended before
    end(app, w, a2, date(2025, 5, 15))
    b1 = place(app, w, b, company, "ordinary_job", date(2024, 12, 31), "37")  # 3m 31 Mar, 6m 30 Jun: kept
    end(app, w, b1, date(2025, 6, 30))  # ended on the last day: not running on it, but kept at 6m
    place(app, w, c, company, "education", date(2025, 1, 1), None)  # 3m 1 Apr kept; 6m 1 Jul: outside
    place(app, w, d, company, "internship", date(2025, 2, 1), "15")  # counts nowhere
    place(app, w, e, company, "ordinary_job", date(2025, 6, 30), "20")  # starts on the last day
    place(app, w, f, company, "flexjob", date(2024, 7, 15), "8")  # 6m 15 Jan: kept; 8 h
    g1 = place(app, w, g, company, "flexjob", date(2024, 9, 30), "12,5")  # 6m 30 Mar: ended before
    end(app, w, g1, date(2025, 2, 15))
    place(app, w, h, company, "flexjob", date(2025, 7, 1), "30")  # after the period
    other = make_company(app, w, "Elsewhere", slug="norddjurs")
    place(app, w, w.citizens["norddjurs"][0], other, "flexjob", date(2025, 3, 3), "9", slug="norddjurs")

    assert figures(app, w) == {
        "employers.flexjob": (1, None),
        "employers.ordinary_job": (1, None),
        "employers.education": (1, None),
        "employers.paid_hours": (38.0, None),
        "employers.retention_3m": (3, 4),
        "employers.retention_6m": (2, 3),
    }
    assert figures(app, w, "norddjurs")["employers.flexjob"] == (1, None)
    assert figures(app, w, "norddjurs")["employers.paid_hours"] == (9.0, None)
    with app.test_request_context():
        m = db_of(app).session.get_one(Municipality, w.municipalities["silkeborg"].id)
        found = {x.key: x for x in api.outcome_figures(m, START, END)}
    assert (found["employers.paid_hours"].kind, found["employers.paid_hours"].unit) == (
        "total",
        "hours a week",
    )
    assert found["employers.retention_6m"].chart == "retention" and found["employers.flexjob"].chart == "work"
    assert [found[k].order for k in ("employers.flexjob", "employers.retention_6m")] == [110, 220]
    with app.app_context():
        assert db_of(app).session.get_one(Citizen, a).name == "Person A"
