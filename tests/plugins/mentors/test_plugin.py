"""The mentor pool is a plugin like any other: installed through its entry point, talking to the core
only through `broen.api`, with a migration branch of its own."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

import broen.plugins.mentors as mentors
from broen.core.migrate import alembic_config, current_heads, upgrade

PLUGIN = Path(mentors.__file__).parent
TABLES = {"mentors_mentor", "mentors_status_change", "mentors_citizen_wishes", "mentors_match"}


def test_the_plugin_is_installed_through_its_entry_point_with_typed_default_settings(app: Flask) -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="broen") if e.name == "mentors"]
    assert entry.value == "broen.plugins.mentors"
    info = app.extensions["broen.plugins"].info["mentors"]
    assert info.title_en == "Volunteer mentors"
    assert info.defaults == {"candidates_shown": 20}


def test_the_plugin_imports_nothing_of_the_core_but_broen_api() -> None:
    paths = list(PLUGIN.rglob("*.py"))
    assert any(p.parent.name == "migrations" for p in paths)
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith("broen"):
                    assert name == "broen" or name.startswith("broen.plugins.mentors"), f"{path}: {name}"


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
    assert current_heads(db, plugins) == before - {"mentors_0001"}
    upgrade(db, plugins)
    assert set(inspect(db.engine).get_table_names()) >= TABLES
