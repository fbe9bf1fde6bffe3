"""The group courses for relatives in the real calendar feeds: the municipality's public feed has every
session under the course's title, venue, description and leader, and never a relative's or citizen's
name or details, even when referrals with names point to the course; the other municipality's feed has
none of it; a move or cancellation shows with a higher SEQUENCE at once (the feed is cached); the staff
calendar has the sessions, a personal feed none; and the feed is built with a fixed number of queries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from werkzeug.test import TestResponse

from broen.calendar import tokens
from broen.calendar.cache import feed_cache
from broen.core.models import User
from broen.plugins.relatives import courses
from broen.plugins.relatives.models import GroupSession, ReferralKind
from tests.conftest import World, db_of, text_of
from tests.plugins.relatives.test_courses import add_session, logged_in, make_course, refer
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PUBLIC = "/{}/public/calendar/public.ics"
CPH = ZoneInfo("Europe/Copenhagen")
#: What must never be in a feed: the referred relatives' names and addresses, the citizen's name and
#: address, the referral's note.
SECRETS = ("Lise", "Hemmeligsen", "lise@example.dk", "Anna Silkeborg", "anna@silkeborg", "Hemmelig situation")


def course_events(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 200
    found = Calendar.from_ical(response.get_data()).walk("VEVENT")
    return {str(e["UID"]): e for e in found if str(e["UID"]).startswith("relatives-session-")}


def soon() -> date:
    return date.today() + timedelta(days=7)


def test_the_public_feed_has_the_sessions_and_names_no_relative_or_citizen(
    app: Flask, relatives_world: World
) -> None:
    course = make_course(
        app,
        relatives_world,
        title="Pårørendegruppe",
        kind=ReferralKind.TEACHING,
        venue="Medborgerhuset, sal 2",
        led_by="En psykolog fra SIND",
        description="Seks aftener om at være tæt på en, der er syg.",
    )
    session_id = add_session(app, course, soon(), time(17), 120)
    refer(app, relatives_world, course, "Lise Hemmeligsen")
    make_course(app, relatives_world, slug="norddjurs", title="Norddjurs gruppe")

    response = app.test_client().get(PUBLIC.format("silkeborg"))
    found = course_events(response)
    assert set(found) == {f"relatives-session-{session_id}@broen"}
    event = found[f"relatives-session-{session_id}@broen"]
    assert str(event["SUMMARY"]) == "Pårørendegruppe"
    assert str(event["LOCATION"]) == "Medborgerhuset, sal 2"
    assert str(event["DESCRIPTION"]) == (
        "Seks aftener om at være tæt på en, der er syg.\n\nLed by En psykolog fra SIND"
    )
    start = datetime.combine(soon(), time(17), tzinfo=CPH)
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == start + timedelta(hours=2)
    assert int(event["SEQUENCE"]) == 0 and str(event.get("STATUS", "")) != "CANCELLED"
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, secret
    assert course_events(app.test_client().get(PUBLIC.format("norddjurs"))) == {}


@SQLITE_ONLY
def test_a_moved_or_cancelled_session_shows_at_once_with_a_higher_sequence(
    app: Flask, relatives_world: World
) -> None:
    course = make_course(app, relatives_world, title="Pårørendegruppe")
    session_id = add_session(app, course, soon())
    uid = f"relatives-session-{session_id}@broen"
    client = app.test_client()
    first = client.get(PUBLIC.format("silkeborg"))
    etag = first.headers["ETag"]
    assert int(course_events(first)[uid]["SEQUENCE"]) == 0
    assert client.get(PUBLIC.format("silkeborg"), headers={"If-None-Match": etag}).status_code == 304

    with app.app_context():
        db = db_of(app)
        found = db.session.get_one(GroupSession, session_id)
        courses.move_session(db, found, None, day=soon() + timedelta(days=1), start=time(18), minutes=60)
    moved = client.get(PUBLIC.format("silkeborg"), headers={"If-None-Match": etag})
    assert moved.status_code == 200
    event = course_events(moved)[uid]
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime.combine(soon() + timedelta(days=1), time(18), tzinfo=CPH)

    with app.app_context():
        db = db_of(app)
        courses.cancel_session(db, db.session.get_one(GroupSession, session_id), None)
    event = course_events(client.get(PUBLIC.format("silkeborg")))[uid]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2


@SQLITE_ONLY
def test_the_staff_calendar_has_the_sessions_and_a_personal_feed_has_none(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    course = make_course(app, relatives_world, title="Pårørendegruppe")
    add_session(app, course, soon())
    refer(app, relatives_world, course, "Lise Hemmeligsen")
    client = logged_in(make_client, relatives_world)
    staff = text_of(client.get("/silkeborg/calendar/"))
    assert "Pårørendegruppe" in staff and "Lise" not in staff
    with app.app_context():
        db = db_of(app)
        token = tokens.issue(
            db, db.session.get_one(User, relatives_world.user("silkeborg", "coordinator").id)
        )
    assert course_events(app.test_client().get(f"/feeds/{token}.ics")) == {}


@SQLITE_ONLY
def test_the_feed_is_built_with_as_many_statements_for_many_sessions_as_for_one(
    app: Flask, relatives_world: World
) -> None:
    def statements() -> int:
        feed_cache(app).clear()
        with count_statements(app) as seen:
            response = app.test_client().get(PUBLIC.format("silkeborg"))
        assert response.status_code == 200
        return len(seen)

    course = make_course(app, relatives_world)
    add_session(app, course, soon())
    one = statements()
    for n in range(3):
        more = make_course(app, relatives_world, title=f"Kursus {n}", venue="Biblioteket")
        for week in (1, 2):
            add_session(app, more, soon() + timedelta(days=7 * week))
        refer(app, relatives_world, more, f"Pårørende {n}")
    assert statements() == one
    assert len(course_events(app.test_client().get(PUBLIC.format("silkeborg")))) == 7
