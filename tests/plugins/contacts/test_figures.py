"""The outcome report's WHO-5 figures, by hand on a small cohort (SQLite and PostgreSQL must agree): only
citizens measured in the period again after their first measurement count, with their latest in the
period against their first ever."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from broen.core.citizens.services import CitizenData, create_citizen
from broen.plugins.contacts import figures, services
from tests.conftest import World, db_of
from tests.plugins.contacts.conftest import answers_for

START, END = date(2026, 1, 1), date(2026, 3, 31)


def test_the_who5_figures_match_a_cohort_counted_by_hand(app: Flask, contacts_world: World) -> None:
    cohort = {
        # citizen: [(day, score), ...]; the first ever counts as the start, the latest in the period as now
        "A": [(date(2025, 10, 1), 40), (date(2026, 1, 15), 48), (date(2026, 3, 1), 56)],  # +16: a gain
        "B": [(date(2026, 2, 1), 32)],  # first ever in the period: not counted
        "C": [(date(2025, 11, 1), 60), (date(2026, 2, 10), 52)],  # -8
        "D": [(date(2025, 12, 1), 20), (date(2026, 4, 15), 80)],  # none in the period: not counted
        "E": [(date(2026, 1, 5), 20), (date(2026, 3, 20), 36)],  # two in the period: the latest counts, +16
        "F": [(date(2025, 9, 1), 48), (date(2026, 3, 31), 60), (date(2026, 4, 2), 0)],  # +12 on the last day
    }
    with app.app_context():
        db = db_of(app)
        silkeborg = contacts_world.municipalities["silkeborg"]
        by = contacts_world.user("silkeborg", "coordinator")
        for name, measurements in cohort.items():
            citizen = create_citizen(db, silkeborg, by, CitizenData(name=f"Borger {name}"))
            for on, score in measurements:
                services.record_who5(db, citizen, by, on, answers_for(score))
        # Another municipality's citizen with a big gain in the period is not Silkeborg's.
        norddjurs = contacts_world.municipalities["norddjurs"]
        other = create_citizen(db, norddjurs, by, CitizenData(name="Borger G"))
        services.record_who5(db, other, by, date(2025, 10, 1), answers_for(8))
        services.record_who5(db, other, by, date(2026, 2, 2), answers_for(92))

        found = {f.key: f for f in figures.outcome_figures(silkeborg, START, END)}
        assert [(f.value, f.of) for f in found.values()] == [
            (3, 4),
            (40 + 60 + 20 + 48, 4),
            (56 + 52 + 36 + 60, 4),
        ]
        gain = found["contacts.who5_gain"]
        assert (gain.kind, gain.chart, gain.order) == ("share", "wellbeing", 310)
        assert gain.label == "Clinically significant gain in wellbeing (WHO-5, 10 points or more)"
        assert [found[k].kind for k in ("contacts.who5_start", "contacts.who5_latest")] == ["mean", "mean"]
        assert all(f.note for f in found.values())
        assert next((f.value, f.of) for f in figures.outcome_figures(norddjurs, START, END)) == (1, 1)
        # A period with no one measured again still has its figures, at 0 of 0.
        empty = figures.outcome_figures(silkeborg, date(2024, 1, 1), date(2024, 12, 31))
        assert [(f.key, f.value, f.of) for f in empty] == [
            ("contacts.who5_gain", 0, 0),
            ("contacts.who5_start", 0, 0),
            ("contacts.who5_latest", 0, 0),
        ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_report_gathers_the_figures_only_where_the_plugin_is_on(
    app: Flask, contacts_world: World
) -> None:
    from broen import api
    from broen.core import accounts

    with app.test_request_context("/silkeborg/"):
        keys = [f.key for f in api.outcome_figures(contacts_world.municipalities["silkeborg"], START, END)]
        assert {"contacts.who5_gain", "contacts.who5_start", "contacts.who5_latest"} <= set(keys)
        accounts.set_plugin_enabled(db_of(app), contacts_world.municipalities["silkeborg"], "contacts", False)
    with app.test_request_context("/silkeborg/"):
        keys = [f.key for f in api.outcome_figures(contacts_world.municipalities["silkeborg"], START, END)]
        assert not [k for k in keys if k.startswith("contacts.")]
