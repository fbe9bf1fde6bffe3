"""Relatives is a plugin like any other: turned off in a municipality, it is gone there (every page of it
answers 404, for staff and for anyone; no menu entry, no citizen panel, no worklist item, no feed events;
its per-municipality hooks are not even called), while the municipality that has it on keeps it all."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import broen.plugins.relatives as relatives_plugin
from broen.calendar import tokens
from broen.core import accounts
from broen.core.models import User
from broen.plugins.relatives.models import GroupCourse, Intake, ReferralKind
from tests.conftest import World, db_of, text_of
from tests.plugins.relatives.test_courses import add_session, logged_in, make_course, refer

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
#: The plugin's blueprints: the staff pages (relatives, referrals, intake, courses) and the public form.
BLUEPRINTS = {"relatives", "relatives_public"}
#: The per-municipality hooks, as the plugin's __init__ hands them on: (module, function).
HOOKS = (
    (relatives_plugin.staff, "menu_items"),
    (relatives_plugin.staff, "citizen_panels"),
    (relatives_plugin.staff, "worklist_items"),
    (relatives_plugin.intake, "worklist_items"),
    (relatives_plugin.relatives_feed, "events"),
)


def data_in(app: Flask, world: World, slug: str) -> tuple[int, str]:
    """What each hook would show in `slug`: a course with a session (feeds), a relative of the first
    citizen with a referral (citizen panel, worklist), a new intake (worklist). Returns the citizen's id
    and the course's title."""
    title = f"Kursus i {slug}"
    course = make_course(app, world, slug=slug, title=title, kind=ReferralKind.GROUP_COURSE)
    add_session(app, course, date.today() + timedelta(days=3))
    refer(app, world, course, f"Relative {slug.title()}", slug=slug)
    with app.app_context():
        db = db_of(app)
        db.session.add(
            Intake(
                municipality_id=world.municipalities[slug].id,
                referrer_name=f"Referrer {slug.title()}",
                person_name=f"Person {slug.title()}",
                consent_text="I agree.",
                consent_at=datetime.now(UTC),
            )
        )
        db.session.commit()
    return world.citizens[slug][0], title


@SQLITE_ONLY
def test_turned_off_the_plugin_answers_404_everywhere_shows_nothing_and_is_not_called(
    app: Flask, relatives_world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off in Silkeborg, on in Norddjurs. Silkeborg's rows are made first, so the ids in the walked URLs
    (1) are Silkeborg's own."""
    citizen_id, title = data_in(app, relatives_world, "silkeborg")
    other_citizen, other_title = data_in(app, relatives_world, "norddjurs")
    with app.app_context():
        db = db_of(app)
        assert db.session.scalars(select(GroupCourse.title).where(GroupCourse.id == 1)).one() == title
        accounts.set_plugin_enabled(db, relatives_world.municipalities["silkeborg"], "relatives", False)
        coordinator_user = db.session.get_one(User, relatives_world.user("silkeborg", "coordinator").id)
        token = tokens.issue(db, coordinator_user)

    calls: list[str] = []
    for module, name in HOOKS:
        real = getattr(module, name)

        def spy(*a: Any, _real: Any = real, _n: str = f"{module.__name__}.{name}", **k: Any) -> Any:
            calls.append(_n)
            return _real(*a, **k)

        monkeypatch.setattr(module, name, spy)

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in BLUEPRINTS]
    endpoints = {r.endpoint for r in rules}
    assert {"relatives.courses", "relatives.course", "relatives.move_course_session"} <= endpoints
    coordinator = logged_in(make_client, relatives_world, "coordinator")
    admin = logged_in(make_client, relatives_world, "admin")
    anyone = make_client()
    for rule in rules:
        url = rule.rule.replace("<municipality>", "silkeborg")
        url = re.sub(r"<(?:\w+:)?\w+>", "1", url)
        public = rule.rule.startswith("/<municipality>/public/")
        # Anyone not logged in is sent to log in first on every member page, as on any other.
        for client in (coordinator, admin, anyone) if public else (coordinator, admin):
            if "GET" in (rule.methods or ()):
                assert client.get(url).status_code == 404, url
            if "POST" in (rule.methods or ()):  # with a valid CSRF token, taken from a page that exists
                token_page = "/login" if client is anyone else "/silkeborg/"
                assert client.submit(url, {}, page=token_page).status_code == 404, url

    start = coordinator.get("/silkeborg/").get_data(as_text=True)
    citizen_page = coordinator.get(f"/silkeborg/citizens/{citizen_id}").get_data(as_text=True)
    for html in (start, citizen_page):
        assert "/silkeborg/relatives" not in html  # no menu entry, worklist link or panel link
        assert "Relative Silkeborg" not in html and "Referrer Silkeborg" not in html
    public_feed = anyone.get("/silkeborg/public/calendar/public.ics")
    assert public_feed.status_code == 200 and b"relatives-session-" not in public_feed.get_data()
    assert title not in text_of(coordinator.get("/silkeborg/calendar/"))
    personal = anyone.get(f"/feeds/{token}.ics")
    assert personal.status_code == 200 and b"relatives-session-" not in personal.get_data()
    assert calls == []

    # Norddjurs has it on: its pages answer, and every hook is asked there.
    other = logged_in(make_client, relatives_world, "coordinator", "norddjurs")
    assert other_title in text_of(other.get("/norddjurs/relatives/courses"))
    assert 'href="/norddjurs/relatives/' in other.get("/norddjurs/").get_data(as_text=True)
    assert "Relative Norddjurs" in text_of(other.get(f"/norddjurs/citizens/{other_citizen}"))
    assert other_title in text_of(other.get("/norddjurs/calendar/"))
    assert b"relatives-session-" in anyone.get("/norddjurs/public/calendar/public.ics").get_data()
    assert {f"{module.__name__}.{name}" for module, name in HOOKS} <= set(calls)
