"""The coordinator's pages for group courses for relatives, as a coordinator clicks through them: a course
and its sessions at the municipality's local time, moving and cancelling a session (the calendar hears of
it through the sequence), the referrals that point to a course (a relative named only under consent),
deleting a course, and the fences (bad input, roles, the other municipality)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core.models import AuditEntry
from broen.plugins.relatives import courses
from broen.plugins.relatives.models import (
    ConsentForm,
    GroupCourse,
    GroupSession,
    Referral,
    ReferralKind,
    ReferralStatus,
    Relation,
    Relative,
)
from tests.conftest import Client, World, db_of, text_of
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BASE = "/silkeborg/relatives/courses"
COURSE = {
    "title": "Pårørendegruppe forår",
    "kind": "group_course",
    "led_by": "En psykolog fra SIND Pårørenderådgivning",
    "venue": "Medborgerhuset",
    "description": "Seks aftener for pårørende.",
    "places": "12",
}


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def make_course(app: Flask, world: World, slug: str = "silkeborg", **details: Any) -> GroupCourse:
    data = courses.CourseData(**{"title": "Pårørendekursus", "kind": ReferralKind.GROUP_COURSE, **details})
    with app.app_context():
        return courses.create_course(
            db_of(app), world.municipalities[slug], world.user(slug, "coordinator"), data
        )


def add_session(app: Flask, course: GroupCourse, day: date, at: time = time(17), minutes: int = 120) -> int:
    with app.app_context():
        db = db_of(app)
        found = db.session.get_one(GroupCourse, course.id)
        return courses.add_session(db, found, None, day=day, start=at, minutes=minutes).id


def refer(
    app: Flask,
    world: World,
    course: GroupCourse | None,
    name: str,
    relation: Relation = Relation.PARENT,
    withdrawn: datetime | None = None,
    slug: str = "silkeborg",
) -> int:
    """A relative of the municipality's first citizen, referred to `course`; with `withdrawn`, the consent
    was withdrawn then (and the details erased, as the relatives' services do)."""
    with app.app_context():
        db = db_of(app)
        relative = Relative(
            municipality_id=world.municipalities[slug].id,
            citizen_id=world.citizens[slug][0],
            name="" if withdrawn else name,
            relation=relation,
            email="" if withdrawn else f"{name.split()[0].lower()}@example.dk",
            phone="",
            note="",
            consent_given_on=date(2026, 1, 5),
            consent_form=ConsentForm.WRITTEN,
            share_with_relative=True,
            refer_to_counselling=True,
            withdrawn_at=withdrawn,
        )
        db.session.add(relative)
        db.session.flush()
        db.session.add(
            Referral(
                municipality_id=relative.municipality_id,
                relative_id=relative.id,
                kind=ReferralKind.GROUP_COURSE,
                course_id=course.id if course else None,
                status=ReferralStatus.WITHDRAWN if withdrawn else ReferralStatus.PROPOSED,
                situation="Hemmelig situation",
                proposed_on=date(2026, 2, 2),
            )
        )
        db.session.commit()
        return relative.id


def test_a_coordinator_creates_a_course_and_adds_sessions_at_local_time_across_summer_time(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, relatives_world)
    empty = text_of(client.get(f"{BASE}"))
    assert "There are no courses for relatives yet" in empty and "New course" in empty
    response = client.submit(f"{BASE}/new", COURSE)
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The course is created" in page and "The course has no sessions yet" in page
    for shown in ("Group course", "En psykolog fra SIND", "Medborgerhuset", "Seks aftener", "12"):
        assert shown in page, shown
    course_url = response.location.split("#")[0]
    add = course_url + "/sessions"
    for day in ("2026-10-20", "2026-10-27"):  # summer time, then winter time from 25 October
        answer = client.submit(add, {"day": day, "start": "17:00", "minutes": "120"}, course_url)
        assert answer.status_code == 302
    page = text_of(client.get(course_url))
    assert "The session is added" in page and page.count("17:00–19:00") == 2
    assert "Tuesday Oct 20, 2026" in page and "16:00" not in page and "18:00" not in page
    with app.app_context():
        course = db_of(app).session.scalars(select(GroupCourse)).one()
        assert course.kind == ReferralKind.GROUP_COURSE and course.places == 12
        assert [(s.starts_at, s.ends_at) for s in course.sessions] == [
            (datetime(2026, 10, 20, 15, tzinfo=UTC), datetime(2026, 10, 20, 17, tzinfo=UTC)),
            (datetime(2026, 10, 27, 16, tzinfo=UTC), datetime(2026, 10, 27, 18, tzinfo=UTC)),
        ]
        winter = course.sessions[1].id
    # The session's page gives the local time back as it was typed.
    form = client.get(f"{BASE}/sessions/{winter}").get_data(as_text=True)
    assert re.search(r'name="day"[^>]*value="2026-10-27"', form)
    assert re.search(r'name="start"[^>]*value="17:00"', form)
    assert re.search(r'name="minutes"[^>]*value="120"', form)


@SQLITE_ONLY
def test_bad_input_names_the_field_keeps_what_was_typed_and_stores_nothing(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, relatives_world)
    bad = {**COURSE, "title": "  ", "kind": "individual", "places": "many", "venue": "V" * 201}
    response = client.submit(f"{BASE}/new", bad)
    assert response.status_code == 400
    text = text_of(response)
    assert "The course is not saved yet" in text
    for message in ("Title: Write the course's title.", "Kind: Not a valid choice", "Places:", "Venue:"):
        assert message in text, message
    html = response.get_data(as_text=True)
    assert 'value="En psykolog fra SIND Pårørenderådgivning"' in html and 'value="many"' in html
    response = client.submit(f"{BASE}/new", {**COURSE, "places": "0"})
    assert response.status_code == 400
    assert "Places: Between 1 and 500 places" in text_of(response)

    course = make_course(app, relatives_world)
    course_url = f"{BASE}/{course.id}"
    for data, message in (
        ({"day": "2026-13-40", "start": "17:00", "minutes": "120"}, "Date:"),
        ({"day": "2026-10-20", "start": "25:00", "minutes": "120"}, "Start time:"),
        ({"day": "2026-10-20", "start": "17:00", "minutes": "5"}, "Minutes: Between 15 and 600 minutes."),
        ({"day": "", "start": "", "minutes": ""}, "Date: Choose the date."),
        # A rule only the service knows, shown on its field all the same.
        ({"day": "2126-10-20", "start": "17:00", "minutes": "120"}, "Date: Choose a date between 2000"),
    ):
        response = client.submit(f"{course_url}/sessions", data, course_url)
        assert response.status_code == 400, data
        text = text_of(response)
        assert "The session is not added yet" in text and message in text, (data, text)
        if data["day"]:
            assert f'value="{data["day"]}"' in response.get_data(as_text=True)
    session_id = add_session(app, course, date(2026, 10, 20))
    response = client.submit(
        f"{BASE}/sessions/{session_id}/move",
        {"day": "2026-10-21", "start": "17:00", "minutes": "9999"},
        f"{BASE}/sessions/{session_id}",
    )
    assert response.status_code == 400 and "The session is not moved" in text_of(response)
    with app.app_context():
        db = db_of(app)
        assert db.session.scalar(select(func.count()).select_from(GroupCourse)) == 1
        session = db.session.get_one(GroupSession, session_id)
        assert session.starts_at == datetime(2026, 10, 20, 15, tzinfo=UTC) and session.sequence == 0
        assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 1


@SQLITE_ONLY
def test_moving_cancelling_and_a_new_venue_raise_the_sessions_sequence(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    course = make_course(app, relatives_world, venue="Biblioteket")
    session_id = add_session(app, course, date(2026, 5, 5))
    other = add_session(app, course, date(2026, 5, 12))
    with app.app_context():
        first_change = db_of(app).session.get_one(GroupSession, session_id).last_modified
    client = logged_in(make_client, relatives_world)
    url = f"{BASE}/sessions/{session_id}"

    moved = client.submit(f"{url}/move", {"day": "2026-05-06", "start": "18:30", "minutes": "90"}, url)
    assert moved.status_code == 302
    page = text_of(client.get(moved.location))
    assert "The session is moved" in page and "Wednesday May 6, 2026, 18:30–20:00" in page
    same = client.submit(f"{url}/move", {"day": "2026-05-06", "start": "18:30", "minutes": "90"}, url)
    assert "Nothing was changed" in text_of(client.get(same.location))
    with app.app_context():
        session = db_of(app).session.get_one(GroupSession, session_id)
        assert session.starts_at == datetime(2026, 5, 6, 16, 30, tzinfo=UTC)
        assert session.ends_at == datetime(2026, 5, 6, 18, tzinfo=UTC)
        assert session.sequence == 1 and session.last_modified > first_change

    ask = client.get(f"{url}/cancel")
    assert ask.status_code == 200 and "Cancel the session of Pårørendekursus?" in text_of(ask)
    with app.app_context():
        assert not db_of(app).session.get_one(GroupSession, session_id).cancelled  # asking changes nothing
    done = client.submit(f"{url}/cancel", {})
    assert done.status_code == 302
    page = text_of(client.get(done.location))
    assert "The session is cancelled" in page and "It stays in the calendars, marked as cancelled" in page
    with app.app_context():
        session = db_of(app).session.get_one(GroupSession, session_id)
        assert session.cancelled and session.sequence == 2
    assert client.submit(f"{url}/reinstate", {}).status_code == 302
    edited = client.submit(f"{BASE}/{course.id}/edit", {**COURSE, "title": "Pårørendekursus"})
    assert edited.status_code == 302 and "The changes are saved" in text_of(client.get(edited.location))
    with app.app_context():
        db = db_of(app)
        session = db.session.get_one(GroupSession, session_id)
        assert not session.cancelled and session.sequence == 4  # reinstated, then the new venue
        assert db.session.get_one(GroupSession, other).sequence == 1
        assert db.session.get_one(GroupCourse, course.id).venue == "Medborgerhuset"
        updates = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "relatives_course_session", AuditEntry.action == "update")
            .order_by(AuditEntry.id)
        ).all()
        assert [e.details["fields"] for e in updates] == [
            ["starts_at", "ends_at"],
            ["cancelled"],
            ["cancelled"],
        ]


