"""The café's sessions in the real feeds: the public feed shows every session and no one's name, a change
of time shows with a higher SEQUENCE, and a participant's own feed has only the courses they sit on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, time, timedelta
from typing import Any

from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from broen.calendar import tokens
from broen.core import accounts
from broen.core.models import Citizen, User
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Session
from tests.conftest import Client, World

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]
PUBLIC = "/silkeborg/public/calendar/public.ics"


def next_week() -> date:
    return date.today() + timedelta(days=7)


def events(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def cafe_events(response: Any) -> dict[str, Any]:
    return {uid: e for uid, e in events(response).items() if uid.startswith("cafe-session-")}


def test_the_public_feed_has_every_session_under_the_course_title_and_names_no_one(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        course = make_course(title="Tirsdagscafé", first_date=next_week())
        for name in ("Ane Andersen", "Bent Bertelsen"):
            who = make_citizen(name, email=f"{name.split()[0].lower()}@example.dk")
            services.sign_up(db, course, who, cafe_world.user("silkeborg", "coordinator"))
        uids = {f"cafe-session-{s.uid}@broen" for s in course.sessions}
        names = [*db.session.scalars(select(Citizen.name)), *db.session.scalars(select(Citizen.email))]

    response = client.get(PUBLIC)
    found = cafe_events(response)
    assert set(found) == uids
    assert {str(e["SUMMARY"]) for e in found.values()} == {"Tirsdagscafé"}
    assert {str(e["LOCATION"]) for e in found.values()} == {"Biblioteket, Hostrupsgade 41"}
    body = response.get_data(as_text=True)
    assert not [n for n in names if n and n in body]
    # Norddjurs has the café on too, but not Silkeborg's courses.
    assert cafe_events(client.get("/norddjurs/public/calendar/public.ics")) == {}


def test_a_moved_session_shows_its_new_time_with_a_higher_sequence_and_a_cancelled_one_stays(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse
) -> None:
    with app.app_context():
        course = make_course(first_date=next_week())
        session = course.sessions[1]
        uid = f"cafe-session-{session.uid}@broen"
        other = f"cafe-session-{course.sessions[2].uid}@broen"
    before = cafe_events(client.get(PUBLIC))[uid]
    assert int(before["SEQUENCE"]) == 0

    new_day = session.starts_at.date() + timedelta(days=1)
    with app.app_context():
        db = app.extensions["broen.db"]
        row = db.session.get_one(Session, session.id)
        services.move_session(
            db, row, cafe_world.user("silkeborg", "coordinator"), day=new_day, start=time(10, 0)
        )
        services.cancel_session(
            db,
            db.session.get_one(Session, course.sessions[2].id),
            cafe_world.user("silkeborg", "coordinator"),
        )
        moved_to = row.starts_at
    after = cafe_events(client.get(PUBLIC))
    assert int(after[uid]["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after[uid].decoded("DTSTART").astimezone(UTC) == moved_to
    assert after[uid].decoded("DTSTART").astimezone(UTC).date() == new_day
    assert str(after[other]["STATUS"]) == "CANCELLED" and int(after[other]["SEQUENCE"]) == 1


def test_a_cancelled_session_leaves_the_feed_once_it_has_ended(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        # Weekly from two weeks ago: two sessions are over.
        course = make_course(first_date=date.today() - timedelta(days=14), count=4)
        over, coming = course.sessions[0], course.sessions[3]
        services.cancel_session(db, db.session.get_one(Session, over.id), by)
        services.cancel_session(db, db.session.get_one(Session, coming.id), by)
        kept = f"cafe-session-{course.sessions[1].uid}@broen"
    found = cafe_events(client.get(PUBLIC))
    assert f"cafe-session-{over.uid}@broen" not in found
    assert str(found[f"cafe-session-{coming.uid}@broen"]["STATUS"]) == "CANCELLED"
    assert kept in found  # a past session that was held stays, as history


def test_a_participants_own_feed_has_only_the_courses_they_sit_on_until_they_leave(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        # The participant's account and this citizen record share an e-mail address (in other case).
        me = make_citizen("Pia Participant", email=participant.email.upper())
        mine = make_course(title="Mandagscafé", first_date=next_week())
        theirs = make_course(title="Torsdagscafé", first_date=next_week())
        services.sign_up(db, mine, me, by)
        services.sign_up(db, theirs, make_citizen("Ole Other", email="ole@example.dk"), by)
        token = tokens.issue(db, db.session.get_one(User, participant.id))
        my_uids = {f"cafe-session-{s.uid}@broen" for s in mine.sessions}

    client = app.test_client()
    found = cafe_events(client.get(f"/feeds/{token}.ics"))
    assert set(found) == my_uids
    assert {str(e["SUMMARY"]) for e in found.values()} == {"Mandagscafé"}

    with app.app_context():
        db = app.extensions["broen.db"]
        services.leave(db, mine, me, by)
    assert cafe_events(client.get(f"/feeds/{token}.ics")) == {}


def test_a_waitlisted_citizen_and_a_namesake_in_another_municipality_get_no_sessions(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        full = make_course(first_date=next_week(), capacity=1)
        services.sign_up(db, full, make_citizen("First In"), by)
        services.sign_up(db, full, make_citizen("Pia", email=participant.email), by)
        # Same address in Norddjurs, where the participant has no role: not linked.
        norddjurs = make_course("norddjurs", first_date=next_week())
        services.sign_up(
            db,
            norddjurs,
            make_citizen("Pia", "norddjurs", email=participant.email),
            cafe_world.user("norddjurs", "coordinator"),
        )
        token = tokens.issue(db, db.session.get_one(User, participant.id))
    assert cafe_events(app.test_client().get(f"/feeds/{token}.ics")) == {}


def test_with_the_cafe_off_no_session_reaches_any_feed(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        make_course(first_date=next_week())
        accounts.set_plugin_enabled(db, cafe_world.municipalities["silkeborg"], "cafe", False)
    assert cafe_events(client.get(PUBLIC)) == {}


def test_the_staff_calendar_lists_the_sessions(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse
) -> None:
    with app.app_context():
        make_course(title="Fredagscafé", first_date=next_week())
    client.login(cafe_world.user("silkeborg", "coordinator"))
    page = client.get("/silkeborg/calendar/")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("Fredagscafé") == 5
