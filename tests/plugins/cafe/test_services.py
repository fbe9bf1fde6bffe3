"""The café's rules, through its services: sessions keep their local time, changes raise the calendar
sequence, only eligible citizens get in, the waitlist is a fair queue, and every write is audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, Citizen
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Signup, SignupStatus
from tests.conftest import World
from tests.plugins.cafe.conftest import save_settings

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]


def test_a_course_across_the_end_of_summer_time_keeps_its_local_wall_clock_time(
    app: Flask, make_course: MakeCourse
) -> None:
    with app.app_context():
        course = make_course(first_date=date(2026, 10, 13), start=time(17, 0), count=5)
        starts = [s.starts_at for s in course.sessions]
        assert starts == [
            datetime(2026, 10, 13, 15, 0, tzinfo=UTC),
            datetime(2026, 10, 20, 15, 0, tzinfo=UTC),
            # Summer time ends on 25 October: 17:00 in Copenhagen is now 16:00 UTC.
            datetime(2026, 10, 27, 16, 0, tzinfo=UTC),
            datetime(2026, 11, 3, 16, 0, tzinfo=UTC),
            datetime(2026, 11, 10, 16, 0, tzinfo=UTC),
        ]
        assert all((s.ends_at - s.starts_at).total_seconds() == 120 * 60 for s in course.sessions)
        assert course.timezone == "Europe/Copenhagen"
        assert len({s.uid for s in course.sessions}) == 5
        assert all(s.sequence == 0 and not s.cancelled for s in course.sessions)


def test_a_new_course_takes_the_municipalitys_defaults_and_may_start_on_a_weekday(
    app: Flask, cafe_world: World, make_course: MakeCourse
) -> None:
    with app.app_context():
        save_settings(
            app,
            cafe_world.municipalities["silkeborg"],
            default_session_count=3,
            default_session_minutes=90,
            default_capacity=8,
        )
        # 2026-10-13 is a Tuesday; weekday 3 is Thursday.
        course = make_course(first_date=date(2026, 10, 13), weekday=3, start=time(10, 0))
        assert course.capacity == 8
        assert [s.starts_at.date() for s in course.sessions] == [
            date(2026, 10, 15),
            date(2026, 10, 22),
            date(2026, 10, 29),
        ]
        assert all((s.ends_at - s.starts_at).total_seconds() == 90 * 60 for s in course.sessions)


def test_a_course_needs_a_title_and_a_seat(app: Flask, make_course: MakeCourse) -> None:
    with app.app_context():
        with pytest.raises(services.CafeError) as error:
            make_course(title="  ")
        assert error.value.field == "title"
        with pytest.raises(services.CafeError) as error:
            make_course(capacity=0)
        assert error.value.field == "capacity"


def test_moving_editing_and_cancelling_a_session_raise_its_sequence_and_last_modified(
    app: Flask, cafe_world: World, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course()
        session = course.sessions[2]
        before = session.last_modified

        services.move_session(db, session, by, day=date(2026, 10, 28), start=time(18, 30))
        assert session.starts_at == datetime(2026, 10, 28, 17, 30, tzinfo=UTC)
        assert session.ends_at == datetime(2026, 10, 28, 19, 30, tzinfo=UTC)
        assert session.sequence == 1 and session.last_modified > before

        services.edit_session(db, session, by, location="Medborgerhuset")
        assert session.sequence == 2 and session.place == "Medborgerhuset"

        services.cancel_session(db, session, by)
        assert session.cancelled and session.sequence == 3
        changed = session.last_modified

        # Nothing changed, nothing bumped.
        services.cancel_session(db, session, by)
        services.edit_session(db, session, by, location="Medborgerhuset")
        services.move_session(db, session, by, day=date(2026, 10, 28), start=time(18, 30))
        assert session.sequence == 3 and session.last_modified == changed

        services.cancel_session(db, session, by, cancelled=False)
        assert not session.cancelled and session.sequence == 4
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "cafe_session", AuditEntry.object_id == session.id
            )
        ).all()
        assert len(entries) == 4 and all(e.user_id == by.id for e in entries)


@pytest.mark.parametrize(
    ("approved", "mental_health", "reason"),
    [(False, False, "approved for a flex job"), (True, False, "mental illness")],
)
def test_a_citizen_without_a_mental_health_flex_job_is_refused_with_the_reason(
    app: Flask,
    cafe_world: World,
    make_course: MakeCourse,
    make_citizen: MakeCitizen,
    approved: bool,
    mental_health: bool,
    reason: str,
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        course = make_course()
        who = make_citizen("Dorte", approved=approved, mental_health=mental_health)
        with pytest.raises(services.CafeError) as error:
            services.sign_up(db, course, who, cafe_world.user("silkeborg", "coordinator"))
        assert error.value.field == "citizen"
        assert reason in error.value.message
        assert db.session.scalars(select(Signup)).all() == []


def test_a_municipality_may_relax_the_flex_job_rule(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        save_settings(app, cafe_world.municipalities["silkeborg"], require_mental_health_flexjob=False)
        course = make_course()
        who = make_citizen("Dorte", approved=False, mental_health=False)
        signup = services.sign_up(db, course, who, cafe_world.user("silkeborg", "coordinator"))
        assert signup.status == SignupStatus.CONFIRMED
        # Relaxed is not borderless: a citizen of another municipality still cannot join.
        other = make_citizen("Erik", "norddjurs")
        with pytest.raises(services.CafeError, match="another municipality"):
            services.sign_up(db, course, other, cafe_world.user("silkeborg", "coordinator"))


def _names(rows: list[Signup]) -> list[tuple[str, str, int | None]]:
    return [(r.citizen.name, r.status.value, r.position) for r in rows]


def test_the_seats_fill_then_the_waitlist_queues_and_leaving_promotes_the_first_in_line(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(capacity=2)
        people = {name: make_citizen(name) for name in ("Ane", "Bent", "Cecilie", "Dan", "Eva")}
        results = [services.sign_up(db, course, c, by) for c in people.values()]
        assert [(r.status.value, r.position) for r in results] == [
            ("confirmed", None),
            ("confirmed", None),
            ("waitlisted", 1),
            ("waitlisted", 2),
            ("waitlisted", 3),
        ]

        result = services.leave(db, course, people["Bent"], by)
        assert result.left.status == SignupStatus.LEFT
        assert result.promoted is not None and result.promoted.citizen_id == people["Cecilie"].id
        assert _names(services.signups(db, course)) == [
            ("Ane", "confirmed", None),
            ("Cecilie", "confirmed", None),
            ("Dan", "waitlisted", 1),
            ("Eva", "waitlisted", 2),
        ]

        # A waitlisted citizen who leaves frees no seat; the queue closes up behind them.
        result = services.leave(db, course, people["Dan"], by)
        assert result.promoted is None
        assert _names(services.signups(db, course))[-1] == ("Eva", "waitlisted", 1)

        # Someone who left may come back, at the back of the queue.
        again = services.sign_up(db, course, people["Bent"], by)
        assert (again.status, again.position) == (SignupStatus.WAITLISTED, 2)


def test_no_one_is_signed_up_twice_and_no_one_leaves_twice(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course()
        who = make_citizen("Ane")
        services.sign_up(db, course, who, by)
        with pytest.raises(services.CafeError, match="already signed up"):
            services.sign_up(db, course, who, by)
        services.leave(db, course, who, by)
        with pytest.raises(services.CafeError, match="not signed up"):
            services.leave(db, course, who, by)
        rows = db.session.scalars(select(Signup).where(Signup.citizen_id == who.id)).all()
        assert len(rows) == 1


def test_every_sign_up_leave_and_promotion_is_in_the_audit_log_without_names(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(capacity=1)
        first, second = make_citizen("Ane"), make_citizen("Bent")
        services.sign_up(db, course, first, by)
        services.sign_up(db, course, second, by)
        services.leave(db, course, first, by)
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "cafe_signup").order_by(AuditEntry.id)
        ).all()
        got: list[tuple[str, Any, Any]] = [
            (e.action, e.details["citizen_id"], e.details["status"]) for e in entries
        ]
        assert got == [
            ("create", first.id, "confirmed"),
            ("create", second.id, "waitlisted"),
            ("update", first.id, "left"),
            ("update", second.id, "confirmed"),
        ]
        assert all(e.user_id == by.id for e in entries)
        assert all(e.municipality_id == cafe_world.municipalities["silkeborg"].id for e in entries)
        assert not any("Ane" in str(e.details) or "Bent" in str(e.details) for e in entries)
        created = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "cafe_course")).all()
        assert [e.object_id for e in created] == [course.id]


def test_erasing_a_citizen_takes_their_sign_ups_with_them(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        course = make_course()
        who = make_citizen("Ane")
        services.sign_up(db, course, who, cafe_world.user("silkeborg", "coordinator"))
        db.session.delete(who)
        db.session.commit()
        db.session.expire_all()
        assert db.session.scalars(select(Signup)).all() == []
