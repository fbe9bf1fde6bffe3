"""Planned mentor meetings in the mentor's personal calendar feed: the mentor's own feed has each planned
meeting of their active matches, at its local time, as "Mentor meeting with <first name>" and how they
meet, and nothing else (no note, nothing the citizen shared, no surname). A logged, called-off, paused or
ended match's meeting and another mentor's are not in it; the public feed and the staff calendar have none.
The feed is cached: logging the meeting changes it at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from werkzeug.test import TestResponse

from broen.calendar import tokens
from broen.calendar.cache import feed_cache
from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import Citizen, Role, User
from broen.plugins.mentors import services
from broen.plugins.mentors.models import ContactForm, Match, Meeting, Mentor
from broen.plugins.mentors.services import MeetingData
from tests.conftest import PASSWORD, Client, World, db_of, text_of
from tests.plugins.mentors.test_meetings import active_match
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
MakeCitizen = Callable[..., Citizen]
CPH = ZoneInfo("Europe/Copenhagen")
WALK, COFFEE = int(ContactForm.WALK), int(ContactForm.COFFEE)
SECRETS = ("Hemmeligsen", "mette@example.dk", "Shared with the mentor only", "Note for the mentor only")


def link(app: Flask, mentor: Mentor, user: User) -> None:
    """Link a log-in to a mentor of the pool, as accepting an invitation does."""
    db = db_of(app)
    db.session.get_one(Mentor, mentor.id).user_id = user.id
    db.session.commit()


def feed_of(app: Flask, user: User) -> str:
    with app.app_context():
        token = tokens.issue(db_of(app), db_of(app).session.get_one(User, user.id))
    return f"/feeds/{token}.ics"


def events(response: TestResponse) -> dict[str, Any]:
    assert response.status_code == 200
    return {str(e["UID"]): e for e in Calendar.from_ical(response.get_data()).walk("VEVENT")}


def mentor_events(response: TestResponse) -> dict[str, Any]:
    return {uid: e for uid, e in events(response).items() if uid.startswith("mentors-meeting-")}


def uid_of(meeting: Meeting) -> str:
    return f"mentors-meeting-{meeting.uid}@broen"


@pytest.fixture
def day(mentors_world: World) -> date:
    return services.local_today(mentors_world.municipalities["silkeborg"])


@pytest.fixture
def hanne(app: Flask, mentors_world: World, make_mentor: MakeMentor) -> Mentor:
    """The world's Silkeborg mentor log-in, linked to Hanne of the pool (room for five mentees)."""
    with app.app_context():
        mentor = make_mentor("Hanne Holm", capacity=5)
        link(app, mentor, mentors_world.user("silkeborg", "mentor"))
        return mentor


@pytest.fixture
def with_mette(app: Flask, mentors_world: World, hanne: Mentor) -> Match:
    """Hanne's active match with Mette, whose record and shared text must stay out of the feed."""
    with app.app_context():
        mette = create_citizen(
            db_of(app),
            mentors_world.municipalities["silkeborg"],
            mentors_world.user("silkeborg", "coordinator"),
            CitizenData(name="Mette Hemmeligsen", email="mette@example.dk"),
        )
        return active_match(app, hanne, mette, shared="Shared with the mentor only")


def plan(app: Flask, match: Match, on: date, at: time, minutes: int = 60, **kwargs: Any) -> Meeting:
    with app.app_context():
        db = db_of(app)
        row = db.session.get_one(Match, match.id)
        return services.plan_meeting(
            db, row, None, MeetingData(on, minutes, at=at, **{"contact_form": WALK, **kwargs})
        )


def test_the_mentors_feed_has_the_planned_meeting_at_its_local_time_with_the_first_name_only(
    app: Flask, mentors_world: World, with_mette: Match, day: date
) -> None:
    meeting = plan(
        app,
        with_mette,
        day + timedelta(days=7),
        time(10, 0),
        90,
        contact_form=COFFEE,
        note="Note for the mentor only",
    )
    response = app.test_client().get(feed_of(app, mentors_world.user("silkeborg", "mentor")))
    found = mentor_events(response)
    assert set(found) == {uid_of(meeting)}
    event = found[uid_of(meeting)]
    assert str(event["SUMMARY"]) == "Mentor meeting with Mette"
    assert str(event["DESCRIPTION"]) == "Coffee"
    start = datetime.combine(day + timedelta(days=7), time(10, 0), tzinfo=CPH)
    assert event.decoded("DTSTART") == start and event.decoded("DTSTART").utcoffset() is not None
    assert event.decoded("DTEND") == start + timedelta(minutes=90)
    assert int(event["SEQUENCE"]) == 0
    body = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in body, secret


