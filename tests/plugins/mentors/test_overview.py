"""The coordinator's follow-up: matches that have gone longer without a meeting than agreed, mentors over
capacity or without a mentee, and the start page's notice about the overdue ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, Citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.models import ContactForm, Match, Mentor
from tests.conftest import Client, World, db_of, text_of
from tests.sqlcount import count_statements

MakeMentor = Callable[..., Mentor]
MakeCitizen = Callable[..., Citizen]
URL = "/silkeborg/mentors/overview"
NOTICE = "mentor match has gone longer without a meeting than agreed"


def logged_in(make_client: Any, world: World, role: str = "coordinator") -> Client:
    client: Client = make_client()
    assert client.login(world.user("silkeborg", role)).status_code == 302
    return client


def started_days_ago(app: Flask, mentor: Mentor, citizen: Citizen, days: int, frequency: int = 7) -> Match:
    """An active match that started `days` ago (at noon UTC: the same day in Denmark); app context."""
    db = db_of(app)
    match = services.propose(db, mentor, citizen, None)
    services.agree(db, match, None, services.CITIZEN)
    services.agree(db, match, None, services.MENTOR)
    services.activate(db, match, None, frequency_days=frequency, contact_form=int(ContactForm.WALK))
    today = services.local_today(match.municipality)
    match.started_at = datetime.combine(today - timedelta(days=days), time(12), tzinfo=UTC)
    db.session.commit()
    return match


def today_in_silkeborg(world: World) -> date:
    return services.local_today(world.municipalities["silkeborg"])


def test_the_overview_lists_overdue_matches_and_mentors_over_capacity_or_idle(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        db = db_of(app)
        today = today_in_silkeborg(mentors_world)
        hanne = make_mentor("Hanne Holm", capacity=2)
        late = started_days_ago(app, hanne, make_citizen("Mette Borger"), 30, frequency=7)
        met = started_days_ago(app, hanne, make_citizen("Bo Anden"), 40, frequency=14)
        services.log_meeting(db, met, None, services.MeetingData(today - timedelta(days=20), 60, 1))
        on_time = started_days_ago(app, make_mentor("Ole Olsen"), make_citizen("Carl Tredje"), 10, 14)
        make_mentor("Ida Ibsen")  # approved, no mentee
        hanne.capacity = 1  # two places taken, one given: over capacity
        db.session.commit()
        late_id, on_time_id = late.id, on_time.id
    client = logged_in(make_client, mentors_world)
    page = text_of(client.get(URL))
    assert "Follow-up" in page and "2 matches, most overdue first." in page
    overdue = page[page.index("Matches without a meeting") : page.index("Mentors over capacity")]
    assert overdue.index("Mette Borger") < overdue.index("Bo Anden")
    assert "Mette Borger Hanne Holm Every week none since the start 23 days" in overdue
    last = (today - timedelta(days=20)).strftime("%b %-d, %Y")
    assert f"Bo Anden Hanne Holm Every 14 days {last} 6 days" in overdue
    assert "Carl Tredje" not in overdue
    html = client.get(URL).get_data(as_text=True)
    assert f'href="/silkeborg/mentors/matches/{late_id}"' in html
    assert f'href="/silkeborg/mentors/matches/{on_time_id}"' not in html
    loads = page[page.index("Mentors over capacity") :]
    assert "Hanne Holm 2/1 over capacity" in loads and "Ida Ibsen 0/1 no mentee" in loads
    assert "Ole Olsen" not in loads
    with app.app_context():
        entries = db_of(app).session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "citizen", AuditEntry.action == "view")
        )
        shown = [e.object_id for e in entries if e.details.get("what") == "mentors_overview"]
        # One entry per citizen named (so each record's own log shows it), on each of the views above.
        assert len(set(shown)) == 2 and len(shown) % 2 == 0


def test_the_overview_says_when_there_is_nothing_to_follow_up(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        started_days_ago(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"), 2, 7)
    client = logged_in(make_client, mentors_world)
    page = text_of(client.get(URL))
    assert "No match has gone longer without a meeting than agreed." in page
    assert "Every approved mentor has a mentee, and no one is over capacity." in page
    assert NOTICE not in text_of(client.get("/silkeborg/"))


def test_the_start_page_warns_about_overdue_matches_for_staff_only(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        started_days_ago(app, make_mentor("Hanne Holm"), make_citizen("Mette Borger"), 30, 7)
    client = logged_in(make_client, mentors_world)
    html = client.get("/silkeborg/").get_data(as_text=True)
    assert f"1 {NOTICE}" in html and f'href="{URL}"' in html
    with app.app_context():
        started_days_ago(app, make_mentor("Ole Olsen"), make_citizen("Bo Anden"), 30, 7)
    assert "2 mentor matches have gone longer without a meeting than agreed" in text_of(
        client.get("/silkeborg/")
    )
    for role in ("mentor", "participant"):
        other = logged_in(make_client, mentors_world, role)
        assert "mentor match" not in text_of(other.get("/silkeborg/")), role
        assert other.get(URL).status_code == 403, role
    outsider: Client = make_client()
    assert outsider.login(mentors_world.user("norddjurs", "coordinator")).status_code == 302
    assert "mentor match" not in text_of(outsider.get("/norddjurs/"))


def test_the_overview_sends_as_many_statements_for_five_overdue_matches_as_for_one(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, make_citizen: MakeCitizen
) -> None:
    with app.app_context():
        started_days_ago(app, make_mentor("Mentor 0"), make_citizen("Borger 0"), 30, 7)
    client = logged_in(make_client, mentors_world)

    def statements() -> int:
        client.get(URL)
        with count_statements(app) as seen:
            assert client.get(URL).status_code == 200
        return len(seen)

    one = statements()
    with app.app_context():
        db = db_of(app)
        for n in range(1, 5):
            match = started_days_ago(app, make_mentor(f"Mentor {n}"), make_citizen(f"Borger {n}"), 30, 7)
            first_day = today_in_silkeborg(mentors_world) - timedelta(days=30)
            services.log_meeting(db, match, None, services.MeetingData(first_day, 30, 1))
        make_mentor("Idle Mentor")
    assert statements() == one
    assert text_of(client.get(URL)).count("Every week") == 5