@SQLITE_ONLY
def test_the_course_page_counts_its_referrals_and_names_a_relative_only_under_consent(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    course = make_course(app, relatives_world)
    other = make_course(app, relatives_world, title="Undervisning", kind=ReferralKind.TEACHING)
    lise = refer(app, relatives_world, course, "Lise Pårørende")
    gone = refer(
        app,
        relatives_world,
        course,
        "Gone Name",
        Relation.PARTNER,
        withdrawn=datetime(2026, 3, 3, 9, tzinfo=UTC),
    )
    refer(app, relatives_world, other, "Ole Andensen")
    client = logged_in(make_client, relatives_world)
    page = text_of(client.get(f"{BASE}/{course.id}"))
    assert "2 referrals point to this course" in page
    assert "Lise Pårørende (Parent) Proposed Feb 2, 2026" in page
    assert "Partner, consent withdrawn on Mar 3, 2026 Withdrawn" in page
    assert "Gone Name" not in page and "Ole Andensen" not in page and "Hemmelig situation" not in page
    with app.app_context():
        views = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "relatives_relative", AuditEntry.action == "view"
                )
            )
            .all()
        )
        assert [e.object_id for e in views] == [lise] and gone != lise
        assert views[0].user_id == relatives_world.user("silkeborg", "coordinator").id
    listing = text_of(client.get(f"{BASE}"))
    assert "Undervisning Teaching" in listing


