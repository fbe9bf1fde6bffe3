"""A mentor's own pages, as a mentor uses them on a phone: their mentees (first name and what the citizen
agreed to share, nothing else), planning, logging and calling off meetings, and the calendar link. And the
fences: another mentor sees nothing of these mentees and gets 404 on their ids, staff and participants get
no access, an unlinked log-in gets a calm note, the plugin turned off takes the pages away. Every mentee
shown is audited, and the page sends as many statements for four mentees as for one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import AuditEntry, Citizen, Role, User
from broen.plugins.mentors import services
from broen.plugins.mentors.models import ContactForm, Match, Meeting, Mentor
from broen.plugins.mentors.services import MeetingData
from tests.conftest import PASSWORD, Client, World, db_of, text_of
from tests.plugins.mentors.test_meetings import active_match
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
MakeCitizen = Callable[..., Citizen]
HOME = "/silkeborg/mentors/me/"
WALK, COFFEE, PHONE = int(ContactForm.WALK), int(ContactForm.COFFEE), int(ContactForm.PHONE)
#: What must never reach a mentor's page about Mette: the rest of her record and her wishes.
METTE_SECRETS = ("Hemmeligsen", "mette@example.dk", "12 34 56 78", "Skjultvej 7", "Wishes only staff see")


def link(app: Flask, mentor: Mentor, user: User) -> Mentor:
    """Link a log-in to a mentor of the pool, as accepting an invitation does."""
    db = db_of(app)
    row: Mentor = db.session.get_one(Mentor, mentor.id)
    row.user_id = user.id
    db.session.commit()
    return row


def mette(app: Flask, world: World) -> Citizen:
    """A citizen with her whole record filled in, and wishes for a mentor."""
    db = db_of(app)
    citizen = create_citizen(
        db,
        world.municipalities["silkeborg"],
        world.user("silkeborg", "coordinator"),
        CitizenData(
            name="Mette Marie Hemmeligsen",
            email="mette@example.dk",
            phone="12 34 56 78",
            address="Skjultvej 7",
            flexjob_approved=True,
            flexjob_mental_health_basis=True,
        ),
    )
    services.set_wishes(db, citizen, None, interests="dogs", note="Wishes only staff see")
    return citizen


def logged_in(make_client: Any, user: User | str) -> Client:
    client: Client = make_client()
    assert client.login(user).status_code == 302
    return client


@pytest.fixture
def day(mentors_world: World) -> date:
    """Today in Silkeborg (the day a mentor's pages count from)."""
    return services.local_today(mentors_world.municipalities["silkeborg"])


@pytest.fixture
def mine(
    app: Flask, mentors_world: World, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> dict[str, int]:
    """The world's Silkeborg mentor log-in, linked to Hanne of the pool, with an active match with Mette
    (who shares two lines), a paused one with Ole, a proposed one with Pia and an ended one with Erik."""
    with app.app_context():
        db = db_of(app)
        hanne = link(app, make_mentor("Hanne Holm", capacity=5), mentors_world.user("silkeborg", "mentor"))
        active = active_match(app, hanne, mette(app, mentors_world), shared="Likes dogs.\nPrefers mornings.")
        paused = active_match(app, hanne, make_citizen("Ole Pausesen"), shared="Ole's shared text")
        services.pause(db, paused, None)
        proposed = services.propose(db, hanne, make_citizen("Pia Proposedsen"), None)
        ended = active_match(app, hanne, make_citizen("Erik Endsen"), shared="Erik's shared text")
        services.end(db, ended, None, "Moved away")
        return {
            "mentor": hanne.id,
            "active": active.id,
            "paused": paused.id,
            "proposed": proposed.id,
            "ended": ended.id,
        }


def test_a_mentor_sees_the_first_name_and_what_was_shared_and_nothing_else_of_the_citizen(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int]
) -> None:
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    assert "My mentees</a>" in client.get("/silkeborg/").get_data(as_text=True)
    response = client.get(HOME)
    assert response.status_code == 200
    page, html = text_of(response), response.get_data(as_text=True)
    assert "Mette" in page and "Likes dogs.<br>Prefers mornings." in html
    assert "Every 14 days" in page and "How you meet Walk" in page
    assert "Last meeting No meeting logged yet" in page and "Next meeting None planned" in page
    assert "Log a meeting" in page and "Plan a meeting" in page
    for secret in METTE_SECRETS:
        assert secret not in html, secret
    # The paused match is there, marked, without actions; the proposed and ended ones are not.
    assert "Ole (paused)" in page and "Ole's shared text" in page and "Pausesen" not in html
    ole = page[page.index("Ole (paused)") :]
    assert "Log a meeting" not in ole[: ole.index("Next meetings")]
    assert f"/matches/{mine['paused']}/" not in html
    assert "Pia" not in page and "Erik" not in page
    assert "Subscribe to my calendar" in page and "Make my calendar link" in page

    with app.app_context():
        entries = db_of(app).session.scalars(
            select(AuditEntry).where(AuditEntry.action == "view").order_by(AuditEntry.id)
        )
        shown = [
            (e.object_id, e.object_type, e.user_id)
            for e in entries
            if e.details.get("what") == "mentors_mentee"
        ]
        matches = {m: db_of(app).session.get_one(Match, mine[m]) for m in ("active", "paused")}
        citizens = sorted(m.citizen_id for m in matches.values())
    mentor_id = mentors_world.user("silkeborg", "mentor").id
    assert sorted(shown) == [(c, "citizen", mentor_id) for c in citizens]


def test_a_mentor_plans_logs_logs_a_planned_one_and_calls_one_off(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int], day: date
) -> None:
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    match_id = mine["active"]
    plan_url, log_url = f"{HOME}matches/{match_id}/plan", f"{HOME}matches/{match_id}/log"

    # Plan: the form asks for the day and time; a past day or a missing time are refused, what was typed kept.
    form = client.get(plan_url)
    assert form.status_code == 200 and "Plan a meeting with Mette" in text_of(form)
    assert re.search(r'value="1"\s+checked', form.get_data(as_text=True))  # the match's agreed form: walk
    past = {
        "on": (day - timedelta(days=1)).isoformat(),
        "at": "10:00",
        "duration_minutes": "45",
        "contact_form": "2",
    }
    refused = client.submit(plan_url, {**past, "note": "Kept note"})
    assert refused.status_code == 400
    assert "Date: A planned meeting cannot be in the past." in text_of(refused)
    assert "Kept note" in refused.get_data(as_text=True) and 'value="45"' in refused.get_data(as_text=True)
    no_time = client.submit(plan_url, {**past, "on": day.isoformat(), "at": ""})
    assert no_time.status_code == 400 and "Time: Choose the time." in text_of(no_time)
    coming_day = day + timedelta(days=3)
    planned = client.submit(
        plan_url, {**past, "on": coming_day.isoformat(), "at": "10:30", "note": "By the lake"}
    )
    assert planned.status_code == 302 and urlsplit(planned.location).path == HOME
    page = text_of(client.get(planned.location))
    assert "The meeting is planned" in page
    next_meetings = page[page.index("Next meetings") :]
    assert "Mette:" in next_meetings and "10:30" in next_meetings and "Coffee, 45 minutes" in next_meetings
    assert "By the lake" in next_meetings and "Call off" in next_meetings
    assert "Log it" not in next_meetings  # its day has not come
    with app.app_context():
        coming = db_of(app).session.scalars(select(Meeting).where(Meeting.match_id == match_id)).one()
        assert (coming.on, coming.at, coming.held) == (coming_day, time(10, 30), False)

    # Log a meeting that took place: not one ahead; today's is logged and shows as the last meeting.
    ahead = client.submit(
        log_url, {"on": coming_day.isoformat(), "duration_minutes": "60", "contact_form": "1"}
    )
    assert ahead.status_code == 400 and "A meeting can be logged only once it has happened" in text_of(ahead)
    log_form = client.get(log_url)
    assert f'value="{day.isoformat()}"' in log_form.get_data(
        as_text=True
    ) and 'id="at"' not in log_form.get_data(as_text=True)
    logged = client.submit(log_url, {"on": day.isoformat(), "duration_minutes": "60", "contact_form": "1"})
    assert logged.status_code == 302
    page = text_of(client.get(logged.location))
    assert "The meeting is logged" in page and f"Last meeting {day.strftime('%b')}" in page

    # A meeting planned for today can be logged from the list: the form comes filled in from the plan.
    today_url = f"{HOME}matches/{match_id}/plan"
    assert (
        client.submit(
            today_url, {**past, "on": day.isoformat(), "at": "23:59", "contact_form": "4"}
        ).status_code
        == 302
    )
    with app.app_context():
        todays = (
            db_of(app)
            .session.scalars(select(Meeting).where(Meeting.on == day, Meeting.held.is_(False)))
            .one()
        )
    html = client.get(HOME).get_data(as_text=True)
    assert f"/meetings/{todays.id}/log" in html and f"/meetings/{coming.id}/log" not in html
    prefilled = client.get(f"{HOME}meetings/{todays.id}/log").get_data(as_text=True)
    assert re.search(r'value="4"\s+checked', prefilled) and 'value="45"' in prefilled
    done = client.submit(
        f"{HOME}meetings/{todays.id}/log",
        {"on": day.isoformat(), "duration_minutes": "50", "contact_form": "4", "note": "A good call"},
    )
    assert done.status_code == 302
    with app.app_context():
        row = db_of(app).session.get_one(Meeting, todays.id)
        assert (row.held, row.duration_minutes, row.at, row.note) == (True, 50, time(23, 59), "A good call")
    assert f"/meetings/{todays.id}/" not in client.get(HOME).get_data(as_text=True)
    # Logged now: it cannot be logged again nor called off.
    again = client.get(f"{HOME}meetings/{todays.id}/log")
    assert again.status_code == 302 and "logged already" in text_of(client.get(again.location))

    # Call off: a confirmation first, then it is gone.
    ask = client.get(f"{HOME}meetings/{coming.id}/cancel")
    assert ask.status_code == 200 and "Call off the meeting with Mette?" in text_of(ask)
    with app.app_context():
        assert db_of(app).session.get(Meeting, coming.id) is not None
    gone = client.submit(f"{HOME}meetings/{coming.id}/cancel", {})
    assert gone.status_code == 302 and "The meeting is called off" in text_of(client.get(gone.location))
    with app.app_context():
        db = db_of(app)
        assert db.session.get(Meeting, coming.id) is None
        assert db.session.scalar(select(func.count()).select_from(Meeting).where(Meeting.held.is_(True))) == 2
        writes = [
            (e.action, e.user_id)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.details.get("what") == "mentors_meeting"
        ]
    mentor_id = mentors_world.user("silkeborg", "mentor").id
    assert writes == [
        ("create", mentor_id),
        ("create", mentor_id),
        ("create", mentor_id),
        ("update", mentor_id),
        ("delete", mentor_id),
    ]


