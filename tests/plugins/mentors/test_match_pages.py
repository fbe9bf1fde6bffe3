"""The coordinator's pages for a citizen's wishes and matches, as a coordinator clicks through them: the
wishes, the ranked mentors, a match from proposed to ended with its meetings; the errors, the fences
(roles, the other municipality, the plugin turned off), the panel on the citizen's page, the audit log
and the statements a page sends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import AuditEntry, Citizen
from broen.plugins.mentors import matches, services
from broen.plugins.mentors.models import (
    CitizenWishes,
    ContactForm,
    Match,
    MatchStatus,
    Meeting,
    Mentor,
)
from tests.conftest import Client, World, db_of, text_of
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
MakeCitizen = Callable[..., Citizen]
BASE = "/silkeborg/mentors"
WALK, COFFEE = str(int(ContactForm.WALK)), str(int(ContactForm.COFFEE))


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def active_match(app: Flask, mentor: Mentor, citizen: Citizen, frequency: int = 14) -> Match:
    """A match of the two, agreed and started (in an app context)."""
    db = db_of(app)
    match = services.propose(db, mentor, citizen, None)
    services.agree(db, match, None, services.CITIZEN)
    services.agree(db, match, None, services.MENTOR)
    services.activate(db, match, None, frequency_days=frequency, contact_form=int(ContactForm.WALK))
    return match


WISHES = {
    "interests": "Fishing, cooking",
    "area": "silkeborg nord",
    "availability": ["0-0", "3-1"],
    "contact_forms": [WALK],
    "note": "Would rather not meet at home",
}


def test_a_coordinator_finds_a_mentor_and_takes_the_match_from_proposed_to_ended(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        hanne = make_mentor(
            "Hanne Holm",
            interests="fishing, knitting",
            area="Silkeborg Nord",
            contact_forms=int(ContactForm.WALK),
        ).id
        make_mentor("Ole Olsen", interests="football", area="Them")
        citizen_id = make_citizen("Mette Borger").id
        today = services.local_today(mentors_world.municipalities["silkeborg"])
    client = logged_in(make_client, mentors_world)
    page_url = f"{BASE}/citizens/{citizen_id}"

    empty = text_of(client.get(page_url))
    assert "Mentor for Mette Borger" in empty and "you and the citizen decide" in empty
    assert "Record the citizen's wishes to see mentors who fit" in empty and "No matches yet" in empty

    # The wishes, then the ranked list with the reasons in words.
    response = client.submit(f"{page_url}/wishes", WISHES, page_url)
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The citizen's wishes are saved" in page
    ranked = page[page.index("Mentors who fit") : page.index("Matches")]
    assert ranked.index("Hanne Holm") < ranked.index("Ole Olsen")
    hanne_part = ranked[ranked.index("Hanne Holm") : ranked.index("Ole Olsen")]
    for reason in ("Shared interests: fishing", "Same area: Silkeborg Nord", "Both like to meet by: walk"):
        assert reason in hanne_part, reason
    assert "1 free place" in hanne_part and "9 points" in hanne_part
    html = client.get(page_url).get_data(as_text=True)
    assert 'value="fishing, cooking"' in html and re.search(r'value="3-1" checked', html)
    assert "Would rather not meet at home</textarea>" in html

    # Propose: the match page, proposed; starting it before both agreed is refused, input kept.
    response = client.submit(f"{page_url}/propose", {"mentor_id": str(hanne)}, page_url)
    assert response.status_code == 302
    match_url = response.location
    page = text_of(client.get(match_url))
    assert "Hanne Holm is proposed as mentor" in page and "Proposed" in page
    assert "The citizen has not agreed yet." in page and "The mentor has not agreed yet." in page
    start = {"frequency_days": "14", "contact_form": WALK, "shared": "Likes fishing and quiet walks"}
    refused = client.submit(f"{match_url}/activate", start, match_url)
    assert refused.status_code == 400
    assert "The citizen has not agreed yet." in text_of(refused)
    assert "Likes fishing and quiet walks</textarea>" in refused.get_data(as_text=True)
    assert re.search(r'value="14" checked', refused.get_data(as_text=True))

    for party in ("citizen", "mentor"):
        response = client.submit(f"{match_url}/agree", {"party": party}, match_url)
        assert response.status_code == 302
    page = text_of(client.get(match_url))
    assert f"The citizen agreed: {today.strftime('%b')}" in page and "The mentor agreed:" in page
    response = client.submit(f"{match_url}/activate", start, match_url)
    assert response.status_code == 302
    page = text_of(client.get(match_url))
    assert "The match is active" in page and "Active" in page
    assert "Every 14 days" in page and "How they meet Walk" in page

    # Log a meeting, plan one, call it off.
    log = {"on": today.isoformat(), "duration_minutes": "45", "contact_form": WALK, "note": "Went fishing"}
    response = client.submit(f"{match_url}/meetings/log", log, match_url)
    assert response.status_code == 302
    page = text_of(client.get(match_url))
    journal = page[page.index("Meeting log") :]
    assert "The meeting is logged" in page and "Went fishing" in journal
    assert "Walk 45 Went fishing Coordinator Silkeborg" in journal
    plan = {
        "on": (today + timedelta(days=3)).isoformat(),
        "at": "10:00",
        "duration_minutes": "60",
        "contact_form": COFFEE,
        "note": "Coffee at the library",
    }
    response = client.submit(f"{match_url}/meetings/plan", plan, match_url)
    assert response.status_code == 302
    page = text_of(client.get(match_url))
    planned = page[page.index("Planned meetings") : page.index("Plan a meeting")]
    assert "10:00 Coffee 60 Coffee at the library" in planned
    with app.app_context():
        meeting_id = db_of(app).session.scalars(select(Meeting.id).where(Meeting.held.is_(False))).one()
    cancel_url = f"{match_url}/meetings/{meeting_id}/cancel"
    confirm = text_of(client.get(cancel_url))
    assert "Call off the meeting on" in confirm and "Yes, call it off" in confirm
    response = client.submit(cancel_url, {})
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The meeting is called off" in page and "No meetings are planned." in page
    assert client.get(cancel_url).status_code == 404  # gone

    # Pause (logging still works, planning does not), resume, end with a reason.
    assert client.submit(f"{match_url}/pause", {}, match_url).status_code == 302
    page = text_of(client.get(match_url))
    assert "Status Paused" in page and "Resume the match" in page
    assert "Log a meeting" in page and "Plan a meeting" not in page
    assert client.submit(f"{match_url}/resume", {}, match_url).status_code == 302
    assert "Status Active" in text_of(client.get(match_url))
    end_url = f"{match_url}/end"
    assert "End the match of Mette Borger and Hanne Holm?" in text_of(client.get(end_url))
    no_reason = client.submit(end_url, {"end_reason": "  "})
    assert no_reason.status_code == 400
    assert "Why the match ends: Write why the match ends." in text_of(no_reason)
    response = client.submit(end_url, {"end_reason": "Mette has started work"})
    assert response.status_code == 302
    page = text_of(client.get(match_url))
    assert "Status Ended" in page and "Why it ended Mette has started work" in page
    assert "End the match" not in page and "Log a meeting" not in page
    page = text_of(client.get(page_url))
    assert "Hanne Holm Ended" in page[page.index("Matches") :]

    with app.app_context():
        db = db_of(app)
        match = db.session.scalars(select(Match)).one()
        assert match.status == MatchStatus.ENDED and match.end_reason == "Mette has started work"
        assert match.frequency_days == 14 and match.shared == "Likes fishing and quiet walks"
        assert db.session.scalars(select(Meeting.note)).all() == ["Went fishing"]
        wishes = db.session.scalars(select(CitizenWishes)).one()
        assert wishes.interests == ["fishing", "cooking"] and wishes.area == "silkeborg nord"


def test_errors_name_the_field_keep_the_input_and_save_nothing(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        mentor = make_mentor("Hanne Holm", capacity=1)
        citizen = make_citizen("Mette Borger")
        match_id = active_match(app, mentor, citizen).id
        citizen_id = citizen.id
        today = services.local_today(mentors_world.municipalities["silkeborg"])
    client = logged_in(make_client, mentors_world)
    page_url, match_url = f"{BASE}/citizens/{citizen_id}", f"{BASE}/matches/{match_id}"

    many = ", ".join(f"hobby {n}" for n in range(31))
    response = client.submit(f"{page_url}/wishes", {**WISHES, "interests": many}, page_url)
    assert response.status_code == 400
    assert "Interests and hobbies: Give at most 30 interests." in text_of(response)
    html = response.get_data(as_text=True)
    assert f'value="{many}"' in html and 'value="silkeborg nord"' in html
    assert re.search(r'value="3-1" checked', html)

    future = {
        "on": (today + timedelta(days=2)).isoformat(),
        "duration_minutes": "30",
        "contact_form": WALK,
        "note": "Not yet",
    }
    response = client.submit(f"{match_url}/meetings/log", future, match_url)
    assert response.status_code == 400
    assert "Date: A meeting can be logged only once it has happened. Plan it instead." in text_of(response)
    html = response.get_data(as_text=True)
    assert "Not yet</textarea>" in html and f'value="{future["on"]}"' in html
    response = client.submit(f"{match_url}/meetings/plan", {**future, "at": ""}, match_url)
    assert response.status_code == 400 and "Time: Choose the time." in text_of(response)
    response = client.submit(f"{match_url}/meetings/log", {**future, "duration_minutes": "2"}, match_url)
    assert response.status_code == 400 and "Duration in minutes: A meeting lasts from 5" in text_of(response)

    # Resuming when the mentor's only place went to someone else meanwhile.
    assert client.submit(f"{match_url}/pause", {}, match_url).status_code == 302
    with app.app_context():
        db = db_of(app)
        services.propose(db, db.session.get(Mentor, mentor.id), make_citizen("Bo Anden"), None)
    response = client.submit(f"{match_url}/resume", {}, match_url)
    assert response.status_code == 400 and "The mentor has no free place." in text_of(response)
    # A full mentor is not ranked; proposing them anyway says why.
    response = client.submit(f"{page_url}/propose", {"mentor_id": str(mentor.id)}, page_url)
    assert response.status_code == 302
    assert "already matched" in text_of(client.get(response.location))

    with app.app_context():
        db = db_of(app)
        assert db.session.scalar(select(func.count()).select_from(CitizenWishes)) == 0
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 0
        match = db.session.get(Match, match_id)
        assert match is not None and match.status == MatchStatus.PAUSED


def test_the_ranked_list_says_when_no_mentor_has_a_free_place(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        mentor = make_mentor("Hanne Holm", capacity=1)
        services.propose(db_of(app), mentor, make_citizen("Bo Anden"), None)
        citizen_id = make_citizen("Mette Borger").id
    client = logged_in(make_client, mentors_world)
    page_url = f"{BASE}/citizens/{citizen_id}"
    assert client.submit(f"{page_url}/wishes", {"interests": "fishing"}, page_url).status_code == 302
    page = text_of(client.get(page_url))
    assert "No approved mentor has a free place." in page and "Propose" not in page


def test_other_municipalities_ids_and_other_matches_meetings_are_not_found(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        first = active_match(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"))
        second = active_match(app, make_mentor("Ole Olsen"), make_citizen("Bo Anden"))
        today = services.local_today(mentors_world.municipalities["silkeborg"])
        planned = services.plan_meeting(
            db, second, None, services.MeetingData(today + timedelta(days=1), 60, 1, at=time(10))
        )
        ids = {"citizen": first.citizen_id, "match": first.id, "meeting": planned.id, "second": second.id}
        norddjurs_mentor = make_mentor("Nord Mentor", slug="norddjurs").id
    outsider = logged_in(make_client, mentors_world, "coordinator", "norddjurs")
    other = "/norddjurs/mentors"
    gets = (
        f"{other}/citizens/{ids['citizen']}",
        f"{other}/matches/{ids['match']}",
        f"{other}/matches/{ids['second']}/meetings/{ids['meeting']}/cancel",
        f"{other}/matches/{ids['match']}/end",
    )
    for url in gets:
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Mette Borger" not in response.get_data(as_text=True)
    posts = {
        f"{other}/citizens/{ids['citizen']}/wishes": {"interests": "x"},
        f"{other}/citizens/{ids['citizen']}/propose": {"mentor_id": str(norddjurs_mentor)},
        f"{other}/matches/{ids['match']}/pause": {},
        f"{other}/matches/{ids['match']}/end": {"end_reason": "Forged"},
    }
    for url, data in posts.items():
        assert outsider.submit(url, data, "/me").status_code == 404, url
    # In Silkeborg: a mentor of the other municipality cannot be proposed, a meeting of another match
    # cannot be called off through this one.
    client = logged_in(make_client, mentors_world)
    page_url = f"{BASE}/citizens/{ids['citizen']}"
    response = client.submit(f"{page_url}/propose", {"mentor_id": str(norddjurs_mentor)}, page_url)
    assert response.status_code == 404
    wrong = f"{BASE}/matches/{ids['match']}/meetings/{ids['meeting']}/cancel"
    assert client.get(wrong).status_code == 404
    assert client.submit(wrong, {}, f"{BASE}/matches/{ids['match']}").status_code == 404
    with app.app_context():
        db = db_of(app)
        assert db.session.get(Meeting, ids["meeting"]) is not None
        assert {m.status for m in db.session.scalars(select(Match))} == {MatchStatus.ACTIVE}
        assert db.session.scalar(select(func.count()).select_from(CitizenWishes)) == 0


def test_mentors_and_participants_are_refused_on_every_page(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        match = active_match(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"))
        today = services.local_today(mentors_world.municipalities["silkeborg"])
        meeting = services.plan_meeting(
            db, match, None, services.MeetingData(today + timedelta(days=1), 60, 1, at=time(10))
        )
        c, m, meeting_id = match.citizen_id, match.id, meeting.id
    gets = [
        f"{BASE}/citizens/{c}",
        f"{BASE}/matches/{m}",
        f"{BASE}/matches/{m}/end",
        f"{BASE}/matches/{m}/meetings/{meeting_id}/cancel",
        f"{BASE}/overview",
    ]
    posts = [
        f"{BASE}/citizens/{c}/wishes",
        f"{BASE}/citizens/{c}/propose",
        *(
            f"{BASE}/matches/{m}/{action}"
            for action in ("agree", "activate", "pause", "resume", "shared", "meetings/log", "meetings/plan")
        ),
        f"{BASE}/matches/{m}/end",
        f"{BASE}/matches/{m}/meetings/{meeting_id}/cancel",
    ]
    for role in ("mentor", "participant"):
        client = logged_in(make_client, mentors_world, role)
        for url in gets:
            assert client.get(url).status_code == 403, (role, url)
        for url in posts:
            data = {"mentor_id": "1", "party": "citizen", "end_reason": "x", "interests": "x"}
            assert client.submit(url, data, "/me").status_code == 403, (role, url)
    with app.app_context():
        db = db_of(app)
        assert db.session.get(Match, m).status == MatchStatus.ACTIVE
        assert db.session.get(Meeting, meeting_id) is not None


def test_the_citizen_page_has_a_mentor_panel_for_staff_unless_the_plugin_is_off(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        citizen_id = make_citizen("Mette Borger").id
    client = logged_in(make_client, mentors_world)
    page = text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))
    assert "Volunteer mentor" in page and "No mentor yet." in page and "Find a mentor" in page
    assert "No wishes for a mentor are recorded yet." in page
    html = client.get(f"/silkeborg/citizens/{citizen_id}").get_data(as_text=True)
    assert f'href="{BASE}/citizens/{citizen_id}"' in html

    with app.app_context():
        db = db_of(app)
        citizen = db.session.get(Citizen, citizen_id)
        services.set_wishes(db, citizen, None, interests="fishing")
        ended = services.propose(db, make_mentor("Old Mentor"), citizen, None)
        services.end(db, ended, None, "Did not fit")
        services.propose(db, make_mentor("Hanne Holm"), citizen, None)
    page = text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))
    panel = page[page.index("Volunteer mentor") :]
    assert "Hanne Holm : Proposed" in panel and "Old Mentor" not in panel
    assert "The citizen's wishes for a mentor are recorded." in panel and "See the mentor match" in panel

    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), mentors_world.municipalities["silkeborg"], "mentors", False)
    page = text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))
    assert "Mette Borger" in page and "Volunteer mentor" not in page
    assert client.get(f"{BASE}/citizens/{citizen_id}").status_code == 404


def test_the_panel_is_for_staff_only_and_takes_two_statements(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        citizen = make_citizen("Mette Borger")
        for n in range(3):
            services.propose(db, make_mentor(f"Mentor {n}"), citizen, None)
        citizen_id = citizen.id
    with app.test_request_context(f"/silkeborg/citizens/{citizen_id}"):
        app.preprocess_request()  # the municipality from the URL, as a real request has it
        db = db_of(app)
        citizen = db.session.get(Citizen, citizen_id)
        coordinator = db.session.merge(mentors_world.user("silkeborg", "coordinator"))
        mentor = db.session.merge(mentors_world.user("silkeborg", "mentor"))
        for user in (coordinator, mentor):
            user.role_in(citizen.municipality_id)  # memberships loaded, as the log-in has them
        assert matches.citizen_panels(citizen, mentor) == []
        with count_statements(app) as seen:
            panels = matches.citizen_panels(citizen, coordinator)
        assert len(seen) <= 2, seen
        assert len(panels) == 1 and panels[0].title == "Volunteer mentor"
        assert panels[0].html.count("Proposed") == 3


def test_reading_the_match_page_is_audited_as_a_view_of_the_citizen(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        match = services.propose(db_of(app), make_mentor("Hanne Holm"), make_citizen("Mette Borger"), None)
        match_id, citizen_id = match.id, match.citizen_id
    client = logged_in(make_client, mentors_world)
    assert client.get(f"{BASE}/matches/{match_id}").status_code == 200
    with app.app_context():
        entries = db_of(app).session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "citizen", AuditEntry.action == "view")
        )
        views = [e for e in entries if e.details.get("what") == "mentors_match"]
        assert len(views) == 1
        assert views[0].object_id == citizen_id and views[0].details["match_id"] == match_id
        assert views[0].user_name == "Coordinator Silkeborg"
        assert "Mette" not in str(views[0].details)


def test_the_citizen_page_sends_as_many_statements_for_many_mentors_and_matches_as_for_one(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        citizen = make_citizen("Mette Borger")
        services.set_wishes(db, citizen, None, interests="fishing", contact_forms=1)
        first = make_mentor("Mentor 0", interests="fishing", contact_forms=1, capacity=3)
        services.propose(db, first, citizen, None)  # matched already: not ranked
        make_mentor("Mentor A", interests="fishing")
        citizen_id = citizen.id
    client = logged_in(make_client, mentors_world)
    url = f"{BASE}/citizens/{citizen_id}"

    def statements() -> int:
        client.get(url)
        with count_statements(app) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    assert text_of(client.get(url)).count("Shared interests: fishing") == 1
    one = statements()
    with app.app_context():
        db = db_of(app)
        citizen = db.session.get(Citizen, citizen_id)
        for n in range(1, 6):
            mentor = make_mentor(f"Mentor {n}", interests="fishing, knitting", contact_forms=3, capacity=2)
            if n % 2:
                services.end(db, services.propose(db, mentor, citizen, None), None, "No")
    assert statements() == one
    page = text_of(client.get(url))
    assert page.count("Shared interests: fishing") == 6 and page.count("Ended") == 3


def test_another_frequency_needs_its_number_of_days(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        match = services.propose(db, make_mentor("Hanne Holm"), make_citizen("Mette Borger"), None)
        services.agree(db, match, None, services.CITIZEN)
        services.agree(db, match, None, services.MENTOR)
        match_id = match.id
    client = logged_in(make_client, mentors_world)
    url = f"{BASE}/matches/{match_id}"
    start = {"frequency_days": "other", "contact_form": COFFEE, "shared": "Likes coffee"}
    response = client.submit(f"{url}/activate", start, url)
    assert response.status_code == 400
    assert "Number of days between meetings: Write the number of days, e.g. 21." in text_of(response)
    assert re.search(r'value="other" checked', response.get_data(as_text=True))
    response = client.submit(f"{url}/activate", {**start, "other_days": "400"}, url)
    assert response.status_code == 400
    assert "Number of days between meetings: Meet every 1 to 365 days." in text_of(response)
    assert 'value="400"' in response.get_data(as_text=True)
    assert client.submit(f"{url}/activate", {**start, "other_days": "21"}, url).status_code == 302
    page = text_of(client.get(url))
    assert "How often they meet Every 21 days" in page and "How they meet Coffee" in page


def test_the_match_page_sends_as_many_statements_for_many_meetings_as_for_one(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    walk = int(ContactForm.WALK)
    with app.app_context():
        db = db_of(app)
        match = active_match(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"))
        match.started_at = match.started_at - timedelta(days=60)
        db.session.commit()
        today = services.local_today(mentors_world.municipalities["silkeborg"])
        by = mentors_world.user("silkeborg", "coordinator")
        services.log_meeting(db, match, by, services.MeetingData(today, 60, walk, note="Meeting 0"))
        services.plan_meeting(
            db, match, by, services.MeetingData(today + timedelta(days=3), 60, walk, at=time(10))
        )
        match_id = match.id
    client = logged_in(make_client, mentors_world)
    url = f"{BASE}/matches/{match_id}"

    def statements() -> int:
        client.get(url)
        with count_statements(app) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    one = statements()
    with app.app_context():
        db = db_of(app)
        match = db.session.get_one(Match, match_id)
        mentor_user = mentors_world.user("silkeborg", "mentor")
        for n in range(1, 6):
            day = today - timedelta(days=n * 7)
            services.log_meeting(
                db, match, mentor_user, services.MeetingData(day, 45, walk, note=f"Meeting {n}")
            )
            services.plan_meeting(
                db, match, by, services.MeetingData(today + timedelta(days=3 + n), 60, walk, at=time(10))
            )
    assert statements() == one
    page = text_of(client.get(url))
    assert all(f"Meeting {n}" in page for n in range(6))
    assert "Mentor Silkeborg" in page and "Coordinator Silkeborg" in page  # who logged each