@SQLITE_ONLY
def test_a_course_is_deleted_only_without_referrals_and_after_a_confirmation(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    kept = make_course(app, relatives_world, title="Med henvisninger")
    refer(app, relatives_world, kept, "Lise Pårørende")
    doomed = make_course(app, relatives_world, title="Aflyst kursus")
    add_session(app, doomed, date(2026, 9, 1))
    client = logged_in(make_client, relatives_world)

    refused = client.get(f"{BASE}/{kept.id}/delete")
    assert "1 referral points to this course, so it cannot be deleted" in text_of(refused)
    assert "Yes, delete" not in text_of(refused)
    sent = client.submit(f"{BASE}/{kept.id}/delete", {}, f"{BASE}/{kept.id}")
    assert sent.status_code == 302
    assert "cannot be deleted" in text_of(client.get(sent.location))

    ask = text_of(client.get(f"{BASE}/{doomed.id}/delete"))
    assert "Delete Aflyst kursus?" in ask and "deleted with its 1 session, which leaves the calendars" in ask
    with app.app_context():
        assert db_of(app).session.get(GroupCourse, doomed.id) is not None  # asking deletes nothing
    done = client.submit(f"{BASE}/{doomed.id}/delete", {})
    assert done.status_code == 302
    assert "The course Aflyst kursus is deleted" in text_of(client.get(done.location))
    with app.app_context():
        db = db_of(app)
        assert db.session.get(GroupCourse, kept.id) is not None
        assert db.session.get(GroupCourse, doomed.id) is None
        assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.object_type == "relatives_course", AuditEntry.action == "delete")
            )
            == 1
        )