def test_a_planned_meeting_whose_day_has_passed_waits_to_be_logged(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int], day: date
) -> None:
    with app.app_context():
        db = db_of(app)
        match = db.session.get_one(Match, mine["active"])
        old = services.plan_meeting(
            db,
            match,
            None,
            MeetingData(day - timedelta(days=2), 60, WALK, at=time(9)),
            today=day - timedelta(days=3),
        )
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    page = text_of(client.get(HOME))
    waiting = page[page.index("Not logged yet") : page.index("Coming")]
    assert "Mette:" in waiting and "Log it" in waiting and "Call off" in waiting
    assert "No meetings planned yet" in page[page.index("Coming") :]
    response = client.submit(
        f"{HOME}meetings/{old.id}/log",
        {"on": old.on.isoformat(), "duration_minutes": "60", "contact_form": "1"},
    )
    assert response.status_code == 302
    assert "Not logged yet" not in text_of(client.get(HOME))


def test_another_mentor_sees_nothing_of_these_mentees_and_gets_404_on_their_ids(
    app: Flask,
    mentors_world: World,
    make_client: Any,
    make_mentor: MakeMentor,
    make_citizen: MakeCitizen,
    mine: dict[str, int],
    day: date,
) -> None:
    with app.app_context():
        db = db_of(app)
        silkeborg = mentors_world.municipalities["silkeborg"]
        other_user = accounts.create_user(db, "bo@example.dk", "Bo Mentor", PASSWORD, language="en")
        accounts.grant_role(db, other_user, silkeborg, Role.MENTOR)
        bo = link(app, make_mentor("Bo Berg"), other_user)
        active_match(app, bo, make_citizen("Karen Kragh"), shared="Karen's shared text")
        match = db.session.get_one(Match, mine["active"])
        meeting = services.plan_meeting(db, match, None, MeetingData(day, 60, WALK, at=time(23, 59)))
    client = logged_in(make_client, "bo@example.dk")
    response = client.get(HOME)
    html = response.get_data(as_text=True)
    assert "Karen" in html and "Karen's shared text" in text_of(response)
    for theirs in ("Mette", "Likes dogs", "Ole", "Pia", "Erik"):
        assert theirs not in html, theirs

    token = client.csrf_token(HOME)
    urls = [
        *(
            f"{HOME}matches/{mine[k]}/{a}"
            for k in ("active", "paused", "ended", "proposed")
            for a in ("log", "plan")
        ),
        f"{HOME}meetings/{meeting.id}/log",
        f"{HOME}meetings/{meeting.id}/cancel",
    ]
    form = {
        "on": day.isoformat(),
        "at": "10:00",
        "duration_minutes": "60",
        "contact_form": "1",
        "csrf_token": token,
    }
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data=form).status_code == 404, url
    with app.app_context():
        assert db_of(app).session.get(Meeting, meeting.id) is not None
        assert db_of(app).session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_the_mentors_own_ended_or_proposed_matches_are_not_found_either(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int]
) -> None:
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    for key in ("ended", "proposed"):
        assert client.get(f"{HOME}matches/{mine[key]}/log").status_code == 404
        assert client.get(f"{HOME}matches/{mine[key]}/plan").status_code == 404
    # A paused match takes no planned meetings.
    assert client.get(f"{HOME}matches/{mine['paused']}/plan").status_code == 404


