"""The participant's own café page, as a participant uses it on a phone: sign up (a seat, or a place on the
waitlist), the reason when they may not, leave after confirming, propose topics, a seat from the waitlist
told once, and the subscribe box whose link really serves their sessions. And the fences: other people's
names never show, staff, mentors and other municipalities get nothing, an unlinked log-in gets a calm note."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from broen.core import accounts
from broen.core.models import AuditEntry, Citizen, Role, User
from broen.plugins.cafe import program, services
from broen.plugins.cafe.models import AgendaItem, Course, GuestKind, Session, Signup, SignupStatus
from tests.conftest import PASSWORD, Client, World, db_of, text_of
from tests.fixtures.smtp import Inbox, smtp_server
from tests.sqlcount import count_statements

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]
HOME = "/silkeborg/cafe/me/"


def next_week() -> date:
    return date.today() + timedelta(days=7)


def link(app: Flask, citizen: Citizen, user: User) -> None:
    """Link a log-in to a citizen record, as accepting an invitation does."""
    db = db_of(app)
    row = db.session.get_one(Citizen, citizen.id)
    row.user_id = user.id
    db.session.commit()


def participant(
    app: Flask, world: World, make_citizen: MakeCitizen, name: str = "Pia Petersen", **kw: Any
) -> Citizen:
    """A citizen linked to the world's Silkeborg participant log-in."""
    me = make_citizen(name, **kw)
    link(app, me, world.user("silkeborg", "participant"))
    return me


def logged_in(make_client: Any, user: User | str) -> Client:
    client: Client = make_client()
    assert client.login(user).status_code == 302
    return client


def sign_up_url(course_id: int) -> str:
    return f"/silkeborg/cafe/me/courses/{course_id}/sign-up"


def test_a_participant_signs_up_for_a_seat_and_then_for_a_full_course_on_the_waitlist(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
        roomy = make_course(
            title="Mandagscafé", first_date=next_week(), capacity=3, description="Vi taler om job."
        )
        full = make_course(title="Torsdagscafé", first_date=next_week(), capacity=1)
        services.sign_up(db, full, make_citizen("Ole Olsen"), by)
        services.sign_up(db, full, make_citizen("Karen Krog"), by)
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))

    page = text_of(client.get(HOME))
    assert "You are not on a course yet" in page
    assert "Mandagscafé" in page and "Vi taler om job." in page and "3 seats free" in page
    assert "Torsdagscafé" in page and "Full: you will be put on the waitlist" in page
    assert "Ole Olsen" not in page and "Karen Krog" not in page

    seat = client.submit(sign_up_url(roomy.id), {}, page=HOME, follow_redirects=True)
    assert seat.status_code == 200
    page = text_of(seat)
    assert "You have a seat on Mandagscafé." in page
    assert "Coming meetings" in page and page.count("17:00–19:00") >= 5
    assert "Leave the course" in page

    queued = text_of(client.submit(sign_up_url(full.id), {}, page=HOME, follow_redirects=True))
    assert "The course is full. You are number 2 on the waitlist." in queued
    assert "You are number 2 on the waitlist." in queued.split("My courses", 1)[1]
    assert "Ole Olsen" not in queued and "Karen Krog" not in queued

    with app.app_context():
        rows = db_of(app).session.scalars(
            select(Signup).where(Signup.citizen_id == me.id).order_by(Signup.id)
        )
        assert [(r.course_id, r.status, r.position) for r in rows] == [
            (roomy.id, SignupStatus.CONFIRMED, None),
            (full.id, SignupStatus.WAITLISTED, 2),
        ]
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "cafe_signup", AuditEntry.user_id.is_not(None)
                )
            )
            .all()
        )
        mine = [e for e in entries if e.details["citizen_id"] == me.id]
        assert {e.user_id for e in mine} == {cafe_world.user("silkeborg", "participant").id}

    # Twice is refused with the reason.
    again = text_of(client.submit(sign_up_url(roomy.id), {}, page=HOME, follow_redirects=True))
    assert "already signed up" in again