def test_logged_called_off_paused_ended_and_other_mentors_meetings_are_not_in_it(
    app: Flask,
    mentors_world: World,
    make_mentor: MakeMentor,
    make_citizen: MakeCitizen,
    hanne: Mentor,
    with_mette: Match,
    day: date,
) -> None:
    later = day + timedelta(days=3)
    kept = plan(app, with_mette, later, time(9, 0))
    called_off = plan(app, with_mette, later, time(12, 0))
    with app.app_context():
        db = db_of(app)
        logged = services.log_meeting(
            db, db.session.get_one(Match, with_mette.id), None, MeetingData(day, 60, WALK)
        )
        services.cancel_meeting(db, db.session.get_one(Meeting, called_off.id), None)
        mentor = db.session.get_one(Mentor, hanne.id)
        paused = active_match(app, mentor, make_citizen("Ole Pause"))
        ended = active_match(app, mentor, make_citizen("Erik End"))
        # Another mentor, with a log-in of their own.
        bo_user = accounts.create_user(db, "bo@example.dk", "Bo Mentor", PASSWORD, language="en")
        accounts.grant_role(db, bo_user, mentors_world.municipalities["silkeborg"], Role.MENTOR)
        bo = make_mentor("Bo Berg")
        link(app, bo, bo_user)
        theirs = active_match(app, bo, make_citizen("Karen Kragh"))
    on_pause = plan(app, paused, later, time(14, 0))
    on_end = plan(app, ended, later, time(16, 0))
    bos = plan(app, theirs, later, time(18, 0))
    with app.app_context():
        db = db_of(app)
        services.pause(db, db.session.get_one(Match, paused.id), None)
        services.end(db, db.session.get_one(Match, ended.id), None, "Moved away")

    mine = mentor_events(app.test_client().get(feed_of(app, mentors_world.user("silkeborg", "mentor"))))
    assert set(mine) == {uid_of(kept)}
    assert uid_of(logged) not in mine
    for gone in (called_off, on_pause, on_end, bos):
        assert uid_of(gone) not in mine
    assert set(mentor_events(app.test_client().get(feed_of(app, bo_user)))) == {uid_of(bos)}


def test_a_mentor_record_linked_to_a_log_in_without_the_mentor_role_gives_no_events(
    app: Flask, mentors_world: World, with_mette: Match, hanne: Mentor, day: date
) -> None:
    plan(app, with_mette, day + timedelta(days=1), time(10))
    participant = mentors_world.user("silkeborg", "participant")
    with app.app_context():
        link(app, hanne, participant)
    assert mentor_events(app.test_client().get(feed_of(app, participant))) == {}


def test_the_public_feed_and_the_staff_calendar_have_no_mentor_meetings(
    app: Flask, mentors_world: World, make_client: Any, with_mette: Match, day: date
) -> None:
    plan(app, with_mette, day + timedelta(days=1), time(10), note="Note for the mentor only")
    public = app.test_client().get("/silkeborg/public/calendar/public.ics")
    assert mentor_events(public) == {}
    assert "Mette" not in public.get_data(as_text=True)
    for role in ("coordinator", "admin"):
        client: Client = make_client()
        client.login(mentors_world.user("silkeborg", role))
        staff = client.get("/silkeborg/calendar/")
        assert staff.status_code == 200
        assert "Mentor meeting" not in text_of(staff) and "Mette" not in text_of(staff)


def test_logging_the_planned_meeting_takes_it_out_of_the_cached_feed_at_once(
    app: Flask, mentors_world: World, with_mette: Match, day: date
) -> None:
    meeting = plan(app, with_mette, day, time(23, 59))
    url = feed_of(app, mentors_world.user("silkeborg", "mentor"))
    client = app.test_client()
    first = client.get(url)
    etag = first.headers["ETag"]
    assert uid_of(meeting) in mentor_events(first)
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304  # served from the cache

    with app.app_context():
        db = db_of(app)
        services.log_meeting(
            db,
            db.session.get_one(Match, with_mette.id),
            None,
            MeetingData(day, 60, WALK),
            planned=db.session.get_one(Meeting, meeting.id),
        )
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert mentor_events(after) == {}


def test_building_the_feed_sends_as_many_statements_for_many_meetings_as_for_one(
    app: Flask, mentors_world: World, make_citizen: MakeCitizen, hanne: Mentor, with_mette: Match, day: date
) -> None:
    url = feed_of(app, mentors_world.user("silkeborg", "mentor"))

    def statements() -> int:
        feed_cache(app).clear()
        with count_statements(app) as seen:
            response = app.test_client().get(url)
        assert response.status_code == 200
        return len(seen)

    plan(app, with_mette, day + timedelta(days=1), time(10))
    one = statements()
    with app.app_context():
        mentor = db_of(app).session.get_one(Mentor, hanne.id)
        others = [active_match(app, mentor, make_citizen(f"Borger{n} Efternavn")) for n in range(3)]
    for n, match in enumerate(others):
        for week in (1, 2):
            plan(app, match, day + timedelta(days=7 * week), time(9 + n))
    assert statements() == one
    assert len(mentor_events(app.test_client().get(url))) == 7