def test_another_municipalitys_mentor_gets_404_on_these_ids(
    app: Flask,
    mentors_world: World,
    make_client: Any,
    make_mentor: MakeMentor,
    mine: dict[str, int],
    day: date,
) -> None:
    with app.app_context():
        db = db_of(app)
        link(app, make_mentor("Nora Nord", slug="norddjurs"), mentors_world.user("norddjurs", "mentor"))
        match = db.session.get_one(Match, mine["active"])
        meeting = services.plan_meeting(db, match, None, MeetingData(day, 60, WALK, at=time(23, 59)))
    client = logged_in(make_client, mentors_world.user("norddjurs", "mentor"))
    base = "/norddjurs/mentors/me/"
    assert "You have no mentees yet. Your coordinator will contact you." in text_of(client.get(base))
    for url in (
        f"matches/{mine['active']}/log",
        f"matches/{mine['active']}/plan",
        f"meetings/{meeting.id}/cancel",
    ):
        assert client.get(base + url).status_code == 404, url
    # And the Silkeborg pages are not theirs at all.
    assert client.get(HOME).status_code == 403


@pytest.mark.parametrize("role", ["admin", "coordinator", "participant"])
def test_staff_and_participants_have_no_access_to_the_mentor_pages(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int], role: str
) -> None:
    user = mentors_world.user("silkeborg", role)
    with app.app_context():
        # Even a mentor record linked to the log-in does not open the pages without the mentor role.
        row = db_of(app).session.get_one(Mentor, mine["mentor"])
        row.user_id = user.id
        db_of(app).session.commit()
    client = logged_in(make_client, user)
    assert "My mentees</a>" not in client.get("/silkeborg/").get_data(as_text=True)
    token = client.csrf_token("/silkeborg/")
    for url in (HOME, f"{HOME}matches/{mine['active']}/log", f"{HOME}calendar-link"):
        assert client.get(url).status_code == 403, url
    for url in (f"{HOME}matches/{mine['active']}/log", f"{HOME}matches/{mine['active']}/plan"):
        form = {"on": "2026-01-01", "duration_minutes": "60", "contact_form": "1", "csrf_token": token}
        assert client.post(url, data=form).status_code == 403, url
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Meeting)) == 0


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, mentors_world: World, client: Client) -> None:
    response = client.get(HOME)
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"