def test_the_list_shows_upcoming_courses_first_then_past_ones_in_pages_with_a_fixed_number_of_queries(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, relatives_world)

    def listing(url: str = f"{BASE}") -> tuple[int, str]:
        client.get(url)  # warm: the first request of a client loads more (its session)
        with count_statements(app) as seen:
            response = client.get(url)
        assert response.status_code == 200
        return len(seen), text_of(response)

    past = make_course(app, relatives_world, title="Gammelt kursus")
    add_session(app, past, date(2020, 3, 3))
    add_session(app, past, date(2020, 3, 10))
    one, _ = listing()
    later = make_course(app, relatives_world, title="Vinterkursus", venue="Biblioteket", places=8)
    add_session(app, later, date(2030, 1, 8))
    add_session(app, later, date(2030, 2, 5))
    refer(app, relatives_world, later, "Lise Pårørende")
    sooner = make_course(app, relatives_world, title="Efterårskursus")
    add_session(app, sooner, date(2029, 9, 4))
    make_course(app, relatives_world, title="Uden datoer")
    make_course(app, relatives_world, slug="norddjurs", title="Norddjurs kursus")
    count, page = listing()
    assert count == one
    order = [page.index(t) for t in ("Efterårskursus", "Vinterkursus", "Uden datoer", "Gammelt kursus")]
    assert order == sorted(order) and "Norddjurs kursus" not in page
    row = page[page.index("Vinterkursus") : page.index("Uden datoer")]
    assert "Jan 8, 2030 – Feb 5, 2030 (2 sessions)" in row and "Biblioteket" in row and "1/8" in row
    assert "No sessions yet" in page and "(over)" in page[page.index("Gammelt kursus") :]
    for n in range(22):
        make_course(app, relatives_world, title=f"Kursus {n:02}")
    count, page = listing()
    assert count == one and "Page 1 of 2" in page and "Gammelt kursus" not in page
    assert "Gammelt kursus" in listing(f"{BASE}?page=2")[1]


@SQLITE_ONLY
def test_others_than_staff_are_refused_and_another_municipalitys_courses_are_not_found(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    course = make_course(app, relatives_world, title="Hemmeligt kursus")
    session_id = add_session(app, course, date(2026, 10, 20))
    pages = (
        f"{BASE}",
        f"{BASE}/new",
        f"{BASE}/{course.id}",
        f"{BASE}/{course.id}/edit",
        f"{BASE}/{course.id}/delete",
        f"{BASE}/sessions/{session_id}",
        f"{BASE}/sessions/{session_id}/cancel",
        f"{BASE}/sessions/{session_id}/reinstate",
    )
    for role in ("mentor", "participant"):
        client = logged_in(make_client, relatives_world, role)
        for url in pages:
            assert client.get(url).status_code == 403, (role, url)
        answer = client.submit(f"{BASE}/{course.id}/sessions", {"day": "2026-10-27"}, "/silkeborg/")
        assert answer.status_code == 403
    assert make_client().get(f"{BASE}/{course.id}").status_code == 302  # to the login page

    outsider = logged_in(make_client, relatives_world, "coordinator", "norddjurs")
    theirs = "/norddjurs/relatives/courses"
    for url in (f"/{course.id}", f"/{course.id}/edit", f"/{course.id}/delete", f"/sessions/{session_id}"):
        assert outsider.get(theirs + url).status_code == 404, url
    for url, data in (
        (f"/{course.id}/sessions", {"day": "2026-10-27", "start": "17:00", "minutes": "60"}),
        (f"/{course.id}/edit", COURSE),
        (f"/{course.id}/delete", {}),
        (f"/sessions/{session_id}/move", {"day": "2026-10-27", "start": "17:00", "minutes": "60"}),
        (f"/sessions/{session_id}/cancel", {}),
    ):
        assert outsider.submit(theirs + url, data, "/norddjurs/").status_code == 404, url
    assert "Hemmeligt kursus" not in text_of(outsider.get(theirs))
    with app.app_context():
        db = db_of(app)
        assert db.session.get_one(GroupCourse, course.id).title == "Hemmeligt kursus"
        session = db.session.get_one(GroupSession, session_id)
        assert session.sequence == 0 and not session.cancelled
        assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 1
