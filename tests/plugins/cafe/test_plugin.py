"""The café is a plugin like any other: installed through its entry point, talking to the core only
through `broen.api`, with a migration branch of its own."""

from __future__ import annotations

import importlib.metadata

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from broen.core.migrate import alembic_config, current_heads, upgrade

TABLES = {"cafe_course", "cafe_session", "cafe_signup"}


def test_the_cafe_is_installed_through_its_entry_point_with_typed_default_settings(app: Flask) -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="broen") if e.name == "cafe"]
    assert entry.value == "broen.plugins.cafe"
    info = app.extensions["broen.plugins"].info["cafe"]
    assert info.defaults == {
        "require_mental_health_flexjob": True,
        "default_session_count": 5,
        "default_session_minutes": 120,
        "default_capacity": 12,
    }


def test_the_cafe_branch_depends_on_the_core_and_downgrades_alone(app: Flask) -> None:
    db, plugins = app.extensions["broen.db"], app.extensions["broen.plugins"]
    cfg = alembic_config(db, plugins)
    script = ScriptDirectory.from_config(cfg).get_revision("cafe_0001")
    assert script is not None and script.dependencies == "core"
    command.downgrade(cfg, "cafe@base")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    assert "citizen" in inspect(db.engine).get_table_names()
    assert not any(h.startswith("cafe_") for h in current_heads(db, plugins))
    upgrade(db, plugins)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