def test_a_log_in_without_a_mentor_profile_gets_a_calm_note_and_nothing_else(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        unlinked = make_mentor("Hanne Holm")
        match = active_match(app, unlinked, make_citizen("Mette Borger"), shared="Likes dogs")
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    response = client.get(HOME)
    assert response.status_code == 200
    page = text_of(response)
    assert "Your log-in is not linked to a mentor profile yet. Ask your coordinator." in page
    assert "Mette" not in page and "Subscribe" not in page and "Likes dogs" not in page
    assert client.get(f"{HOME}matches/{match.id}/log").status_code == 404


def test_with_the_plugin_off_the_pages_and_the_menu_item_are_gone(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int]
) -> None:
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), mentors_world.municipalities["silkeborg"], "mentors", False)
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    assert "My mentees" not in client.get("/silkeborg/").get_data(as_text=True)
    assert client.get(HOME).status_code == 404
    assert client.get(f"{HOME}matches/{mine['active']}/log").status_code == 404


def test_the_subscribe_box_makes_a_link_whose_feed_has_the_planned_meetings(
    app: Flask, mentors_world: World, make_client: Any, mine: dict[str, int], day: date
) -> None:
    with app.app_context():
        db = db_of(app)
        match = db.session.get_one(Match, mine["active"])
        meeting = services.plan_meeting(
            db, match, None, MeetingData(day + timedelta(days=1), 60, WALK, at=time(10))
        )
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    made = client.submit(f"{HOME}calendar-link", {}, page=HOME)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    https = re.search(r'id="calendar-link" type="text" readonly value="(https?://[^"]+)"', html)
    assert https and "Mette" in text_of(made)
    feed = make_client().get(urlsplit(https.group(1)).path)
    found = {str(e["UID"]): e for e in Calendar.from_ical(feed.get_data()).walk("VEVENT")}
    assert str(found[f"mentors-meeting-{meeting.uid}@broen"]["SUMMARY"]) == "Mentor meeting with Mette"
    page = text_of(client.get(HOME))
    assert "You have a calendar link already" in page and https.group(1) not in page
    ask = client.get(f"{HOME}calendar-link")
    assert ask.status_code == 200 and "Your old link stops working" in text_of(ask)


