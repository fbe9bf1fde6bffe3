"""Ranking mentors for a citizen: the scoring and its reasons, who is left out (status, capacity,
another municipality, already matched), the order of ties, and a fixed number of SQL statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from broen.core.models import Citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.matching import (
    AREA,
    CONTACT,
    INTERESTS,
    TIMES,
    Profile,
    Reason,
    rank,
    score,
)
from broen.plugins.mentors.models import CitizenWishes, ContactForm, Mentor, MentorStatus, slot_bit
from tests.conftest import World
from tests.sqlcount import count_statements

TUE_PM = slot_bit(1, 1)
THU_AM = slot_bit(3, 0)
SAT_PM = slot_bit(5, 1)
WALK, COFFEE, PHONE = int(ContactForm.WALK), int(ContactForm.COFFEE), int(ContactForm.PHONE)


# --- the pure scoring ------------------------------------------------------------------------------------


def test_score_adds_up_each_reason_and_names_what_is_shared() -> None:
    wishes = Profile.of(["fishing", "chess", "dogs"], "Silkeborg", TUE_PM | THU_AM, WALK | COFFEE)
    mentor = Profile.of(["chess", "dogs", "knitting"], "silkeborg ", TUE_PM | SAT_PM, WALK | PHONE)
    points, reasons = score(wishes, mentor)
    assert reasons == (
        Reason(INTERESTS, 6, ("chess", "dogs")),
        Reason(AREA, 4, ("silkeborg",)),  # as the mentor's area is written
        Reason(TIMES, 1, ("1:afternoon",)),
        Reason(CONTACT, 2, ("walk",)),
    )
    assert points == 13


def test_nothing_in_common_scores_nothing_and_gives_no_reasons() -> None:
    wishes = Profile.of(["fishing"], "Aarhus", TUE_PM, WALK)
    assert score(wishes, Profile.of(["chess"], "Silkeborg", SAT_PM, PHONE)) == (0, ())
    # An empty area on both sides is not "the same area".
    assert score(Profile.of([], "", 0, 0), Profile.of([], "", 0, 0)) == (0, ())


def test_shared_times_count_at_most_six_points() -> None:
    every_slot = (1 << 21) - 1
    points, (reason,) = score(Profile.of([], "", every_slot, 0), Profile.of([], "", every_slot, 0))
    assert points == 6 and reason.kind == TIMES and len(reason.items) == 21


def test_reasons_read_as_words(app: Flask) -> None:
    with app.test_request_context():
        _points, reasons = score(
            Profile.of(["chess"], "Silkeborg", TUE_PM, COFFEE),
            Profile.of(["chess"], "Silkeborg", TUE_PM, COFFEE),
        )
        assert [str(r) for r in reasons] == [
            "Shared interests: chess",
            "Same area: Silkeborg",
            "Both free: Tuesday afternoon",
            "Both like to meet by: coffee",
        ]


# --- ranking the pool ------------------------------------------------------------------------------------


@pytest.fixture
def wishes_for(app: Flask, mentors_world: World) -> Callable[..., CitizenWishes]:
    def make(citizen: Citizen, **values: Any) -> CitizenWishes:
        return services.set_wishes(
            app.extensions["broen.db"], citizen, mentors_world.user("silkeborg", "coordinator"), **values
        )

    return make


def test_rank_orders_by_score_then_name_and_explains_each(
    app: Flask,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
    wishes_for: Callable[..., CitizenWishes],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        make_mentor("Bo", interests="chess", area="Silkeborg", availability=TUE_PM, contact_forms=WALK)
        make_mentor("anna", interests="chess, fishing", area="Them", contact_forms=COFFEE)
        make_mentor("Carl", interests="fishing", area="Them")
        make_mentor("Alma", interests="fishing", area="Them")
        make_mentor("Dora")  # nothing in common: still listed, last
        citizen = make_citizen()
        wishes = wishes_for(
            citizen, interests="Chess,  FISHING", area="silkeborg", availability=TUE_PM, contact_forms=WALK
        )
        ranked = rank(db, citizen.municipality, wishes)
        assert [(c.name, c.score) for c in ranked] == [
            ("Bo", 3 + 4 + 1 + 2),
            ("anna", 6),
            ("Alma", 3),
            ("Carl", 3),
            ("Dora", 0),
        ]
        assert [r.kind for r in ranked[0].reasons] == [INTERESTS, AREA, TIMES, CONTACT]
        assert ranked[1].reasons == (Reason(INTERESTS, 6, ("chess", "fishing")),)
        assert ranked[-1].reasons == ()
        assert [c.name for c in rank(db, citizen.municipality, wishes, limit=2)] == ["Bo", "anna"]


def test_rank_leaves_out_mentors_not_approved_full_or_already_matched(
    app: Flask,
    mentors_world: World,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
    wishes_for: Callable[..., CitizenWishes],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = mentors_world.user("silkeborg", "coordinator")
        for status in MentorStatus:
            make_mentor(f"Mentor {status.value}", status=status)
        full = make_mentor("Full", capacity=1)
        two = make_mentor("Two places", capacity=2)
        make_mentor("No places", capacity=0)
        other, citizen = make_citizen("Other"), make_citizen()
        full_match = services.propose(db, full, other, by)
        services.propose(db, two, other, by)
        wishes = wishes_for(citizen)
        ranked = {c.name: c for c in rank(db, citizen.municipality, wishes)}
        assert set(ranked) == {"Mentor approved", "Two places"}
        assert ranked["Two places"].free_places == 1

        # A match the citizen already has keeps that mentor off their list; an ended or paused one frees the place.
        match = services.propose(db, two, citizen, by)
        assert "Two places" not in {c.name for c in rank(db, citizen.municipality, wishes)}
        services.end(db, match, by, "Did not fit")
        services.end(db, full_match, by, "Moved away")
        names = {c.name for c in rank(db, citizen.municipality, wishes)}
        assert names == {"Mentor approved", "Two places", "Full"}


def test_rank_never_lists_another_municipalitys_mentors(
    app: Flask,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
    wishes_for: Callable[..., CitizenWishes],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        make_mentor("Ours", interests="chess")
        make_mentor("Theirs", slug="norddjurs", interests="chess", area="Silkeborg")
        citizen = make_citizen()
        wishes = wishes_for(citizen, interests="chess", area="Silkeborg")
        assert [c.name for c in rank(db, citizen.municipality, wishes)] == ["Ours"]
        norddjurs = make_mentor("Theirs too", slug="norddjurs").municipality
        with pytest.raises(ValueError):
            rank(db, norddjurs, wishes)


def test_rank_sends_one_statement_however_large_the_pool(
    app: Flask,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
    wishes_for: Callable[..., CitizenWishes],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        citizen = make_citizen()
        wishes = wishes_for(citizen, interests="chess")
        municipality = citizen.municipality
        make_mentor("First", interests="chess")
        with count_statements(app) as one:
            assert len(rank(db, municipality, wishes, limit=100)) == 1
        for n in range(11):
            make_mentor(f"More {n}", interests="chess", capacity=2)
        with count_statements(app) as twelve:
            assert len(rank(db, municipality, wishes, limit=100)) == 12
        assert len(one) == len(twelve) == 1
