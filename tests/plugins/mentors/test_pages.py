"""The coordinator's mentor-pool pages, as a coordinator clicks through them, and the fences around them
(roles, the other municipality, the plugin turned off, bad input)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.plugins.mentors import services
from broen.plugins.mentors.models import (
    Background,
    ContactForm,
    Match,
    MatchStatus,
    Mentor,
    MentorStatus,
    MentorStatusChange,
    slot_bit,
)
from tests.conftest import Client, World, db_of, text_of
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
BASE = "/silkeborg/mentors"


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


FORM = {
    "name": "Hanne Holm",
    "email": "hanne@example.org",
    "phone": "12 34 56 78",
    "background": "retired",
    "work_experience": "Bogholder i 30 år",
    "interests": "Fiskeri, strik , fiskeri",
    "area": "Silkeborg  Nord",
    "availability": ["0-0", "2-2"],
    "capacity": "2",
    "contact_forms": ["1", "2"],
}


def test_a_coordinator_adds_a_mentor_and_sees_their_details(
    app: Flask, mentors_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, mentors_world)
    assert "Mentors</a>" in client.get("/silkeborg/").get_data(as_text=True)
    empty = text_of(client.get(f"{BASE}/"))
    assert "There are no mentors in the pool yet" in empty and "New mentor" in empty
    assert client.get(f"{BASE}/new").status_code == 200
    response = client.submit(f"{BASE}/new", FORM)
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The mentor is added to the pool" in page
    for shown in ("Hanne Holm", "Retired", "fiskeri, strik", "Silkeborg Nord", "Monday: Morning"):
        assert shown in page, shown
    assert "Wednesday: Evening" in page and "Walk, Coffee" in page and "0 of 2 places taken" in page
    assert "Interviewed" in page
    with app.app_context():
        mentor = db_of(app).session.scalars(select(Mentor)).one()
        assert mentor.background == Background.RETIRED and mentor.interests == ["fiskeri", "strik"]
        assert mentor.availability == slot_bit(0, 0) | slot_bit(2, 2)
        assert mentor.contact_forms == ContactForm.WALK | ContactForm.COFFEE and mentor.capacity == 2
        assert mentor.status == MentorStatus.INTERVIEWED


def test_bad_input_names_the_field_keeps_what_was_typed_and_saves_nothing(
    app: Flask, mentors_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, mentors_world)
    bad = {**FORM, "name": "  ", "capacity": "many", "background": ""}
    response = client.submit(f"{BASE}/new", bad)
    assert response.status_code == 400
    text = text_of(response)
    assert "The mentor is not saved yet" in text
    for message in ("Name: Write the mentor's name.", "Mentees at once:", "Background:"):
        assert message in text, message
    html = response.get_data(as_text=True)
    assert 'value="hanne@example.org"' in html and 'value="Fiskeri, strik , fiskeri"' in html
    assert re.search(r'value="2-2" checked', html) and not re.search(r'value="1-1" checked', html)
    # A rule only the service knows: the message is still on its field.
    response = client.submit(f"{BASE}/new", {**FORM, "email": "hanne at home", "capacity": "21"})
    assert response.status_code == 400
    text = text_of(response)
    assert "E-mail: Write a valid e-mail address, or leave it empty." in text
    assert 'value="hanne at home"' in response.get_data(as_text=True)
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Mentor)) == 0


def test_editing_shows_the_stored_details_and_saves_the_changes(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    with app.app_context():
        mentor_id = make_mentor(
            "Ole Olsen", interests="cykling, kaffe", availability=slot_bit(4, 1), contact_forms=4
        ).id
    client = logged_in(make_client, mentors_world)
    form = client.get(f"{BASE}/{mentor_id}/edit").get_data(as_text=True)
    assert 'value="cykling, kaffe"' in form and re.search(r'value="4-1" checked', form)
    assert re.search(r'value="employed" checked', form) and re.search(r'value="4" checked', form)
    response = client.submit(
        f"{BASE}/{mentor_id}/edit",
        {**FORM, "name": "Ole Olsen", "area": "Kjellerup", "email": "nope"},
    )
    assert response.status_code == 400 and "E-mail: Write a valid e-mail address" in text_of(response)
    response = client.submit(f"{BASE}/{mentor_id}/edit", {**FORM, "name": "Ole Olsen", "area": "Kjellerup"})
    assert response.status_code == 302
    assert "The changes are saved" in text_of(client.get(response.location))
    with app.app_context():
        mentor = db_of(app).session.get(Mentor, mentor_id)
        assert mentor is not None and mentor.area == "Kjellerup" and mentor.capacity == 2
        assert mentor.status == MentorStatus.APPROVED  # editing the details leaves the status alone


def test_a_status_change_is_dated_and_shown_in_the_history(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    with app.app_context():
        mentor_id = make_mentor("Ida Ibsen", status=MentorStatus.INTERVIEWED).id
    client = logged_in(make_client, mentors_world)
    url, page_url = f"{BASE}/{mentor_id}/status", f"{BASE}/{mentor_id}"
    too_early = client.submit(url, {"status": "trained", "since": "2025-12-01"}, page_url)
    assert too_early.status_code == 400
    assert "From: The date cannot be before the current status began" in text_of(too_early)
    assert client.submit(url, {"status": "trained", "since": "2026-02-01"}, page_url).status_code == 302
    response = client.submit(url, {"status": "approved", "since": "2026-03-02"}, page_url)
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The status is changed" in page and "Approved as mentor since Mar 2, 2026" in page
    history = page[page.index("Status history") : page.index("Change status")]
    assert history.index("Mar 2, 2026 Approved") < history.index("Feb 1, 2026 Trained")
    assert history.index("Feb 1, 2026 Trained") < history.index("Jan 5, 2026 Interviewed")
    with app.app_context():
        db = db_of(app)
        mentor = db.session.get(Mentor, mentor_id)
        assert mentor is not None and mentor.status == MentorStatus.APPROVED
        assert mentor.status_since == date(2026, 3, 2)
        assert db.session.scalar(select(func.count()).select_from(MentorStatusChange)) == 3


def test_the_pool_hides_those_who_left_filters_by_status_and_pages_by_25(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: Any
) -> None:
    with app.app_context():
        db = db_of(app)
        busy = make_mentor("Anna Andersen", area="Them", capacity=2)
        services.propose(db, busy, make_citizen(), None)
        make_mentor("Bent Berg", status=MentorStatus.LEFT)
        make_mentor("Carl Carlsen", status=MentorStatus.PAUSED)
        make_mentor("Other Place", slug="norddjurs")
    client = logged_in(make_client, mentors_world)
    page = text_of(client.get(f"{BASE}/"))
    assert "2 mentors" in page and "Carl Carlsen" in page and "Bent Berg" not in page
    assert "Other Place" not in page
    row = page[page.index("Anna Andersen") : page.index("Carl Carlsen")]
    assert "Them" in row and "Approved as mentor since Jan 5, 2026" in row and "1/2" in row
    left = text_of(client.get(f"{BASE}/?status=left"))
    assert "Bent Berg" in left and "Anna Andersen" not in left and "1 mentor" in left
    assert "3 mentors" in text_of(client.get(f"{BASE}/?status=all"))
    assert "No mentor has this status" in text_of(client.get(f"{BASE}/?status=trained"))
    with app.app_context():
        for n in range(25):
            make_mentor(f"Zeta {n:02}")
    first = text_of(client.get(f"{BASE}/"))
    assert "27 mentors" in first and "Page 1 of 2" in first and "Zeta 22" in first
    assert "Zeta 23" not in first
    second = text_of(client.get(f"{BASE}/?page=2"))
    assert "Zeta 23" in second and "Zeta 24" in second and "Anna Andersen" not in second


def test_the_pool_sends_as_many_statements_for_many_mentors_as_for_one(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: Any
) -> None:
    client = logged_in(make_client, mentors_world)

    def listing() -> int:
        client.get(f"{BASE}/")  # warm: the first request of a client loads more (its session)
        with count_statements(app) as seen:
            assert client.get(f"{BASE}/").status_code == 200
        return len(seen)

    with app.app_context():
        make_mentor("Første")
    one = listing()
    with app.app_context():
        db = db_of(app)
        for n in range(12):
            mentor = make_mentor(f"Mentor {n}", capacity=2)
            if n % 3 == 0:
                services.propose(db, mentor, make_citizen(f"Borger {n}"), None)
    assert listing() == one
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Match)) == 4
        assert {m.status for m in db_of(app).session.scalars(select(Match))} == {MatchStatus.PROPOSED}


def test_mentors_and_participants_are_refused_and_other_municipalities_ids_are_not_found(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    with app.app_context():
        mentor_id = make_mentor("Hemmelig Mentor").id
    urls = (f"{BASE}/", f"{BASE}/new", f"{BASE}/{mentor_id}", f"{BASE}/{mentor_id}/edit")
    for role in ("mentor", "participant"):
        client = logged_in(make_client, mentors_world, role)
        assert "Mentors</a>" not in client.get("/silkeborg/").get_data(as_text=True)
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)
    outsider = logged_in(make_client, mentors_world, "coordinator", "norddjurs")
    for url in ("{}", "{}/edit"):
        assert outsider.get("/norddjurs/mentors/" + url.format(mentor_id)).status_code == 404, url
    response = outsider.submit(
        f"/norddjurs/mentors/{mentor_id}/status",
        {"status": "left", "since": "2026-06-01"},
        "/norddjurs/mentors/new",
    )
    assert response.status_code == 404
    assert "Hemmelig Mentor" not in text_of(outsider.get("/norddjurs/mentors/?status=all"))
    with app.app_context():
        mentor = db_of(app).session.get(Mentor, mentor_id)
        assert mentor is not None and mentor.status == MentorStatus.APPROVED


def test_with_the_plugin_off_the_pages_are_not_found_and_the_menu_has_no_entry(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    with app.app_context():
        mentor_id = make_mentor("Ole Olsen").id
        accounts.set_plugin_enabled(db_of(app), mentors_world.municipalities["silkeborg"], "mentors", False)
    client = logged_in(make_client, mentors_world, "admin")
    assert "Mentors</a>" not in client.get("/silkeborg/").get_data(as_text=True)
    for url in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{mentor_id}"):
        assert client.get(url).status_code == 404, url
