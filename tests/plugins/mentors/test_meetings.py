"""A match's meetings, by the services' rules: a planned meeting has a time and is not in the past, a logged
one is not ahead nor before the match began; how long, how and the note are checked; only an active match
gets planned meetings, an active or paused one logged meetings; only a planned meeting is called off, and
logging it turns it into a held one. Each is audited on the citizen, without values. And the coordinator's
overview: the overdue matches (counted from the last logged meeting, or the start) and the mentors over
capacity or idle."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core.models import AuditEntry, Citizen, User
from broen.plugins.mentors import services
from broen.plugins.mentors.models import ContactForm, Match, Meeting, Mentor, MentorStatus
from broen.plugins.mentors.services import MeetingData, MentorData, MentorError
from tests.conftest import World, db_of
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
MakeCitizen = Callable[..., Citizen]
WALK, COFFEE, PHONE = int(ContactForm.WALK), int(ContactForm.COFFEE), int(ContactForm.PHONE)
#: The day the tests below are "today", and the day their matches started.
TODAY = date(2026, 5, 20)
STARTED = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def active_match(
    app: Flask,
    mentor: Mentor,
    citizen: Citizen,
    *,
    shared: str = "",
    frequency_days: int = 14,
    contact_form: int = WALK,
    started: datetime | None = None,
    by: User | None = None,
) -> Match:
    """An active match of `mentor` and `citizen` (proposed, agreed by both, started), begun at `started`
    (default: 60 days ago, so meetings can be logged in the past). In an app context."""
    db = db_of(app)
    match = services.propose(db, mentor, citizen, by)
    services.agree(db, match, by, services.CITIZEN)
    services.agree(db, match, by, services.MENTOR)
    services.activate(db, match, by, frequency_days=frequency_days, contact_form=contact_form, shared=shared)
    match.started_at = started or datetime.now(UTC) - timedelta(days=60)
    db.session.commit()
    return match


def meeting_audit(app: Flask) -> list[AuditEntry]:
    entries = db_of(app).session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "citizen").order_by(AuditEntry.id)
    )
    return [e for e in entries if e.details.get("what") == "mentors_meeting"]


def meetings(app: Flask) -> int:
    return int(db_of(app).session.scalar(select(func.count()).select_from(Meeting)) or 0)


@pytest.fixture
def match(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> Callable[[], Match]:
    """The one active match of the tests below (mentor Hanne, citizen Mette), started on STARTED; call it
    inside an app context."""

    def get() -> Match:
        existing: Match | None = db_of(app).session.scalar(select(Match))
        if existing is not None:
            return existing
        return active_match(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"), started=STARTED)

    return get


def error_of(call: Callable[[], object]) -> MentorError:
    with pytest.raises(MentorError) as error:
        call()
    return error.value


def test_a_planned_meeting_needs_a_time_a_day_not_past_a_sane_length_and_a_short_note(
    app: Flask, mentors_world: World, match: Callable[[], Match]
) -> None:
    with app.app_context():
        db = db_of(app)
        m = match()

        base = MeetingData(
            on=TODAY + timedelta(days=3), duration_minutes=60, contact_form=WALK, at=time(10, 0)
        )

        def plan(**changes: Any) -> Meeting:
            return services.plan_meeting(db, m, None, replace(base, **changes), today=TODAY)

        cases: list[tuple[dict[str, Any], str]] = [
            ({"at": None}, "at"),
            ({"on": TODAY - timedelta(days=1)}, "on"),
            ({"duration_minutes": 4}, "duration_minutes"),
            ({"duration_minutes": 601}, "duration_minutes"),
            ({"contact_form": WALK | COFFEE}, "contact_form"),
            ({"contact_form": 0}, "contact_form"),
            ({"note": "x" * 501}, "note"),
        ]
        for changes, field in cases:
            with pytest.raises(MentorError) as error:
                plan(**changes)
            assert error.value.field == field, changes
        assert meetings(app) == 0

        today = plan(on=TODAY, duration_minutes=5, note="  Bring an umbrella  ")
        longest = plan(duration_minutes=600, note="y" * 500)
        assert (today.held, today.on, today.at, today.note) == (
            False,
            TODAY,
            time(10, 0),
            "Bring an umbrella",
        )
        assert longest.duration_minutes == 600 and today.uid != longest.uid and today.sequence == 0
        assert meetings(app) == 2


def test_a_logged_meeting_is_not_ahead_nor_before_the_match_began(
    app: Flask, mentors_world: World, match: Callable[[], Match]
) -> None:
    with app.app_context():
        db = db_of(app)
        m = match()

        def log(on: date, **changes: Any) -> Meeting:
            data = replace(MeetingData(on=on, duration_minutes=45, contact_form=COFFEE), **changes)
            return services.log_meeting(db, m, None, data, today=TODAY)

        assert error_of(lambda: log(TODAY + timedelta(days=1))).field == "on"
        assert error_of(lambda: log(date(2026, 4, 30))).field == "on"  # the match began on May 1
        assert error_of(lambda: log(TODAY, duration_minutes=601)).field == "duration_minutes"
        assert error_of(lambda: log(TODAY, note="z" * 501)).field == "note"
        assert meetings(app) == 0

        first_day = log(date(2026, 5, 1))
        today = log(TODAY, note="We walked by the lake")
        assert first_day.held and today.held and today.at is None and today.logged_at is not None
        assert services.last_held(db, [m.id]) == {m.id: TODAY}


def test_meetings_are_planned_for_active_matches_and_logged_for_active_or_paused_ones(
    app: Flask, mentors_world: World, match: Callable[[], Match]
) -> None:
    with app.app_context():
        db = db_of(app)
        m = match()
        planned = MeetingData(
            on=TODAY + timedelta(days=2), duration_minutes=60, contact_form=WALK, at=time(9)
        )
        logged = MeetingData(on=TODAY - timedelta(days=2), duration_minutes=60, contact_form=WALK)

        services.pause(db, m, None)
        assert error_of(lambda: services.plan_meeting(db, m, None, planned, today=TODAY)).field == "status"
        assert services.log_meeting(db, m, None, logged, today=TODAY).held  # it took place before the pause

        services.end(db, m, None, "The citizen moved")
        assert error_of(lambda: services.plan_meeting(db, m, None, planned, today=TODAY)).field == "status"
        assert error_of(lambda: services.log_meeting(db, m, None, logged, today=TODAY)).field == "status"
        assert meetings(app) == 1


def test_a_proposed_match_gets_no_meetings(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        proposed = services.propose(db, make_mentor("Hanne"), make_citizen(), None)
        data = MeetingData(on=TODAY, duration_minutes=60, contact_form=WALK, at=time(9))
        assert (
            error_of(lambda: services.plan_meeting(db, proposed, None, data, today=TODAY)).field == "status"
        )
        assert error_of(lambda: services.log_meeting(db, proposed, None, data, today=TODAY)).field == "status"
        assert meetings(app) == 0


def test_logging_a_planned_meeting_turns_it_held_and_only_a_planned_one_can_be_called_off(
    app: Flask,
    mentors_world: World,
    match: Callable[[], Match],
    make_mentor: MakeMentor,
    make_citizen: MakeCitizen,
) -> None:
    with app.app_context():
        db = db_of(app)
        m = match()
        other = active_match(app, make_mentor("Ole"), make_citizen("Karen Krog"), started=STARTED)
        planned = services.plan_meeting(
            db, m, None, MeetingData(TODAY, 60, WALK, at=time(14, 30), note="Plan"), today=TODAY
        )
        uid = planned.uid
        # Someone else's planned meeting is not this match's to log.
        with pytest.raises(MentorError) as error:
            services.log_meeting(db, other, None, MeetingData(TODAY, 60, WALK), planned=planned, today=TODAY)
        assert error.value.field == "meeting"

        held = services.log_meeting(
            db, m, None, MeetingData(TODAY, 90, COFFEE, note="Coffee instead"), planned=planned, today=TODAY
        )
        assert held.id == planned.id and held.uid == uid and meetings(app) == 1
        assert (held.held, held.duration_minutes, held.contact_form, held.at) == (
            True,
            90,
            COFFEE,
            time(14, 30),
        )
        assert held.note == "Coffee instead"
        with pytest.raises(MentorError) as error:
            services.log_meeting(db, m, None, MeetingData(TODAY, 60, WALK), planned=held, today=TODAY)
        assert error.value.field == "meeting"
        with pytest.raises(MentorError) as error:
            services.cancel_meeting(db, held, None)
        assert error.value.field == "meeting"
        assert meetings(app) == 1

        again = services.plan_meeting(db, m, None, MeetingData(TODAY, 30, PHONE, at=time(18)), today=TODAY)
        services.cancel_meeting(db, again, None)
        assert meetings(app) == 1
        assert db.session.get(Meeting, again.id) is None


def test_every_meeting_change_is_audited_on_the_citizen_without_values(
    app: Flask, mentors_world: World, match: Callable[[], Match]
) -> None:
    by = mentors_world.user("silkeborg", "mentor")
    with app.app_context():
        db = db_of(app)
        m = match()
        planned = services.plan_meeting(
            db, m, by, MeetingData(TODAY, 60, WALK, at=time(10), note="Secret plan note"), today=TODAY
        )
        services.log_meeting(
            db, m, by, MeetingData(TODAY, 60, WALK, note="Secret held note"), planned=planned, today=TODAY
        )
        logged = services.log_meeting(db, m, by, MeetingData(TODAY, 30, PHONE, note="Another"), today=TODAY)
        cancelled = services.plan_meeting(db, m, by, MeetingData(TODAY, 30, PHONE, at=time(20)), today=TODAY)
        services.cancel_meeting(db, cancelled, by)

        entries = meeting_audit(app)
        assert [(e.action, e.details["meeting_id"]) for e in entries] == [
            ("create", planned.id),
            ("update", planned.id),
            ("create", logged.id),
            ("create", cancelled.id),
            ("delete", cancelled.id),
        ]
        assert {(e.object_id, e.user_id, e.municipality_id) for e in entries} == {
            (m.citizen_id, by.id, m.municipality_id)
        }
        assert {e.details["match_id"] for e in entries} == {m.id}
        assert "note" in entries[1].details["fields"]
        details = json.dumps([e.details for e in entries])
        assert "Secret" not in details and "Another" not in details


# --- the coordinator's overview --------------------------------------------------------------------------


def test_overdue_matches_count_from_the_last_logged_meeting_or_the_start_most_overdue_first(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    silkeborg = mentors_world.municipalities["silkeborg"]
    with app.app_context():
        db = db_of(app)
        mentor = make_mentor("Hanne Holm", capacity=10)

        def matched(name: str, every: int) -> Match:
            return active_match(app, mentor, make_citizen(name), frequency_days=every, started=STARTED)

        never_met = matched("Anna Never", 14)  # due May 15: 5 days over
        met = matched("Bo Met", 7)
        services.log_meeting(
            db, met, None, MeetingData(date(2026, 5, 10), 60, WALK), today=TODAY
        )  # due May 17
        recent = matched("Carl Recent", 14)
        services.log_meeting(db, recent, None, MeetingData(date(2026, 5, 15), 60, WALK), today=TODAY)
        only_planned = matched("Dora Planned", 7)  # due May 8: a planned meeting is no meeting yet
        services.plan_meeting(
            db,
            only_planned,
            None,
            MeetingData(date(2026, 5, 19), 60, WALK, at=time(10)),
            today=date(2026, 5, 18),
        )
        due_today = matched("Erik Today", 19)  # due May 20: not over yet
        paused = matched("Frida Paused", 7)
        services.pause(db, paused, None)
        ended = matched("Gert Ended", 7)
        services.end(db, ended, None, "Done")
        elsewhere = make_mentor("Norddjurs mentor", slug="norddjurs")
        active_match(
            app,
            elsewhere,
            make_citizen("Hans Elsewhere", slug="norddjurs"),
            frequency_days=1,
            started=STARTED,
        )
        db.session.commit()

        overdue = services.overdue_matches(db, silkeborg, today=TODAY)
        assert [(o.match.id, o.last, o.due, o.days_overdue) for o in overdue] == [
            (only_planned.id, None, date(2026, 5, 8), 12),
            (never_met.id, None, date(2026, 5, 15), 5),
            (met.id, date(2026, 5, 10), date(2026, 5, 17), 3),
        ]
        assert due_today.id not in {o.match.id for o in overdue}
        # The start page's count: the same matches, in one statement however many there are.
        with count_statements(app) as seen:
            assert services.overdue_count(db, silkeborg, today=TODAY) == 3
        assert len(seen) == 1
        # A day later, the match due today is one day over; logging a meeting takes a match off the list.
        services.log_meeting(db, never_met, None, MeetingData(date(2026, 5, 20), 60, WALK), today=TODAY)
        later = services.overdue_matches(db, silkeborg, today=TODAY + timedelta(days=1))
        assert [o.match.id for o in later] == [only_planned.id, met.id, due_today.id]
        assert later[-1].days_overdue == 1


def test_mentor_loads_list_approved_mentors_over_capacity_first_then_idle_ones(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    silkeborg = mentors_world.municipalities["silkeborg"]
    with app.app_context():
        db = db_of(app)
        full = make_mentor("Bente Full", capacity=2)
        for name in ("Anna A", "Bo B"):
            active_match(app, full, make_citizen(name))
        half = make_mentor("Carl Half", capacity=2)
        services.propose(db, half, make_citizen("Dora D"), None)  # a proposed match takes a place too
        idle = make_mentor("Ida Idle")
        pausing = make_mentor("Olga Paused")
        services.pause(db, active_match(app, pausing, make_citizen("Erik E")), None)
        make_mentor("Tove Trained", status=MentorStatus.TRAINED)
        make_mentor("Pia Paused mentor", status=MentorStatus.PAUSED)
        make_mentor("Norddjurs Idle", slug="norddjurs")

        loads = services.mentor_loads(db, silkeborg)
        assert [(load.mentor.name, load.taken, load.over, load.idle) for load in loads] == [
            ("Ida Idle", 0, False, True),
            ("Olga Paused", 0, False, True),  # a paused match frees its place
        ]

        # The coordinator lowers Bente's capacity: she is over it now, and listed first.
        services.update_mentor(
            db, full, None, MentorData(name="Bente Full", background="employed", capacity=1)
        )
        loads = services.mentor_loads(db, silkeborg)
        assert [(load.mentor.name, load.taken, load.over) for load in loads] == [
            ("Bente Full", 2, True),
            ("Ida Idle", 0, False),
            ("Olga Paused", 0, False),
        ]
        assert half.id not in {load.mentor.id for load in loads} and idle.id in {
            load.mentor.id for load in loads
        }
