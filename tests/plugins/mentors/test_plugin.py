"""The mentor pool is a plugin like any other: installed through its entry point, talking to the core
only through `broen.api`, with a migration branch of its own."""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, select

import broen.plugins.mentors as mentors_plugin
from broen.calendar import tokens
from broen.core import accounts
from broen.core.migrate import alembic_config, current_heads, upgrade
from broen.core.models import User
from broen.plugins.mentors.models import Mentor
from tests.admin.routes import _mentors_match
from tests.conftest import World, db_of, text_of

#: The plugin's blueprints: the staff pages, the mentor's own pages, the public sign-up form.
BLUEPRINTS = {"mentors", "mentors_me", "mentors_public"}

TABLES = {
    "mentors_mentor",
    "mentors_status_change",
    "mentors_citizen_wishes",
    "mentors_match",
    "mentors_meeting",
    "mentors_application",
}


def test_the_plugin_is_installed_through_its_entry_point_with_typed_default_settings(app: Flask) -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="broen") if e.name == "mentors"]
    assert entry.value == "broen.plugins.mentors"
    info = app.extensions["broen.plugins"].info["mentors"]
    assert info.title_en == "Volunteer mentors"
    assert info.defaults == {"candidates_shown": 20, "consent_text": ""}


def test_every_table_is_prefixed(app: Flask) -> None:
    from broen.core.db import Base

    ours = {t.name for t in Base.metadata.sorted_tables if t.name.startswith("mentors_")}
    assert ours == TABLES


def test_the_branch_depends_on_the_core_and_downgrades_alone(app: Flask) -> None:
    db, plugins = app.extensions["broen.db"], app.extensions["broen.plugins"]
    cfg = alembic_config(db, plugins)
    script = ScriptDirectory.from_config(cfg).get_revision("mentors_0001")
    assert script is not None and script.dependencies == "core" and script.branch_labels == {"mentors"}
    before = current_heads(db, plugins)
    command.downgrade(cfg, "mentors@base")
    names = set(inspect(db.engine).get_table_names())
    assert not TABLES & names
    assert {"citizen", "cafe_course"} <= names
    assert current_heads(db, plugins) == before - {"mentors_0002"}
    upgrade(db, plugins)
    assert set(inspect(db.engine).get_table_names()) >= TABLES


def test_turned_off_the_plugin_answers_404_everywhere_shows_nothing_and_is_not_called(
    app: Flask, mentors_world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off in Silkeborg: every one of its URLs is not found (for staff, a mentor and anyone), and the core
    calls none of its per-municipality hooks there (menu, start page, citizen page, calendar feeds)."""
    # Data that would show if the plugin were asked: a mentor with a log-in, a match, a planned meeting.
    with app.app_context():
        db = db_of(app)
        silkeborg = mentors_world.municipalities["silkeborg"]
        _mentors_match(app)
        mentor_user = mentors_world.user("silkeborg", "mentor")
        mentor = db.session.scalars(select(Mentor).where(Mentor.municipality_id == silkeborg.id)).first()
        assert mentor is not None
        mentor.user_id = mentor_user.id
        db.session.commit()
        citizen_id = mentors_world.citizens["silkeborg"][0]
        accounts.set_plugin_enabled(db, silkeborg, "mentors", False)
        token = tokens.issue(db, db.session.get_one(User, mentor_user.id))

    calls: list[str] = []
    for module, name in (
        (mentors_plugin.staff, "menu_items"),
        (mentors_plugin.mentor_pages, "menu_items"),
        (mentors_plugin.matches, "citizen_panels"),
        (mentors_plugin.matches, "worklist_items"),
        (mentors_plugin.intake, "worklist_items"),
        (mentors_plugin.mentor_feed, "events"),
        (mentors_plugin.invite, "accepted"),
    ):
        monkeypatch.setattr(
            module, name, lambda *a, _n=f"{module.__name__}.{name}", **k: calls.append(_n) or []
        )

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in BLUEPRINTS]
    assert len(rules) > 30  # every page of the plugin, staff, mentor and public
    coordinator = make_client()
    coordinator.login(mentors_world.user("silkeborg", "coordinator"))
    as_mentor = make_client()
    as_mentor.login(mentor_user)
    anyone = make_client()
    for rule in rules:
        url = re.sub(r"<int:\w+>", "1", rule.rule).replace("<municipality>", "silkeborg")
        public = rule.rule.startswith("/<municipality>/public/")
        # Anyone not logged in is sent to log in first on every member page, as on any other.
        for client in (coordinator, as_mentor, anyone) if public else (coordinator, as_mentor):
            if "GET" in (rule.methods or ()):
                assert client.get(url).status_code == 404, url
            if "POST" in (rule.methods or ()):  # with a valid CSRF token, taken from a page that exists
                token_page = "/login" if client is anyone else "/silkeborg/"
                assert client.submit(url, {}, page=token_page).status_code == 404, url

    start = text_of(coordinator.get("/silkeborg/"))
    assert "Mentors" not in start and "mentor match" not in start
    citizen_page = text_of(coordinator.get(f"/silkeborg/citizens/{citizen_id}"))
    assert "Volunteer mentor" not in citizen_page and "Find a mentor" not in citizen_page
    assert "My mentees" not in text_of(as_mentor.get("/silkeborg/"))
    feed = anyone.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200 and b"mentors-meeting-" not in feed.get_data()
    assert calls == []
