"""Migrations: `broen db upgrade` brings an empty or older database up to date, and the schema it builds
is exactly what the models describe, on SQLite and on PostgreSQL.

"Exactly" is Alembic's autogenerate finding nothing to do, with types, server defaults, indexes, unique
and foreign-key constraints compared; a test below proves the comparison does see such differences.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Engine, Index, MetaData, String, UniqueConstraint, create_engine, inspect, text
from sqlalchemy.schema import DefaultClause

from broen.core.db import Base, include_name, is_unmanaged_table
from broen.core.migrate import MIGRATIONS, alembic_config, current_heads, upgrade
from broen.core.models import Municipality
from tests.conftest import make_app

VERSIONS = MIGRATIONS / "versions"
_names = itertools.count()


def differences(engine: Engine, metadata: MetaData = Base.metadata) -> list[Any]:
    """What autogenerate would write into a new revision to make the database match `metadata`."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "compare_server_default": True, "include_name": include_name},
        )
        return list(compare_metadata(context, metadata))


def table_names(app: Flask) -> set[str]:
    names = inspect(app.extensions["broen.db"].engine).get_table_names()
    return {n for n in names if not is_unmanaged_table(n)}


def up_to_date(app: Flask) -> bool:
    """Alembic's own test (the one `alembic check` uses): the database is at every head."""
    db, plugins = app.extensions["broen.db"], app.extensions["broen.plugins"]
    scripts = ScriptDirectory.from_config(alembic_config(db, plugins))
    return set(scripts.get_revisions(tuple(current_heads(db, plugins)))) == set(
        scripts.get_revisions("heads")
    )


def core_head(app: Flask) -> str:
    """The newest core revision (a new core revision must not break the tests that stop at it)."""
    scripts = ScriptDirectory.from_config(
        alembic_config(app.extensions["broen.db"], app.extensions["broen.plugins"])
    )
    (head,) = scripts.get_revisions("core@head")
    assert head is not None
    return head.revision


