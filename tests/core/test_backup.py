"""`broen backup` and `broen restore`, on SQLite and PostgreSQL: a backup restored into an empty database
holds every record of every plugin; a restore asks first and refuses what is not a backup; a backup is
private to its owner and never left half-written under its name."""

from __future__ import annotations

import itertools
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select, text

from broen.core import backup
from broen.core.models import AuditEntry
from tests.admin.routes import ROW_FACTORIES, enable_every_plugin, snapshot
from tests.conftest import World, db_of, make_app, pg_database

_counter = itertools.count()


def cli(app: Flask, *args: str, input: str | None = None) -> Result:
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database of the test's kind with nothing in it, not even the schema."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    with pg_database(request.getfixturevalue("pg_url"), "broen_restore") as url:
        yield url


@pytest.fixture
def other_app(empty_url: str) -> Iterator[Flask]:
    app = make_app(empty_url)
    yield app
    db_of(app).dispose()


def fill_every_plugin(app: Flask) -> None:
    enable_every_plugin(app)
    for factory in dict.fromkeys(ROW_FACTORIES.values()):
        factory(app)


def test_a_backup_restored_into_an_empty_database_has_every_record(
    app: Flask, world: World, other_app: Flask, tmp_path: Path
) -> None:
    fill_every_plugin(app)
    file = tmp_path / "nightly.bak"

    made = cli(app, "backup", str(file))

    assert made.exit_code == 0, made.output
    before = snapshot(app)
    with app.app_context():
        versions = len(db_of(app).session.execute(text("SELECT * FROM alembic_version")).all())
    rows = sum(len(r) for r in snapshot(app, skip=()).values()) + versions
    assert f"Wrote {file}" in made.output and f"{rows} rows in" in made.output, made.output
    assert [table for table in ROW_FACTORIES if not before[table]] == [], "a plugin's tables are empty"

    restored = cli(other_app, "restore", str(file), "--yes")

    assert restored.exit_code == 0, restored.output
    assert "The schema is up to date." in restored.output
    after = snapshot(other_app)
    audit_before, audit_after = before.pop("audit_entry"), after.pop("audit_entry")
    assert after == before
    # The backup is in the audit log it copied; the restored database also says it was restored.
    assert audit_after[:-1] == audit_before
    with other_app.app_context():
        last = db_of(other_app).session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and (last.object_type, last.action) == ("database", "update")

    # Restoring over a database that has moved on since brings it back to the backup.
    cli(other_app, "db", "upgrade")
    with other_app.app_context():
        db_of(other_app).session.execute(text("DELETE FROM citizen_status_change"))
        db_of(other_app).session.execute(text("UPDATE citizen SET name = 'Changed'"))
        db_of(other_app).session.commit()
    assert cli(other_app, "restore", str(file), "--yes").exit_code == 0
    again = snapshot(other_app)
    again.pop("audit_entry")
    assert again == before


def test_restore_asks_first_and_changes_nothing_without_a_yes(
    app: Flask, world: World, other_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "b.bak"
    assert cli(app, "backup", str(file)).exit_code == 0
    cli(other_app, "db", "upgrade")
    before = snapshot(other_app)

    piped = cli(other_app, "restore", str(file), input="y\n")

    assert piped.exit_code == 1
    assert "add --yes" in piped.output
    assert "This replaces everything in the database" in piped.output
    monkeypatch.setattr("click.testing._NamedTextIOWrapper.isatty", lambda self: True)
    declined = cli(other_app, "restore", str(file), input="n\n")
    assert declined.exit_code == 1
    assert "Replace the database with the backup? [y/N]" in declined.output
    assert snapshot(other_app) == before


def test_restore_refuses_what_is_not_a_backup(
    app: Flask, world: World, other_app: Flask, tmp_path: Path
) -> None:
    good = tmp_path / "good.bak"
    assert cli(app, "backup", str(good)).exit_code == 0
    with other_app.app_context():
        assert "run 'broen db upgrade'" in str(
            backup.migration_state(db_of(other_app), other_app.extensions["broen.plugins"])
        )
    cli(other_app, "db", "upgrade")
    before = snapshot(other_app)
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup\n" * 100)
    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])

    for bad in (text_file, truncated, tmp_path / "missing.bak"):
        result = cli(other_app, "restore", str(bad), "--yes")
        assert result.exit_code == 1, result.output
        (line,) = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
        assert str(bad) in line
    assert snapshot(other_app) == before


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_sqlite_broen_refuses_a_postgresql_backup_and_a_foreign_database(
    app: Flask, tmp_path: Path
) -> None:
    dump = tmp_path / "pg.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")

    wrong_kind = cli(app, "restore", str(dump), "--yes")
    foreign = cli(app, "restore", str(other), "--yes")

    assert "a PostgreSQL backup, but this broen uses SQLite" in wrong_kind.output
    assert "a SQLite database, but not a backup of broen" in foreign.output


def test_a_backup_is_private_and_never_left_half_written(
    app: Flask, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "b.bak"
    assert cli(app, "backup", str(file)).exit_code == 0
    assert stat.S_IMODE(file.stat().st_mode) == 0o600

    again = cli(app, "backup", str(file))
    assert again.exit_code == 1
    assert "exists already" in again.output and "--force" in again.output
    assert cli(app, "backup", str(file), "--force").exit_code == 0

    # The copy fails half-way (a full disk): nothing under the name, no temporary file left.
    def fail_half_way(label: str) -> Any:
        from contextlib import contextmanager

        @contextmanager
        def bar() -> Iterator[backup.Progress]:
            def update(done: int, total: int) -> None:
                if done > 0:
                    raise backup.BackupError("No space left on device")

            yield update

        return bar()

    monkeypatch.setattr(backup, "progress_bar", fail_half_way)
    failed = cli(app, "backup", str(tmp_path / "c.bak"))
    assert failed.exit_code == 1
    assert "No space left on device" in failed.output
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "broen.db") == ["b.bak"]

    missing = cli(app, "backup", str(tmp_path / "nowhere" / "b.bak"))
    assert missing.exit_code == 1
    assert "does not exist" in missing.output


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
def test_without_pg_dump_the_backup_says_what_to_install(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("glob.glob", lambda pattern: [])

    result = cli(app, "backup", str(tmp_path / "b.dump"))

    assert result.exit_code == 1
    assert "Error: pg_dump is not installed (Debian: apt-get install postgresql-client)" in result.output
    assert list(tmp_path.iterdir()) == []