def test_an_ineligible_participant_sees_the_reason_and_cannot_sign_up(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        me = participant(app, cafe_world, make_citizen, mental_health=False)
        course = make_course(first_date=next_week())
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    page = text_of(client.get(HOME))
    reason = "only for citizens whose flex job was granted on the basis of mental illness"
    assert reason in page and "talk to your coordinator" in page
    response = client.submit(sign_up_url(course.id), {}, page=HOME, follow_redirects=True)
    assert reason in text_of(response)
    with app.app_context():
        assert db_of(app).session.scalars(select(Signup).where(Signup.citizen_id == me.id)).all() == []


def test_leaving_asks_first_then_frees_the_seat_for_the_next_who_is_mailed_and_told_once_on_their_page(
    app: Flask,
    cafe_world: World,
    make_client: Any,
    make_course: MakeCourse,
    make_citizen: MakeCitizen,
    smtp_server: Inbox,
) -> None:
    app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = smtp_server.host, smtp_server.port
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
        course = make_course(title="Tirsdagscafé", first_date=next_week(), capacity=1)
        services.sign_up(db, course, me, by)
        # The next in line has a log-in of their own.
        bo_user = accounts.create_user(db, "bo@example.dk", "Bo", PASSWORD, language="en")
        accounts.grant_role(db, bo_user, cafe_world.municipalities["silkeborg"], Role.PARTICIPANT)
        bo = make_citizen("Bo Bertelsen", email="bo@example.dk")
        link(app, bo, bo_user)
        services.sign_up(db, course, bo, by)
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    leave = f"/silkeborg/cafe/me/courses/{course.id}/leave"

    ask = client.get(leave)
    assert ask.status_code == 200 and "Leave Tirsdagscafé?" in text_of(ask)
    with app.app_context():
        assert (
            db_of(app).session.scalar(select(Signup.status).where(Signup.citizen_id == me.id)) == "confirmed"
        )

    done = client.submit(leave, {}, follow_redirects=True)
    assert "You have left Tirsdagscafé." in text_of(done)
    assert "Bo Bertelsen" not in text_of(done)
    with app.app_context():
        statuses = dict(db_of(app).session.execute(select(Signup.citizen_id, Signup.status)).all())
    assert statuses == {me.id: SignupStatus.LEFT, bo.id: SignupStatus.CONFIRMED}
    (message,) = smtp_server.messages
    assert message["To"] == "bo@example.dk" and message["Subject"] == "You got a seat on Tirsdagscafé"

    theirs = logged_in(make_client, "bo@example.dk")
    first = text_of(theirs.get(HOME))
    assert "You got a seat on Tirsdagscafé" in first
    assert "Pia" not in first
    assert "You got a seat on Tirsdagscafé" not in text_of(theirs.get(HOME))  # told once

    # Leaving a course you are not on is not found.
    assert client.get(leave).status_code == 404


def test_a_participant_proposes_a_topic_and_sees_only_their_own_and_where_it_was_placed(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
        other = make_citizen("Ole Olsen")
        course = make_course(title="Tirsdagscafé", first_date=next_week())
        services.sign_up(db, course, me, by)
        services.sign_up(db, course, other, by)
        program.propose_topic(db, course, other, None, title="Oles hemmelige emne")
        guest = program.add_item(
            db,
            course,
            by,
            title="Fra ledig til fleksjob",
            session=course.sessions[0],
            guest_kind=GuestKind.LIVED_EXPERIENCE,
            guest_name="Mette",
        )
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    topics = f"/silkeborg/cafe/me/courses/{course.id}/topics"

    empty = client.submit(topics, {"title": "  ", "note": "Noget om arbejdstider"}, page=HOME)
    assert empty.status_code == 400
    page = text_of(empty)
    assert "Write the topic." in page and "Noget om arbejdstider" in empty.get_data(as_text=True)

    sent = client.submit(topics, {"title": "At sige nej", "note": ""}, page=HOME, follow_redirects=True)
    page = text_of(sent)
    assert "Your topic is sent to the coordinator." in page
    assert "At sige nej – waiting for the coordinator" in page
    assert "Oles hemmelige emne" not in page and "Ole Olsen" not in page
    # The coordinator's guest talk on the first session, marked as one.
    assert "Fra ledig til fleksjob (Guest with lived experience: Mette)" in page
    assert guest.session_id == course.sessions[0].id

    with app.app_context():
        db = db_of(app)
        item = db.session.scalars(select(AgendaItem).where(AgendaItem.title == "At sige nej")).one()
        assert item.proposed_by_citizen_id == me.id
        assert item.created_by_id == cafe_world.user("silkeborg", "participant").id
        program.place_item(db, item, db.session.get_one(Session, course.sessions[1].id), by)
    page = text_of(client.get(HOME))
    assert "At sige nej – on the agenda:" in page

    # Not on the course: no topics.
    with app.app_context():
        elsewhere = make_course(title="Fredagscafé", first_date=next_week())
    refused = client.submit(f"/silkeborg/cafe/me/courses/{elsewhere.id}/topics", {"title": "X"}, page=HOME)
    assert refused.status_code == 302
    with app.app_context():
        assert (
            db_of(app).session.scalars(select(AgendaItem).where(AgendaItem.course_id == elsewhere.id)).all()
            == []
        )


def test_a_cancelled_session_is_shown_as_cancelled(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
        course = make_course(first_date=next_week(), count=2)
        services.sign_up(db, course, me, by)
        services.cancel_session(db, course.sessions[1], by)
    page = text_of(logged_in(make_client, cafe_world.user("silkeborg", "participant")).get(HOME))
    coming = page.split("Coming meetings", 1)[1]
    assert coming.count("Cancelled:") == 1


def test_the_subscribe_box_makes_a_link_shown_once_whose_feed_has_their_sessions(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
        mine = make_course(title="Mandagscafé", first_date=next_week(), count=1)
        theirs = make_course(title="Torsdagscafé", first_date=next_week(), count=1)
        services.sign_up(db, mine, me, by)
        services.sign_up(db, theirs, make_citizen("Ole Olsen"), by)
        my_uid = f"cafe-session-{mine.sessions[0].uid}@broen"
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))

    page = text_of(client.get(HOME))
    assert "Subscribe to my calendar" in page and "Make my calendar link" in page

    made = client.submit("/silkeborg/cafe/me/calendar-link", {}, page=HOME)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    webcal = re.search(r'href="(webcal://[^"]+)"[^>]*>Add to my calendar', html)
    https = re.search(r'id="calendar-link" type="text" readonly value="(https?://[^"]+)"', html)
    assert webcal and https
    assert webcal.group(1) == "webcal://" + https.group(1).split("://", 1)[1]
    assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="QR code', html)

    feed = make_client().get(urlsplit(https.group(1)).path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    uids = {str(e["UID"]) for e in Calendar.from_ical(feed.get_data()).walk("VEVENT")}
    assert my_uid in uids
    assert all(
        "Torsdagscafé" not in str(e["SUMMARY"]) for e in Calendar.from_ical(feed.get_data()).walk("VEVENT")
    )

    # Back on the page: the link is not shown again; a new one can be made, and the old one stops.
    page = text_of(client.get(HOME))
    assert "You have a calendar link already" in page and https.group(1) not in page
    ask = client.get("/silkeborg/cafe/me/calendar-link")
    assert ask.status_code == 200 and "Your old link stops working" in text_of(ask)
    again = client.submit("/silkeborg/cafe/me/calendar-link", {})
    newer = re.search(r'readonly value="(https?://[^"]+)"', again.get_data(as_text=True))
    assert newer and newer.group(1) != https.group(1)
    assert make_client().get(urlsplit(https.group(1)).path).status_code == 404
    assert make_client().get(urlsplit(newer.group(1)).path).status_code == 200


def test_a_log_in_without_a_citizen_record_gets_a_calm_note(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    with app.app_context():
        course = make_course(first_date=next_week())
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    page = client.get(HOME)
    assert page.status_code == 200
    assert "not linked to a participant yet" in text_of(page) and "contact your coordinator" in text_of(page)
    assert client.submit(sign_up_url(course.id), {}, page=HOME).status_code == 302
    with app.app_context():
        assert db_of(app).session.scalars(select(Signup)).all() == []


@pytest.mark.parametrize(
    ("who", "slug"), [("coordinator", "silkeborg"), ("mentor", "silkeborg"), ("participant", "norddjurs")]
)
def test_staff_mentors_and_other_municipalities_are_kept_out(
    app: Flask,
    cafe_world: World,
    make_client: Any,
    make_course: MakeCourse,
    make_citizen: MakeCitizen,
    who: str,
    slug: str,
) -> None:
    with app.app_context():
        course = make_course(first_date=next_week())
        # Even a citizen record linked to the log-in does not open the page without the participant role here.
        link(app, make_citizen("Someone", slug), cafe_world.user(slug, who))
    client = logged_in(make_client, cafe_world.user(slug, who))
    assert client.get(HOME).status_code == 403
    assert client.get(f"/silkeborg/cafe/me/courses/{course.id}/leave").status_code == 403
    token = client.csrf_token(f"/{slug}/")  # a valid token: the role is what refuses
    assert client.post(sign_up_url(course.id), data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db_of(app).session.scalars(select(Signup)).all() == []


def test_the_menu_offers_the_page_to_participants_only(
    app: Flask, cafe_world: World, make_client: Any
) -> None:
    participant_home = logged_in(make_client, cafe_world.user("silkeborg", "participant")).get("/silkeborg/")
    assert "My café meetings" in participant_home.get_data(as_text=True)
    coordinator_home = logged_in(make_client, cafe_world.user("silkeborg", "coordinator")).get("/silkeborg/")
    assert "My café meetings" not in coordinator_home.get_data(as_text=True)


def test_another_municipalitys_course_is_not_found(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        participant(app, cafe_world, make_citizen)
        theirs = make_course("norddjurs", title="Norddjurs-café", first_date=next_week())
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    assert "Norddjurs-café" not in text_of(client.get(HOME))
    assert client.submit(sign_up_url(theirs.id), {}, page=HOME).status_code == 404
    assert client.get(f"/silkeborg/cafe/me/courses/{theirs.id}/leave").status_code == 404


def test_the_page_sends_the_same_statements_for_one_course_as_for_four(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        me = participant(app, cafe_world, make_citizen)
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))

    def statements_with(courses: int) -> int:
        with app.app_context():
            for n in range(courses):
                course = make_course(title=f"Café {n}", first_date=next_week())
                services.sign_up(db, course, me, by)
                program.propose_topic(db, course, me, None, title=f"Emne {n}")
                program.add_item(db, course, by, title=f"Punkt {n}", session=course.sessions[0])
                make_course(title=f"Åben café {n}", first_date=next_week())
        with count_statements(app) as seen:
            assert client.get(HOME).status_code == 200
        return len(seen)

    assert statements_with(1) == statements_with(3)


def test_the_courses_to_join_come_ten_at_a_time_soonest_first(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    """A phone's page stays short when a municipality offers many courses: ten at a time, soonest first."""
    with app.app_context():
        participant(app, cafe_world, make_citizen)
        for n in range(12):  # "Café 11" meets first, "Café 0" last
            make_course(title=f"Café {n}", first_date=next_week() + timedelta(days=12 - n))
    client = logged_in(make_client, cafe_world.user("silkeborg", "participant"))
    first = text_of(client.get(HOME))
    shown = [n for n in range(12) if f"Sign up Café {n} " in first + " "]
    assert shown == list(range(2, 12)) and "Page 1 of 2" in first
    second = text_of(client.get(f"{HOME}?page=2"))
    assert [n for n in range(12) if f"Sign up Café {n} " in second + " "] == [0, 1]
    assert "Page 2 of 2" in second and "Previous" in second
