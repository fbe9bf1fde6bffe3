"""The coordinator's café pages: courses, sessions, sign-ups, attendance and agenda, as a coordinator
clicks through them, and the fences around them (roles, the other municipality, bad input)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from broen.core.models import AuditEntry, Citizen
from broen.plugins.cafe import program, services
from broen.plugins.cafe.models import AgendaItem, Attendance, Course, GuestKind, Session, SignupStatus
from tests.conftest import Client, World, db_of, text_of
from tests.fixtures.smtp import Inbox, smtp_server
from tests.plugins.cafe.conftest import save_settings
from tests.sqlcount import count_statements

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]
BASE = "/silkeborg/cafe"


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def session_ids(app: Flask, course_id: int) -> list[int]:
    with app.app_context():
        return list(
            db_of(app).session.scalars(
                select(Session.id).where(Session.course_id == course_id).order_by(Session.starts_at)
            )
        )


def test_the_course_list_shows_running_courses_first_then_past_ones_with_their_seats(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    client = logged_in(make_client, cafe_world)
    home = text_of(client.get("/silkeborg/"))
    assert "Café meetings" in home
    empty = client.get(f"{BASE}/")
    assert empty.status_code == 200
    assert "There are no café courses yet" in text_of(empty) and "New course" in text_of(empty)

    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        make_course(title="Forårscafé", first_date=date(2020, 3, 3), count=2)
        later = make_course(
            title="Vintercafé", first_date=date(2030, 1, 8), capacity=1, venue="Medborgerhuset"
        )
        make_course(title="Efterårscafé", first_date=date(2029, 9, 4))
        for name in ("Dorte", "Erik", "Frida"):
            services.sign_up(db, later, make_citizen(name), by)
    page = text_of(client.get(f"{BASE}/"))
    assert page.index("Efterårscafé") < page.index("Vintercafé") < page.index("Forårscafé")
    row = page[page.index("Vintercafé") : page.index("Forårscafé")]
    assert "Medborgerhuset" in row and "1/1" in row and "2" in row
    assert "Jan 8, 2030 – Feb 5, 2030" in row
    assert "over" in page[page.index("Forårscafé") :]


def test_a_coordinator_creates_a_course_with_the_defaults_and_17_00_stays_17_00_across_summer_time(
    app: Flask, cafe_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, cafe_world)
    form = client.get(f"{BASE}/courses/new").get_data(as_text=True)
    for name, value in (("count", "5"), ("minutes", "120"), ("capacity", "12")):
        assert re.search(rf'name="{name}"[^>]*value="{value}"', form) or re.search(
            rf'value="{value}"[^>]*name="{name}"', form
        ), name
    response = client.submit(
        f"{BASE}/courses/new",
        {
            "title": "Café på vej",
            "venue": "Biblioteket",
            "facilitators": "Mette og Jonas",
            "capacity": "12",
            "description": "",
            "first_date": "2026-10-13",
            "weekday": "",
            "start": "17:00",
            "count": "5",
            "minutes": "120",
        },
    )
    assert response.status_code == 302
    page = client.get(response.location)
    text = text_of(page)
    assert "The course is created with 5 sessions" in text
    assert text.count("17:00–19:00") == 5 * 2  # the sessions table and the agenda headings
    assert "18:00" not in text and "16:00" not in text
    with app.app_context():
        course = db_of(app).session.scalars(select(Course)).one()
        assert course.capacity == 12 and course.facilitators == "Mette og Jonas"
        starts = [s.starts_at for s in course.sessions]
    assert starts[0] == datetime(2026, 10, 13, 15, 0, tzinfo=UTC)
    assert starts[2] == datetime(2026, 10, 27, 16, 0, tzinfo=UTC)  # winter time from 25 October


def test_a_new_course_on_another_weekday_uses_the_municipalitys_own_defaults(
    app: Flask, cafe_world: World, make_client: Any
) -> None:
    with app.app_context():
        save_settings(
            app, cafe_world.municipalities["silkeborg"], default_session_count=3, default_capacity=8
        )
    client = logged_in(make_client, cafe_world)
    form = client.get(f"{BASE}/courses/new").get_data(as_text=True)
    assert re.search(r'name="count"[^>]*value="3"', form) and re.search(
        r'name="capacity"[^>]*value="8"', form
    )
    response = client.submit(
        f"{BASE}/courses/new",
        {"title": "Torsdagscafé", "capacity": "8", "first_date": "2026-10-13", "weekday": "3"}
        | {"start": "10:00", "count": "3", "minutes": "90"},
    )
    assert response.status_code == 302
    with app.app_context():
        course = db_of(app).session.scalars(select(Course)).one()
        assert [s.starts_at.date() for s in course.sessions] == [
            date(2026, 10, 15),
            date(2026, 10, 22),
            date(2026, 10, 29),
        ]


def test_bad_input_names_the_field_keeps_what_was_typed_and_saves_nothing(
    app: Flask, cafe_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, cafe_world)
    response = client.submit(
        f"{BASE}/courses/new",
        {
            "title": "  ",
            "venue": "Kulturhuset <Jysk>",
            "capacity": "many",
            "first_date": "13/10/2026",
            "weekday": "",
            "start": "25:99",
            "count": "0",
            "minutes": "120",
        },
    )
    assert response.status_code == 400
    text = text_of(response)
    assert "The course is not saved yet" in text
    for message in (
        "Title: Write the course's title.",
        "Seats:",
        "First date:",
        "Start time:",
        "Number of sessions:",
    ):
        assert message in text, message
    html = response.get_data(as_text=True)
    assert 'value="Kulturhuset &lt;Jysk&gt;"' in html and 'value="25:99"' in html
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Course)) == 0


def test_editing_the_details_reaches_the_calendars_and_a_mistake_keeps_what_was_typed(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    with app.app_context():
        course = make_course(count=2)
        course_id = course.id
        services.edit_session(db_of(app), course.sessions[1], None, location="Medborgerhuset")
    client = logged_in(make_client, cafe_world)
    url = f"{BASE}/courses/{course_id}/edit"
    assert 'value="Biblioteket, Hostrupsgade 41"' in client.get(url).get_data(as_text=True)
    details = {
        "title": "Café på vej",
        "venue": "Rådhuset",
        "facilitators": "Mette",
        "description": "",
        "capacity": "12",
    }

    wrong = client.submit(url, {**details, "title": ""})
    assert wrong.status_code == 400
    assert "Title: Write the course's title." in text_of(wrong) and 'value="Rådhuset"' in wrong.get_data(
        as_text=True
    )
    with app.app_context():
        assert db_of(app).session.get_one(Course, course_id).venue == "Biblioteket, Hostrupsgade 41"

    assert client.submit(url, details).status_code == 302
    with app.app_context():
        course = db_of(app).session.get_one(Course, course_id)
        assert (course.venue, course.facilitators) == ("Rådhuset", "Mette")
        # The first session moved with the venue; the second has a place of its own.
        assert [s.sequence for s in course.sessions] == [1, 1]
        assert [s.place for s in course.sessions] == ["Rådhuset", "Medborgerhuset"]


def test_more_seats_go_to_the_waitlist_in_order_and_fewer_than_the_seated_is_refused(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        course = make_course(capacity=1)
        course_id = course.id
        for name in ("Dorte Dahl", "Erik Eng", "Frida Fisk", "Gitte Gran"):
            services.sign_up(db, course, make_citizen(name), None)
    client = logged_in(make_client, cafe_world)
    url = f"{BASE}/courses/{course_id}/edit"
    details = {"title": "Café på vej", "venue": "Biblioteket", "facilitators": "", "description": ""}

    more = client.submit(url, {**details, "capacity": "3"})
    assert more.status_code == 302
    text = text_of(client.get(more.location))
    assert (
        "Erik Eng got a seat from the waitlist." in text
        and "Frida Fisk got a seat from the waitlist." in text
    )
    assert "3 of 3 taken" in text and "No. 1 Gitte Gran" in text

    fewer = client.submit(url, {**details, "title": "Nyt navn", "capacity": "2"})
    assert fewer.status_code == 400
    assert "Seats: 3 participants have a seat, so the course needs at least 3 seats." in text_of(fewer)
    assert 'value="Nyt navn"' in fewer.get_data(as_text=True)
    with app.app_context():
        course = db_of(app).session.get_one(Course, course_id)
        assert (course.title, course.capacity) == ("Café på vej", 3)


def test_moving_a_session_and_cancelling_it_after_a_confirmation(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    with app.app_context():
        course_id = make_course().id
    first, second, *_ = session_ids(app, course_id)
    client = logged_in(make_client, cafe_world)
    page = f"{BASE}/sessions/{second}"
    assert "Session 2" in text_of(client.get(page))

    moved = client.submit(
        f"{BASE}/sessions/{second}/move", {"day": "2026-10-21", "start": "18:30", "minutes": "90"}, page=page
    )
    assert moved.status_code == 302
    after = text_of(client.get(page))
    assert "18:30–20:00" in after and "Oct 21, 2026" in after

    bad = client.submit(
        f"{BASE}/sessions/{second}/move", {"day": "", "start": "18:30", "minutes": "5"}, page=page
    )
    assert bad.status_code == 400
    assert "Date: Choose the date." in text_of(bad) and "Minutes: Between 15 and 600 minutes." in text_of(bad)

    placed = client.submit(f"{BASE}/sessions/{second}/place", {"location": "Medborgerhuset"}, page=page)
    assert placed.status_code == 302

    confirm = client.get(f"{BASE}/sessions/{second}/cancel")
    assert confirm.status_code == 200 and "Cancel the session of Café på vej?" in text_of(confirm)
    with app.app_context():
        assert not db_of(app).session.get_one(Session, second).cancelled  # asking changed nothing
    assert client.submit(f"{BASE}/sessions/{second}/cancel", {}).status_code == 302
    course_page = text_of(client.get(f"{BASE}/courses/{course_id}"))
    assert "Cancelled" in course_page and "Changed" not in course_page
    assert client.submit(f"{BASE}/sessions/{second}/reinstate", {}).status_code == 302
    with app.app_context():
        s = db_of(app).session.get_one(Session, second)
        untouched = db_of(app).session.get_one(Session, first)
        assert not s.cancelled and s.location == "Medborgerhuset" and s.sequence == 4
        assert s.starts_at == datetime(2026, 10, 21, 16, 30, tzinfo=UTC)
        assert untouched.sequence == 0


def test_a_move_is_e_mailed_at_once_and_the_page_says_whom_the_mail_did_not_reach(
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
        course = make_course(first_date=date(2027, 1, 12))
        course_id = course.id
        services.sign_up(db, course, make_citizen("Dorte Dahl", email="dorte@example.dk"), None)
        services.sign_up(db, course, make_citizen("Erik Eng", email="erik@refused.example"), None)
    first = session_ids(app, course_id)[0]
    client = logged_in(make_client, cafe_world)
    page = f"{BASE}/sessions/{first}"
    moved = client.submit(
        f"{BASE}/sessions/{first}/move", {"day": "2027-01-13", "start": "18:00", "minutes": "120"}, page=page
    )
    assert moved.status_code == 302
    text = text_of(client.get(moved.location))
    assert "The session is moved." in text
    assert "Participants told by e-mail: 1." in text
    assert "Participants the e-mail could not reach: 1. Tell them another way." in text
    assert [m["To"] for m in smtp_server.messages] == ["dorte@example.dk"]


def test_signing_up_citizens_seats_queues_and_refuses_with_the_reason(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        course_id = make_course(capacity=1).id
        dorte, erik, frida = (make_citizen(n).id for n in ("Dorte Dahl", "Erik Eng", "Frida Fisk"))
        gitte = make_citizen("Gitte Gran", approved=False, mental_health=False).id
        make_citizen("Hans Norddjurs", "norddjurs")
    client = logged_in(make_client, cafe_world)
    page = f"{BASE}/courses/{course_id}"
    listed = text_of(client.get(page))
    assert "Dorte Dahl" in listed and "Hans Norddjurs" not in listed
    assert "Frida Fisk" not in text_of(client.get(page + "?q=dorte"))

    url = f"{BASE}/courses/{course_id}/sign-up"
    first = client.submit(url, {"citizen": str(dorte)}, page=page)
    assert first.status_code == 302
    assert "Dorte Dahl has a seat on the course" in text_of(client.get(first.location))
    second = client.submit(url, {"citizen": str(erik)}, page=page)
    assert "is on the waitlist at position 1" in text_of(client.get(second.location))
    client.submit(url, {"citizen": str(frida)}, page=page)

    refused = client.submit(url, {"citizen": str(gitte)}, page=page)
    assert refused.status_code == 400
    assert "Citizen: Café meetings are only for citizens approved for a flex job." in text_of(refused)
    twice = client.submit(url, {"citizen": str(dorte)}, page=page)
    assert twice.status_code == 400 and "already signed up" in text_of(twice)

    text = text_of(client.get(page))
    assert "1 of 1 taken" in text and "2 on the waitlist" in text
    assert "No. 1 Erik Eng" in text and "No. 2 Frida Fisk" in text
    assert "Gitte Gran" in text  # still offered: she is not on the course
    with app.app_context():
        rows = services.signups(db_of(app), db_of(app).session.get_one(Course, course_id))
        assert [(r.citizen_id, r.status) for r in rows] == [
            (dorte, SignupStatus.CONFIRMED),
            (erik, SignupStatus.WAITLISTED),
            (frida, SignupStatus.WAITLISTED),
        ]


def test_removing_a_participant_asks_first_and_says_who_got_the_seat(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(capacity=1)
        course_id = course.id
        dorte, erik = make_citizen("Dorte Dahl"), make_citizen("Erik Eng")
        services.sign_up(db, course, dorte, by)
        services.sign_up(db, course, erik, by)
        dorte_id = dorte.id
    client = logged_in(make_client, cafe_world)
    url = f"{BASE}/courses/{course_id}/participants/{dorte_id}/remove"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Take Dorte Dahl off Café på vej?" in text_of(confirm)
    done = client.submit(url, {})
    assert done.status_code == 302
    text = text_of(client.get(done.location))
    assert "Dorte Dahl is taken off the course." in text
    assert "Erik Eng got a seat from the waitlist." in text
    assert client.get(url).status_code == 404  # not on the course any more


def test_attendance_is_marked_per_session_and_shown_as_a_grid_and_a_csv(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(count=3)
        course_id = course.id
        people = [make_citizen(n) for n in ("Dorte Dahl", '=HYPERLINK("x")', "Erik Eng")]
        for person in people:
            services.sign_up(db, course, person, by)
        ids = [p.id for p in people]
    first, second, third = session_ids(app, course_id)
    client = logged_in(make_client, cafe_world)
    page = f"{BASE}/sessions/{first}"
    assert "(not marked)" in text_of(client.get(page))
    marked = client.submit(
        f"{BASE}/sessions/{first}/attendance",
        {f"present-{ids[0]}": "yes", f"present-{ids[1]}": "no"},
        page=page,
    )
    assert marked.status_code == 302
    again = client.submit(
        f"{BASE}/sessions/{second}/attendance",
        {f"present-{ids[0]}": "yes", f"present-{ids[2]}": "yes"},
        page=page,
    )
    assert again.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert re.search(rf'id="present-{ids[0]}-yes"[^>]*checked', html)
    assert re.search(rf'id="present-{ids[1]}-no"[^>]*checked', html)

    # Change one mark: the row is updated, not duplicated.
    client.submit(f"{BASE}/sessions/{first}/attendance", {f"present-{ids[1]}": "yes"}, page=page)
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Attendance)) == 4

    grid = text_of(client.get(f"{BASE}/courses/{course_id}/attendance"))
    # The symbols, each with its word for screen readers.
    assert "Dorte Dahl ✓present ✓present –not marked 2 0" in grid
    assert "Erik Eng –not marked ✓present –not marked 1 0" in grid
    assert "Present in all 2 2 0 4 0" in grid

    response = client.get(f"{BASE}/courses/{course_id}/attendance.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0] == [
        "Participant",
        "13.10.2026 17:00",
        "20.10.2026 17:00",
        "27.10.2026 17:00",
        "Present",
        "Absent",
    ]
    assert rows[1] == ["Dorte Dahl", "present", "present", "", "2", "0"]
    assert rows[2][0] == '\'=HYPERLINK("x")'  # not a formula to Excel
    assert rows[-2] == ["Present in all", "2", "2", "0", "4", "0"]
    assert rows[-1][:4] == ["Absent in all", "0", "0", "0"]
    with app.app_context():
        export = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "export", AuditEntry.object_type == "cafe_course"
                )
            )
            .one()
        )
        assert export.object_id == course_id and export.details["page"] == "attendance"
        assert sorted(export.details["exported"]) == sorted(ids)
        marks = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "cafe_attendance", AuditEntry.action == "update"
                )
            )
            .all()
        )
        assert len(marks) == 3
    assert third


def test_the_agenda_places_proposals_and_marks_guest_talks(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        course = make_course(count=2)
        course_id = course.id
        dorte = make_citizen("Dorte Dahl")
        proposal = program.propose_topic(db, course, dorte, None, title="Fleksjob og ferie", note="Hvordan?")
        item_id = proposal.id
    second = session_ids(app, course_id)[1]
    client = logged_in(make_client, cafe_world)
    page = f"{BASE}/courses/{course_id}"
    text = text_of(client.get(page))
    assert "Fleksjob og ferie" in text and "Proposed by Dorte Dahl" in text

    placed = client.submit(f"{BASE}/agenda/{item_id}/place", {"session": str(second)}, page=page)
    assert placed.status_code == 302
    text = text_of(client.get(page))
    assert "No topics wait to be placed" in text
    agenda = text[text.index("Proposed topics") :]
    assert agenda.index("Session 2:") < agenda.index("Fleksjob og ferie")

    add = f"{BASE}/courses/{course_id}/agenda"
    item = {"title": "Virksomhedsbesøg", "note": "", "session": str(second), "guest_kind": "company"}
    missing = client.submit(add, {**item, "guest_name": ""}, page=page)
    assert missing.status_code == 400
    assert "The guest's name (a company or a person): Write who gives the guest talk." in text_of(missing)
    assert 'value="Virksomhedsbesøg"' in missing.get_data(as_text=True)
    assert client.submit(add, {**item, "guest_name": "Grundfos"}, page=page).status_code == 302
    text = text_of(client.get(page))
    assert "Guest from a company: Grundfos" in text
    agenda = text[text.index("Proposed topics") :]
    assert agenda.index("Fleksjob og ferie") < agenda.index("Virksomhedsbesøg")

    edit = f"{BASE}/agenda/{item_id}"
    saved = client.submit(
        edit, {"session": str(second), "guest_kind": "lived_experience", "guest_name": "Lise"}
    )
    assert saved.status_code == 302
    set_aside = client.submit(f"{BASE}/agenda/{item_id}/set-aside", {}, page=page)
    assert set_aside.status_code == 302
    with app.app_context():
        row = db_of(app).session.get_one(AgendaItem, item_id)
        assert row.guest_kind == GuestKind.LIVED_EXPERIENCE and row.guest_name == "Lise"
        assert row.dismissed and row.session_id is None
    assert "Take up again" in text_of(client.get(page))


def test_mentors_and_participants_are_refused_and_other_municipalities_ids_are_not_found(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    with app.app_context():
        course_id = make_course().id
    first = session_ids(app, course_id)[0]
    for role in ("mentor", "participant"):
        client = logged_in(make_client, cafe_world, role)
        assert "Café meetings</a>" not in client.get("/silkeborg/").get_data(as_text=True)
        for url in (f"{BASE}/", f"{BASE}/courses/{course_id}", f"{BASE}/sessions/{first}"):
            assert client.get(url).status_code == 403, (role, url)
    outsider = logged_in(make_client, cafe_world, "coordinator", "norddjurs")
    for url in (
        f"/norddjurs/cafe/courses/{course_id}",
        f"/norddjurs/cafe/courses/{course_id}/attendance.csv",
        f"/norddjurs/cafe/sessions/{first}",
    ):
        assert outsider.get(url).status_code == 404, url
    assert outsider.get(f"{BASE}/courses/{course_id}").status_code == 403
    assert "Café på vej" not in text_of(outsider.get("/norddjurs/cafe/"))


def test_the_course_page_logs_which_citizens_it_showed(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        course = make_course()
        course_id = course.id
        dorte = make_citizen("Dorte Dahl")
        services.sign_up(db, course, dorte, None)
        dorte_id = dorte.id
    client = logged_in(make_client, cafe_world)
    client.get(f"{BASE}/courses/{course_id}?q=dorte")
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.object_type == "cafe_course")
            )
            .one()
        )
        assert entry.object_id == course_id and entry.details["shown"] == [dorte_id]
        assert entry.user_id == cafe_world.user("silkeborg", "coordinator").id


def _fill(
    app: Flask, world: World, make_course: MakeCourse, make_citizen: MakeCitizen, sessions: int, people: int
) -> int:
    """A course with `sessions` sessions and `people` participants (two on the waitlist), attendance and
    agenda items on each session."""
    db = db_of(app)
    by = world.user("silkeborg", "coordinator")
    course = make_course(count=sessions, capacity=people - 2, title=f"Kursus {sessions}")
    citizens = [make_citizen(f"Deltager {sessions}-{n}") for n in range(people)]
    for c in citizens:
        services.sign_up(db, course, c, by)
    for s in course.sessions:
        program.mark_attendance(db, s, by, {c.id: n % 2 == 0 for n, c in enumerate(citizens[: people - 2])})
        program.add_item(
            db, course, by, title=f"Emne {s.id}", session=s, guest_kind="company", guest_name="Firma"
        )
    program.propose_topic(db, course, citizens[0], None, title="Et forslag")
    return course.id


def test_the_list_the_course_page_and_the_grid_send_as_many_statements_for_a_big_course_as_for_a_small_one(
    app: Flask, cafe_world: World, make_client: Any, make_course: MakeCourse, make_citizen: MakeCitizen
) -> None:
    client = logged_in(make_client, cafe_world)

    def listing() -> int:
        client.get(f"{BASE}/")  # warm: the first request of a client loads more (its session)
        with count_statements(app) as seen:
            assert client.get(f"{BASE}/").status_code == 200
        return len(seen)

    with app.app_context():
        small = _fill(app, cafe_world, make_course, make_citizen, sessions=2, people=4)
    one_course = listing()
    with app.app_context():
        big = _fill(app, cafe_world, make_course, make_citizen, sessions=10, people=14)
        for n in range(3):
            make_course(title=f"Ekstra {n}")
    assert listing() == one_course
    for page in ("{}", "{}/attendance", "{}/attendance.csv"):
        counts = []
        for course_id in (small, big):
            url = f"{BASE}/courses/" + page.format(course_id)
            client.get(url)  # warm: the first request of a client loads more (its session)
            with count_statements(app) as seen:
                assert client.get(url).status_code == 200
            counts.append(len(seen))
        assert counts[0] == counts[1], (page, counts)
    big_page = text_of(client.get(f"{BASE}/courses/{big}"))
    assert "Deltager 10-13" in big_page and "Emne" in big_page