def test_the_page_sends_the_same_statements_for_one_mentee_as_for_four(
    app: Flask,
    mentors_world: World,
    make_client: Any,
    make_mentor: MakeMentor,
    make_citizen: MakeCitizen,
    day: date,
) -> None:
    with app.app_context():
        hanne = link(app, make_mentor("Hanne Holm", capacity=10), mentors_world.user("silkeborg", "mentor"))
    client = logged_in(make_client, mentors_world.user("silkeborg", "mentor"))
    made = 0

    def statements_with(mentees: int) -> int:
        nonlocal made
        with app.app_context():
            db = db_of(app)
            mentor = db.session.get_one(Mentor, hanne.id)
            while made < mentees:
                match = active_match(
                    app, mentor, make_citizen(f"Borger{made} Efternavn"), shared=f"Shared {made}"
                )
                services.log_meeting(db, match, None, MeetingData(day - timedelta(days=3), 60, WALK))
                services.plan_meeting(db, match, None, MeetingData(day, 60, WALK, at=time(23, 59)))
                services.plan_meeting(
                    db, match, None, MeetingData(day + timedelta(days=7), 60, WALK, at=time(9))
                )
                made += 1
        client.get(HOME)  # warm: the first request of a client loads more (its session)
        with count_statements(app) as seen:
            response = client.get(HOME)
        assert response.status_code == 200
        assert text_of(response).count("Log a meeting") == mentees
        return len(seen)

    assert statements_with(1) == statements_with(4)
    with app.app_context():
        views = [
            e
            for e in db_of(app).session.scalars(select(AuditEntry).where(AuditEntry.object_type == "citizen"))
            if e.details.get("what") == "mentors_mentee"
        ]
    assert len(views) == 1 + 1 + 4 + 4  # every view of the page records each mentee it showed
