"""Every kind of feed the app serves (the municipality's public feed, a course's public feed, a participant's
personal feed), with a course that crosses the next daylight-saving change, read by parsers no one here
wrote: vobject with validation, recurring-ical-events, and a real Radicale CalDAV server, which must give
the sessions back at the same UTC starts: 17:00 local on both sides of the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import vobject
from flask import Flask

from broen.calendar import tokens
from broen.core.models import Citizen, User
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course
from tests.conftest import World
from tests.fixtures.radicale import Radicale

CPH = ZoneInfo("Europe/Copenhagen")


def next_clock_change(after: date) -> date:
    """The first day after `after` on which Copenhagen's UTC offset changes."""
    day = after
    while (datetime.combine(day + timedelta(days=1), datetime.min.time(), CPH).utcoffset()) == (
        datetime.combine(day, datetime.min.time(), CPH).utcoffset()
    ):
        day += timedelta(days=1)
    return day + timedelta(days=1)


def feeds(
    app: Flask, world: World, make_course: Callable[..., Course], make_citizen: Callable[..., Citizen]
) -> tuple[dict[str, bytes], dict[str, datetime]]:
    """The three feeds' bodies, and the UTC start of each session by UID."""
    change = next_clock_change(date.today() + timedelta(days=14))
    participant = world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        # Five weekly sessions at 17:00, the change falling between the second and the third.
        course = make_course(title="Café over tidsskiftet", first_date=change - timedelta(days=10))
        me = make_citizen("Pia Participant")
        me.user_id = participant.id
        db.session.commit()
        services.sign_up(db, course, me, world.user("silkeborg", "coordinator"))
        token = tokens.issue(db, db.session.get_one(User, participant.id))
        starts = {f"cafe-session-{s.uid}@broen": s.starts_at for s in course.sessions}
        course_id = course.id
    client = app.test_client()
    bodies = {}
    for kind, url in {
        "public": "/silkeborg/public/calendar/public.ics",
        "course": f"/silkeborg/public/cafe/courses/{course_id}.ics",
        "personal": f"/feeds/{token}.ics",
    }.items():
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[kind] = response.get_data()
    return bodies, starts


def cafe_starts(events: dict[str, Any]) -> dict[str, datetime]:
    return {uid: start for uid, start in events.items() if uid.startswith("cafe-session-")}


def test_every_feed_reads_the_same_in_vobject_recurring_ical_events_and_radicale(
    app: Flask,
    cafe_world: World,
    make_course: Callable[..., Course],
    make_citizen: Callable[..., Citizen],
    radicale: Radicale,
) -> None:
    bodies, starts = feeds(app, cafe_world, make_course, make_citizen)
    # The course really does cross the change: the same local time, two different UTC offsets.
    assert {s.astimezone(CPH).strftime("%H:%M") for s in starts.values()} == {"17:00"}
    assert len({s.astimezone(CPH).utcoffset() for s in starts.values()}) == 2

    for kind, body in bodies.items():
        parsed = vobject.readOne(body.decode("utf-8"), validate=True)
        parsed.validate(raiseException=True)
        assert (
            cafe_starts({v.uid.value: v.dtstart.value.astimezone(UTC) for v in parsed.vevent_list}) == starts
        ), kind

        calendar = icalendar.Calendar.from_ical(body)
        window = (min(starts.values()) - timedelta(days=1), max(starts.values()) + timedelta(days=1))
        occurrences = recurring_ical_events.of(calendar).between(*window)
        assert (
            cafe_starts({str(e["UID"]): e.decoded("DTSTART").astimezone(UTC) for e in occurrences}) == starts
        ), kind

        path = f"/alice/cafe-{kind}-{min(starts.values()).date()}/"
        put = radicale.put_calendar(path, body)
        assert put.status_code == 201, put.get_data(as_text=True)
        back = vobject.readOne(radicale.get(path).get_data(as_text=True))
        assert (
            cafe_starts({v.uid.value: v.dtstart.value.astimezone(UTC) for v in back.vevent_list}) == starts
        ), kind
