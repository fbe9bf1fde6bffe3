"""The four course figures, counted by hand on a small cohort: who started in the period (enrolled), who
had started and not ended on its last day (active), and who ended in it after work or education
(completed) or without (ended early), including people whose status changed in the middle of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from broen import api
from broen.plugins.outcomes.figures import Change, count_course
from tests.conftest import World
from tests.plugins.outcomes.conftest import S

START, END = date(2025, 3, 1), date(2025, 6, 30)

COHORT = {
    # Started before the period, into work in the middle of it: active only.
    "a_into_work": [(S.ACTIVE, date(2025, 1, 10)), (S.IN_WORK, date(2025, 4, 15))],
    # Ended before the period: nowhere.
    "b_ended_before": [(S.ACTIVE, date(2024, 6, 1)), (S.ENDED, date(2025, 2, 1))],
    # Started in it, into education, ended in it: enrolled and completed.
    "c_completed": [
        (S.ACTIVE, date(2025, 3, 5)),
        (S.IN_EDUCATION, date(2025, 4, 1)),
        (S.ENDED, date(2025, 5, 20)),
    ],
    # Started in it (at intake), ended in it without work or education: enrolled and ended early.
    "d_ended_early": [
        (S.INTAKE, date(2025, 3, 10)),
        (S.ACTIVE, date(2025, 3, 20)),
        (S.ENDED, date(2025, 4, 30)),
    ],
    # Started after the period: nowhere.
    "e_after": [(S.ACTIVE, date(2025, 7, 15))],
    # In work long before, ended on the period's last day: completed.
    "f_last_day": [(S.IN_WORK, date(2024, 10, 1)), (S.ENDED, date(2025, 6, 30))],
    # Ended a year before, came back in the period: active (not enrolled: they started in 2024).
    "g_back": [(S.ACTIVE, date(2024, 1, 1)), (S.ENDED, date(2024, 5, 1)), (S.ACTIVE, date(2025, 5, 1))],
    # Two changes on one day: the later one (higher id) counts: enrolled and ended early.
    "h_same_day": [(S.ACTIVE, date(2025, 4, 1)), (S.ENDED, date(2025, 4, 1))],
    # Ended in the period, but back on the last day's status after it: the change after `end` is ignored.
    "i_ended_then_later_back": [
        (S.IN_WORK, date(2025, 1, 1)),
        (S.ENDED, date(2025, 6, 1)),
        (S.ACTIVE, date(2025, 8, 1)),
    ],
}


def figures_of(app: Flask, world: World, slug: str, start: date = START, end: date = END) -> dict[str, float]:
    with app.test_request_context(f"/{slug}/"):
        figures = api.outcome_figures(world.municipalities[slug], start, end)
    return {f.key: f.value for f in figures if f.key.startswith("outcomes.")}


def test_count_course_by_hand_without_a_database() -> None:
    changes = [
        Change(n, status, on, n * 10 + i)
        for n, history in enumerate(COHORT.values())
        for i, (status, on) in enumerate(history)
    ]
    counts = count_course(changes, START, END)
    assert (counts.enrolled, counts.active, counts.completed, counts.ended_early) == (3, 2, 3, 2)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_course_figures_count_the_cohort_by_hand_on_both_databases(
    app: Flask, outcomes_world: World, add_history: Callable[..., list[int]]
) -> None:
    add_history(outcomes_world, "silkeborg", list(COHORT.values()))
    add_history(outcomes_world, "norddjurs", [[(S.ACTIVE, date(2025, 3, 3))]])  # another municipality's

    figures = figures_of(app, outcomes_world, "silkeborg")

    # enrolled: c, d, h; active: a, g (the world's citizens started today, after the period);
    # completed: c, f, i; ended early: d, h.
    assert figures == {
        "outcomes.enrolled": 3,
        "outcomes.active": 2,
        "outcomes.completed": 3,
        "outcomes.ended_early": 2,
    }
    assert figures_of(app, outcomes_world, "norddjurs")["outcomes.enrolled"] == 1
    # A period of one day, the day c went into education and h came and went.
    assert figures_of(app, outcomes_world, "silkeborg", date(2025, 4, 1), date(2025, 4, 1)) == {
        "outcomes.enrolled": 1,  # h started that day
        "outcomes.active": 5,  # a, c, d (active since 20 March), f and i (in work)
        "outcomes.completed": 0,
        "outcomes.ended_early": 1,  # h ended that day
    }


def test_the_figures_say_how_they_are_counted(app: Flask, outcomes_world: World) -> None:
    with app.test_request_context("/silkeborg/"):
        figures = [f for f in api.outcome_figures(outcomes_world.municipalities["silkeborg"], START, END)]
    course = [f for f in figures if f.key.startswith("outcomes.")]
    assert [(f.key, f.kind, f.chart, f.order) for f in course] == [
        ("outcomes.enrolled", "people", "course", 10),
        ("outcomes.active", "people", "course", 20),
        ("outcomes.completed", "people", "course", 30),
        ("outcomes.ended_early", "people", "course", 40),
    ]
    assert all(f.note and f.label for f in course)
