"""The café's sessions in the real feeds: the public feed shows every session and no one's name, a change
of time shows with a higher SEQUENCE, a participant's own feed has only the courses they sit on, and a
course's public feed has that course's sessions only. Every feed is served from the cache with a fixed
number of SQL statements, however many sessions and sign-ups there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select, update
from werkzeug.http import parse_date

from broen import api
from broen.calendar import feeds, tokens
from broen.calendar.cache import feed_cache
from broen.calendar.versions import CalendarVersion
from broen.core import accounts
from broen.core.models import Citizen, User
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Session
from tests.conftest import Client, World
from tests.sqlcount import count_statements

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]
PUBLIC = "/silkeborg/public/calendar/public.ics"
CPH = ZoneInfo("Europe/Copenhagen")


def link(app: Flask, citizen: Citizen, user: User) -> Citizen:
    """Make `citizen` the record of `user`'s log-in, as accepting an invitation does."""
    db = app.extensions["broen.db"]
    row = db.session.get_one(Citizen, citizen.id)
    row.user_id = user.id
    db.session.commit()
    return row


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


def test_a_cancelled_session_stays_until_its_local_date_has_passed(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = next_week()
    with app.app_context():
        db = app.extensions["broen.db"]
        # One session of each course on `day`, 10:00-12:00; one of them is called off.
        held = make_course(title="Holdt", first_date=day, start=time(10, 0), count=1)
        called_off = make_course(title="Aflyst", first_date=day, start=time(10, 0), count=1)
        session = db.session.get_one(Session, called_off.sessions[0].id)
        services.cancel_session(db, session, cafe_world.user("silkeborg", "coordinator"))
        uid = f"cafe-session-{session.uid}@broen"
        held_uid = f"cafe-session-{held.sessions[0].uid}@broen"

    def feed_at(moment: datetime) -> dict[str, Any]:
        monkeypatch.setattr(feeds, "now", lambda: moment.astimezone(UTC))
        return cafe_events(client.get(PUBLIC))

    late_that_day = feed_at(datetime.combine(day, time(23, 59), tzinfo=CPH))  # it ended hours ago
    assert str(late_that_day[uid]["STATUS"]) == "CANCELLED"
    assert str(late_that_day[uid]["SUMMARY"]) == "AFLYST: Aflyst"
    next_day = feed_at(datetime.combine(day + timedelta(days=1), time(0, 1), tzinfo=CPH))
    assert uid not in next_day
    assert held_uid in next_day  # a session that was held stays


def test_a_participants_own_feed_has_only_the_courses_they_sit_on_until_they_leave(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        # The participant's log-in is linked to this citizen record (as accepting an invitation does).
        me = make_citizen("Pia Participant", email=participant.email.upper())
        me.user_id = participant.id
        db.session.commit()
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
        pia = make_citizen("Pia", email=participant.email)
        # Linked in Norddjurs too, where the participant has no role: not in their feed.
        namesake = make_citizen("Pia", "norddjurs", email=participant.email)
        pia.user_id = namesake.user_id = participant.id
        db.session.commit()
        services.sign_up(db, full, pia, by)
        norddjurs = make_course("norddjurs", first_date=next_week())
        services.sign_up(db, norddjurs, namesake, cafe_world.user("norddjurs", "coordinator"))
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


# --- a course's public feed ------------------------------------------------------------------------------


def course_url(course: Course, slug: str = "silkeborg") -> str:
    return f"/{slug}/public/cafe/courses/{course.id}.ics"


def modified(response: Any) -> datetime:
    moment = parse_date(response.headers["Last-Modified"])
    assert moment is not None
    return moment


def test_a_course_feed_has_that_courses_sessions_only_and_no_participant_data(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(title="Onsdagscafé", first_date=next_week(), count=3)
        other = make_course(title="Fredagscafé", first_date=next_week())
        for name in ("Ane Andersen", "Bent Bertelsen"):
            services.sign_up(db, course, make_citizen(name, email=f"{name[:3].lower()}@example.dk"), by)
        uids = {f"cafe-session-{s.uid}@broen" for s in course.sessions}
        names = [*db.session.scalars(select(Citizen.name)), *db.session.scalars(select(Citizen.email))]
        names += [*db.session.scalars(select(User.name)), *db.session.scalars(select(User.email))]

    response = client.get(course_url(course))  # no log-in
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("public")
    found = events(response)
    assert set(found) == uids
    assert {str(e["SUMMARY"]) for e in found.values()} == {"Onsdagscafé"}
    body = response.get_data(as_text=True)
    assert "X-WR-CALNAME:Onsdagscafé · Silkeborg Kommune" in body
    assert "example-silkeborg" not in body  # no other plugin's events, no other course's
    assert not [n for n in names if n and n in body]
    assert set(events(client.get(course_url(other)))).isdisjoint(uids)
    hit = client.get(course_url(course), headers={"If-None-Match": response.headers["ETag"]})
    assert hit.status_code == 304 and hit.get_data() == b""


def test_a_course_feed_is_a_bare_404_elsewhere_for_unknown_courses_and_with_the_cafe_off(
    app: Flask, cafe_world: World, client: Client, make_course: MakeCourse
) -> None:
    with app.app_context():
        course = make_course(first_date=next_week())
    assert client.get(course_url(course)).status_code == 200
    elsewhere = client.get(course_url(course, "norddjurs"))  # Silkeborg's course, Norddjurs' address
    unknown = client.get(f"/silkeborg/public/cafe/courses/{course.id + 1000}.ics")
    no_such_town = client.get(course_url(course, "atlantis"))
    for response in (elsewhere, unknown, no_such_town):
        assert response.status_code == 404 and response.get_data() == b""
    etag = client.get(course_url(course)).headers["ETag"]
    with app.app_context():
        db = app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, cafe_world.municipalities["silkeborg"], "cafe", False)
    assert client.get(course_url(course)).status_code == 404
    # Not even a client that holds the feed's ETag learns it was there.
    assert client.get(course_url(course), headers={"If-None-Match": etag}).status_code == 404


def backdate_versions(app: Flask) -> None:
    """Every calendar change so far a day ago, so the next one dates the feeds now."""
    db = app.extensions["broen.db"]
    with app.app_context():
        day_ago = api.utcnow() - timedelta(days=1)
        db.session.execute(update(CalendarVersion).values(changed_at=day_ago, public_changed_at=day_ago))
        db.session.commit()


def test_last_modified_moves_when_a_session_is_deleted_or_leaves_a_personal_feed(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=next_week())
        me = link(app, make_citizen("Pia Participant", email=participant.email), participant)
        services.sign_up(db, course, me, by)
        token = tokens.issue(db, db.session.get_one(User, participant.id))
        first_session = course.sessions[0].id
    backdate_versions(app)
    client = app.test_client()
    urls = (PUBLIC, course_url(course), f"/feeds/{token}.ics")
    before = {url: client.get(url) for url in urls}
    assert all(len(cafe_events(r)) == 5 for r in before.values())

    with app.app_context():  # a session is deleted outright
        db = app.extensions["broen.db"]
        db.session.delete(db.session.get_one(Session, first_session))
        db.session.commit()
    for url in urls:
        after = client.get(url)
        assert len(cafe_events(after)) == 4
        assert modified(after) > modified(before[url])
        since = {"If-Modified-Since": before[url].headers["Last-Modified"]}
        assert client.get(url, headers=since).status_code == 200
        assert client.get(url, headers={"If-None-Match": before[url].headers["ETag"]}).status_code == 200

    backdate_versions(app)
    stale = client.get(f"/feeds/{token}.ics")
    with app.app_context():
        db = app.extensions["broen.db"]
        services.leave(db, db.session.get_one(Course, course.id), db.session.get_one(Citizen, me.id), by)
    left = client.get(f"/feeds/{token}.ics")
    assert cafe_events(stale) and cafe_events(left) == {}
    assert modified(left) > modified(stale)
    since = {"If-Modified-Since": stale.headers["Last-Modified"]}
    assert client.get(f"/feeds/{token}.ics", headers=since).status_code == 200


# --- SQL statements per feed request -----------------------------------------------------------------------


def statements(app: Flask, url: str) -> tuple[int, int, int]:
    """How many SQL statements a feed request sends: cold (nothing cached), warm, and answered 304."""
    client = app.test_client()
    feed_cache(app).clear()
    with count_statements(app) as cold:
        first = client.get(url)
    assert first.status_code == 200
    with count_statements(app) as warm:
        assert client.get(url).get_data() == first.get_data()
    with count_statements(app) as not_modified:
        assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    return len(cold), len(warm), len(not_modified)


def test_feeds_send_the_same_statements_for_2_or_40_sessions_and_one_when_warm_or_not_modified(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        me = link(app, make_citizen("Pia Participant", email=participant.email), participant)
        small = make_course(title="Lille", first_date=next_week(), count=2, capacity=40)
        for citizen in (me, make_citizen("Ole Other")):
            services.sign_up(db, small, citizen, by)
        token = tokens.issue(db, db.session.get_one(User, participant.id))
    urls = {"public": PUBLIC, "personal": f"/feeds/{token}.ics", "course": course_url(small)}
    few = {name: statements(app, url) for name, url in urls.items()}

    with app.app_context():
        db = app.extensions["broen.db"]
        big = make_course(title="Stor", first_date=next_week(), count=38, every_days=2, capacity=40)
        services.sign_up(db, big, db.session.get_one(Citizen, me.id), by)
        for n in range(27):  # 30 sign-ups in all
            services.sign_up(db, big, make_citizen(f"Borger {n}"), by)
    urls["course"] = course_url(big)
    many = {name: statements(app, url) for name, url in urls.items()}
    client = app.test_client()
    assert len(cafe_events(client.get(PUBLIC))) == 40
    assert len(cafe_events(client.get(urls["personal"]))) == 40
    assert len(cafe_events(client.get(urls["course"]))) == 38

    assert many == few, (few, many)
    for name, (cold, warm, not_modified) in many.items():
        assert warm == not_modified == 1, name  # the key query, and nothing else
        assert cold <= 8, (name, cold)


def test_a_sign_up_changes_the_personal_feed_but_not_the_public_ones(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    """The public feeds show no sign-ups, so a sign-up leaves their ETag and Last-Modified as they were (their
    subscribers' next poll is a 304); a change of the course itself reaches them at once."""
    participant = cafe_world.user("silkeborg", "participant")
    with app.app_context():
        db = app.extensions["broen.db"]
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=next_week())
        me = link(app, make_citizen("Pia Participant", email=participant.email), participant)
        token = tokens.issue(db, db.session.get_one(User, participant.id))
    backdate_versions(app)
    client = app.test_client()
    personal = f"/feeds/{token}.ics"
    before = {url: client.get(url) for url in (PUBLIC, course_url(course), personal)}
    assert cafe_events(before[personal]) == {}
    with app.app_context():
        db = app.extensions["broen.db"]
        services.sign_up(db, db.session.get_one(Course, course.id), db.session.get_one(Citizen, me.id), by)
    for url in (PUBLIC, course_url(course)):
        assert client.get(url, headers={"If-None-Match": before[url].headers["ETag"]}).status_code == 304, url
        since = {"If-Modified-Since": before[url].headers["Last-Modified"]}
        assert client.get(url, headers=since).status_code == 304, url
    signed_up = client.get(personal, headers={"If-None-Match": before[personal].headers["ETag"]})
    assert signed_up.status_code == 200 and len(cafe_events(signed_up)) == 5
    with app.app_context():
        db = app.extensions["broen.db"]
        db.session.get_one(Course, course.id).title = "Café by the lake"
        db.session.commit()
    for url in (PUBLIC, course_url(course)):
        renamed = client.get(url, headers={"If-None-Match": before[url].headers["ETag"]})
        assert renamed.status_code == 200 and "Café by the lake" in renamed.get_data(as_text=True), url
