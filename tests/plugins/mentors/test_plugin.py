"""The mentor pool is a plugin like any other: installed through its entry point, talking to the core
only through `broen.api`, with a migration branch of its own."""

from __future__ import annotations

import importlib.metadata

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from broen.core.migrate import alembic_config, current_heads, upgrade

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