@pytest.fixture
def migrated(database_url: str) -> Iterator[Flask]:
    """The app (core + example plugin) on a database the fixtures migrated with `upgrade`."""
    app = make_app(database_url)
    yield app
    app.extensions["broen.db"].dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The app on a database with no tables at all."""
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp_path / 'empty.db'}")
        yield app
        app.extensions["broen.db"].dispose()
        return
    pg_url: str = request.getfixturevalue("pg_url")
    name = f"broen_empty_{next(_names)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    app = make_app(pg_url.rsplit("/", 1)[0] + "/" + name)
    try:
        yield app
    finally:
        app.extensions["broen.db"].dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_migrations_and_models_agree(migrated: Flask) -> None:
    db, plugins = migrated.extensions["broen.db"], migrated.extensions["broen.plugins"]
    assert up_to_date(migrated)
    assert differences(db.engine) == []
    # The same through broen's Alembic environment (env.py's options), as `alembic check` would do it.
    command.check(alembic_config(db, plugins))


def test_upgrade_of_an_empty_database_creates_every_table_at_every_head(empty: Flask) -> None:
    db, plugins = empty.extensions["broen.db"], empty.extensions["broen.plugins"]
    assert table_names(empty) == set()
    upgrade(db, plugins)
    assert table_names(empty) == set(Base.metadata.tables) | {"alembic_version"}
    assert up_to_date(empty)
    assert differences(db.engine) == []


def test_upgrade_twice_changes_nothing(migrated: Flask) -> None:
    db, plugins = migrated.extensions["broen.db"], migrated.extensions["broen.plugins"]
    before = current_heads(db, plugins)
    upgrade(db, plugins)
    assert current_heads(db, plugins) == before
    assert up_to_date(migrated)
    assert differences(db.engine) == []


def test_an_older_database_gets_a_later_installed_plugins_tables_and_keeps_its_rows(empty: Flask) -> None:
    db, plugins = empty.extensions["broen.db"], empty.extensions["broen.plugins"]
    # As if broen ran for a while before the example plugin was installed: only the core's branch.
    upgrade(db, plugins, "core@head")
    assert "municipality" in table_names(empty)
    assert "example_tip" not in table_names(empty)
    assert current_heads(db, plugins) == {core_head(empty)}
    assert not up_to_date(empty)
    with empty.app_context():
        db.session.add(Municipality(slug="silkeborg", name="Silkeborg Kommune"))
        db.session.commit()
        db.session.remove()

    # What the operator runs after installing the plugin.
    with empty.app_context():
        result = empty.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "example_tip" in table_names(empty)
    assert up_to_date(empty)
    assert differences(db.engine) == []
    with empty.app_context():
        assert [m.slug for m in db.session.query(Municipality)] == ["silkeborg"]


def test_the_example_plugins_branch_downgrades_alone_and_upgrades_again(migrated: Flask) -> None:
    db, plugins = migrated.extensions["broen.db"], migrated.extensions["broen.plugins"]
    cfg = alembic_config(db, plugins)
    command.downgrade(cfg, "example@base")
    assert "example_tip" not in table_names(migrated)
    assert "municipality" in table_names(migrated)
    # The core and the other installed plugins (the built-in café) stay where they were.
    heads = current_heads(db, plugins)
    assert core_head(migrated) in heads and not any(h.startswith("example_") for h in heads)
    upgrade(db, plugins)
    assert "example_tip" in table_names(migrated)
    assert differences(db.engine) == []


def test_downgrade_to_base_removes_every_table(migrated: Flask) -> None:
    db, plugins = migrated.extensions["broen.db"], migrated.extensions["broen.plugins"]
    command.downgrade(alembic_config(db, plugins), "base")
    assert table_names(migrated) == {"alembic_version"}
    assert current_heads(db, plugins) == set()


def test_the_comparison_sees_types_defaults_indexes_constraints_and_nullability(migrated: Flask) -> None:
    # A copy of the models with one of each kind of change, against the migrated database.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    municipality = changed.tables["municipality"]
    municipality.c.name.type = String(99)
    municipality.c.timezone.server_default = DefaultClause("Europe/Copenhagen")
    Index("ix_municipality_name", municipality.c.name)
    UniqueConstraint(municipality.c.name, name="uq_municipality_name")
    changed.tables["citizen"].c.phone.nullable = False
    for fk in changed.tables["example_tip"].foreign_keys:
        fk.constraint.ondelete = "CASCADE"

    found = differences(migrated.extensions["broen.db"].engine, changed)

    kinds = {(d[0][0] if isinstance(d, list) else d[0]) for d in found}
    assert kinds == {
        "modify_type",
        "modify_default",
        "add_index",
        "add_constraint",
        "modify_nullable",
        "remove_fk",
        "add_fk",
    }


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_core_revision_has_a_downgrade_that_does_something() -> None:
    revisions = sorted(VERSIONS.glob("*.py"))
    assert revisions
    for path in revisions:
        functions = _functions(path)
        assert "upgrade" in functions, path.name
        assert "downgrade" in functions, f"{path.name} has no downgrade()"
        body = [
            node
            for node in functions["downgrade"].body
            if not isinstance(node, ast.Pass)
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        ]
        assert body, f"{path.name}: downgrade() does nothing"


def test_the_core_revisions_form_one_branch_labelled_core_that_plugins_depend_on(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'unused.db'}")
    scripts = ScriptDirectory.from_config(
        alembic_config(app.extensions["broen.db"], app.extensions["broen.plugins"])
    )
    core = {s.revision: s for s in scripts.walk_revisions() if Path(s.path).parent == VERSIONS}
    roots = [s for s in core.values() if s.down_revision is None]
    assert len(roots) == 1
    assert roots[0].branch_labels == {"core"}
    (head,) = scripts.get_revisions("core@head")
    assert head.revision in core
    assert scripts.get_revision("example_0001").dependencies == "core"  # the plugin branch's first revision
    app.extensions["broen.db"].dispose()
