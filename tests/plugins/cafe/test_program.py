"""What happens at the sessions, through `program`: a course's details reach the calendars, attendance is
one upserted mark per person and session, and the agenda's items are placed, set aside and made guest
talks, with every rule naming its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, Citizen
from broen.plugins.cafe import program, services
from broen.plugins.cafe.models import AgendaItem, Attendance, Course, GuestKind
from tests.conftest import World, db_of

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]


def audit(app: Flask, object_type: str) -> list[AuditEntry]:
    return list(
        db_of(app).session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
        )
    )


def test_a_new_venue_moves_the_sessions_without_a_place_of_their_own_and_a_new_title_touches_all(
    app: Flask, cafe_world: World, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(count=3)
        own = course.sessions[1]
        services.edit_session(db, own, by, location="Medborgerhuset")
        before = [(s.sequence, s.last_modified) for s in course.sessions]

        assert program.update_course(db, course, by, venue="  Rådhuset ", facilitators="Mette") == [
            "venue",
            "facilitators",
        ]
        assert course.venue == "Rådhuset"
        after = [(s.sequence, s.last_modified) for s in course.sessions]
        assert after[0][0] == before[0][0] + 1 and after[0][1] > before[0][1]
        assert after[1] == before[1]  # its own place did not change
        assert after[2][0] == before[2][0] + 1

        program.update_course(db, course, by, title="Café på vej, efterår")
        assert [s.sequence for s in course.sessions] == [
            a[0] for a in after
        ]  # a title is no new time or place
        assert all(s.last_modified > a[1] for s, a in zip(course.sessions, after, strict=True))

        touched = [s.last_modified for s in course.sessions]
        assert program.update_course(db, course, by, title="Café på vej, efterår", venue="Rådhuset") == []
        assert [s.last_modified for s in course.sessions] == touched
        entries = audit(app, "cafe_course")
        assert [e.details.get("fields") for e in entries[1:]] == [["venue", "facilitators"], ["title"]]


def test_course_details_are_checked_before_anything_is_written(
    app: Flask, cafe_world: World, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = db_of(app)
        course = make_course()
        with pytest.raises(services.CafeError) as error:
            program.update_course(db, course, None, title=" ", venue="Rådhuset")
        assert error.value.field == "title"
        with pytest.raises(services.CafeError) as error:
            program.update_course(db, course, None, venue="x" * 201)
        assert error.value.field == "venue"
        db.session.rollback()
        assert db.session.get_one(Course, course.id).venue == "Biblioteket, Hostrupsgade 41"


def test_attendance_is_one_mark_per_person_and_session_changed_in_place_and_audited_without_values(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(count=2, capacity=2)
        dorte, erik, frida = (make_citizen(n) for n in ("Dorte", "Erik", "Frida"))
        for c in (dorte, erik, frida):
            services.sign_up(db, course, c, by)
        first = course.sessions[0]

        assert program.mark_attendance(db, first, by, {dorte.id: True, erik.id: False}) == sorted(
            [dorte.id, erik.id]
        )
        assert program.mark_attendance(db, first, by, {dorte.id: True, erik.id: True}) == [erik.id]
        assert program.mark_attendance(db, first, by, {dorte.id: True}) == []
        rows = db.session.scalars(select(Attendance).order_by(Attendance.citizen_id)).all()
        assert [(r.citizen_id, r.present, r.marked_by_id) for r in rows] == [
            (dorte.id, True, by.id),
            (erik.id, True, by.id),
        ]
        entries = audit(app, "cafe_attendance")
        assert len(entries) == 2 and entries[1].details == {"session_id": first.id, "citizen_ids": [erik.id]}

        # Frida is on the waitlist: no seat, no mark; the whole batch is refused.
        with pytest.raises(services.CafeError) as error:
            program.mark_attendance(db, first, by, {dorte.id: False, frida.id: True})
        assert error.value.field == "attendance"
        db.session.rollback()
        assert db.session.scalar(select(Attendance.present).where(Attendance.citizen_id == dorte.id)) is True

        services.cancel_session(db, course.sessions[1], by)
        with pytest.raises(services.CafeError):
            program.mark_attendance(db, course.sessions[1], by, {dorte.id: True})


def test_the_grid_keeps_the_marks_of_someone_who_left_and_counts_per_person_and_session(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(count=3)
        dorte, erik, frida = (make_citizen(n) for n in ("Dorte", "Erik", "Frida"))
        for c in (dorte, erik, frida):
            services.sign_up(db, course, c, by)
        s1, s2, _s3 = course.sessions
        program.mark_attendance(db, s1, by, {dorte.id: True, erik.id: False, frida.id: True})
        program.mark_attendance(db, s2, by, {dorte.id: True, erik.id: True})
        services.leave(db, course, frida, by)

        grid = program.attendance_grid(db, course)
        assert [(r.citizen.name, r.on_course, r.marks) for r in grid.rows] == [
            ("Dorte", True, [True, True, None]),
            ("Erik", True, [False, True, None]),
            ("Frida", False, [True, None, None]),
        ]
        assert [r.present for r in grid.rows] == [2, 1, 1] and [r.absent for r in grid.rows] == [0, 1, 0]
        assert [grid.present(n) for n in range(3)] == [2, 2, 0] and grid.absent(0) == 1


def test_agenda_items_are_placed_in_order_set_aside_and_taken_up_again(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(count=2)
        other = make_course(title="Et andet kursus")
        first, second = course.sessions
        dorte = make_citizen("Dorte")
        wish = program.propose_topic(db, course, dorte, None, title="Ferie")
        talk = program.add_item(db, course, by, title="Besøg", session=second)
        program.place_item(db, wish, second, by)
        plan = program.agenda(db, course)
        assert [e.item.title for e in plan.by_session[second.id]] == ["Besøg", "Ferie"]
        assert plan.proposals == [] and plan.proposer_ids == [dorte.id]
        assert plan.by_session[second.id][1].proposer == "Dorte"

        with pytest.raises(services.CafeError) as error:
            program.place_item(db, wish, other.sessions[0], by)
        assert error.value.field == "session"

        program.set_aside(db, wish, by)
        plan = program.agenda(db, course)
        assert [e.item.title for e in plan.set_aside] == ["Ferie"] and second.id in plan.by_session
        program.place_item(db, wish, None, by)
        assert [e.item.title for e in program.agenda(db, course).proposals] == ["Ferie"]
        program.place_item(db, wish, first, by)
        assert db.session.get_one(AgendaItem, wish.id).session_id == first.id
        assert talk.position == 1
        assert {e.details["fields"][0] for e in audit(app, "cafe_agenda_item")[1:]} >= {
            "session",
            "dismissed",
        }


def test_a_guest_talk_needs_its_guest_and_every_text_has_a_limit(
    app: Flask, cafe_world: World, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course()
        bad: list[tuple[dict[str, Any], str]] = [
            ({"title": " "}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"title": "Emne", "note": "x" * 2001}, "note"),
            ({"title": "Emne", "guest_kind": "company"}, "guest_name"),
            ({"title": "Emne", "guest_kind": "company", "guest_name": "x" * 201}, "guest_name"),
            ({"title": "Emne", "guest_kind": "astronaut", "guest_name": "Andreas"}, "guest_kind"),
        ]
        for values, field in bad:
            with pytest.raises(services.CafeError) as error:
                program.add_item(db, course, by, **values)
            assert error.value.field == field, values
        assert db.session.scalars(select(AgendaItem)).all() == []

        item = program.add_item(db, course, by, title="Emne", guest_kind="company", guest_name=" Grundfos ")
        assert (item.guest_kind, item.guest_name) == (GuestKind.COMPANY, "Grundfos")
        program.set_guest(db, item, by, GuestKind.LIVED_EXPERIENCE, "Lise")
        assert item.guest_kind == GuestKind.LIVED_EXPERIENCE
        program.set_guest(db, item, by, None, "ignored")
        assert (item.guest_kind, item.guest_name) == (None, "")
        with pytest.raises(services.CafeError) as error:
            program.set_guest(db, item, by, "company", "")
        assert error.value.field == "guest_name"
