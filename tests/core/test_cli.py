"""The `broen` command: what an operator types to install, fill and serve broen.

The subprocess tests run the installed command, which sees only the core (the example plugin is not
installed as an entry point); the in-process tests use the app's own CLI runner, with the example plugin.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select

import broen.calendar.models  # in the metadata even when this module runs alone
from broen.core.cli import EXAMPLE_CONFIG, main
from broen.core.config import MIN_SECRET_LENGTH, load_settings
from broen.core.db import Base, is_unmanaged_table
from broen.core.demo import DEMO_PASSWORD, MUNICIPALITIES
from broen.core.migrate import upgrade
from broen.core.models import AuditEntry, Citizen, Membership, Municipality, Role, User
from tests.conftest import PASSWORD, Client, make_app

_script = shutil.which("broen", path=str(Path(sys.executable).parent))
#: The installed console script next to this Python (its entry point is broen.core.cli:run).
BROEN = (
    [_script]
    if _script
    else [sys.executable, "-c", "import sys; from broen.core.cli import run; sys.exit(run())"]
)
_flask = shutil.which("flask", path=str(Path(sys.executable).parent))
FLASK = [_flask] if _flask else [sys.executable, "-m", "flask"]

# `broen db upgrade` creates the core's tables and those of the plugins installed through entry points
# (the built-in café): import those, so their models are in the metadata. Not the example plugin's: the
# tests register it by hand, the command line does not know it.
for _entry in importlib.metadata.entry_points(group="broen"):
    _entry.load()
CORE_TABLES = {t.name for t in Base.metadata.sorted_tables if not t.name.startswith("example_")}


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without broen's and Flask's variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BROEN_", "FLASK_"))}
    env.update(extra)
    return env


def broen(*args: str, cwd: Path, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BROEN, *args],
        cwd=cwd,
        env=clean_env(**env),
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
    )


def dev_config(directory: Path, database: str = "broen.db") -> Path:
    path = directory / "broen.toml"
    path.write_text(
        f'[broen]\nmode = "development"\nsecret_key = "{"d" * 40}"\ndatabase_url = "sqlite:///{database}"\n',
        encoding="utf-8",
    )
    return path


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {n for n in inspect(engine).get_table_names() if not is_unmanaged_table(n)}
    finally:
        engine.dispose()


# --- broen init ---------------------------------------------------------------------------------------


def test_init_in_two_directories_writes_two_private_configs_with_different_fresh_secrets(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    # Both at once: they are independent, and the test is quicker.
    runs = [
        subprocess.Popen([*BROEN, "init"], cwd=d, env=clean_env(), stdout=subprocess.PIPE, text=True)
        for d in (first, second)
    ]
    for run in runs:
        stdout, _ = run.communicate(timeout=60)
        assert run.returncode == 0
        assert "broen db upgrade" in stdout
    secrets = []
    for directory in (first, second):
        path = directory / "broen.toml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        settings = load_settings(path, environ={})  # production, and its secret is accepted
        assert settings.is_production
        assert len(settings.broen.secret_key) >= MIN_SECRET_LENGTH
        secrets.append(settings.broen.secret_key)
    assert secrets[0] != secrets[1]


def test_init_copies_the_example_with_only_the_secret_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    written = tomllib.loads((tmp_path / "broen.toml").read_text(encoding="utf-8"))
    example = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert written["broen"].pop("secret_key") != example["broen"].pop("secret_key")
    assert written == example


def test_a_second_init_leaves_the_existing_config_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(main, ["init"])
    before = (tmp_path / "broen.toml").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0
    assert "exists already" in result.output
    assert (tmp_path / "broen.toml").read_text(encoding="utf-8") == before


def test_init_development_writes_a_development_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "--development", "--path", "dev.toml"])
    assert result.exit_code == 0
    assert "Next: broen --config dev.toml db upgrade" in result.output
    settings = load_settings(tmp_path / "dev.toml", environ={})
    assert settings.broen.mode == "development"
    assert len(settings.broen.secret_key) >= MIN_SECRET_LENGTH
    assert stat.S_IMODE((tmp_path / "dev.toml").stat().st_mode) == 0o600


# --- broen db upgrade ---------------------------------------------------------------------------------


def test_db_upgrade_creates_every_core_table_in_an_empty_sqlite_database(tmp_path: Path) -> None:
    dev_config(tmp_path)
    result = broen("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "The database is up to date." in result.stdout
    assert tables(f"sqlite:///{tmp_path / 'broen.db'}") == CORE_TABLES | {"alembic_version"}


def test_flask_app_broen_db_upgrade_works_the_same(tmp_path: Path) -> None:
    config = dev_config(tmp_path, database=str(tmp_path / "flask.db"))
    result = subprocess.run(
        [*FLASK, "--app", "broen", "db", "upgrade"],
        cwd=tmp_path,
        env=clean_env(BROEN_CONFIG=str(config)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert tables(f"sqlite:///{tmp_path / 'flask.db'}") == CORE_TABLES | {"alembic_version"}


# --- broen create-admin -------------------------------------------------------------------------------


def test_create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in(tmp_path: Path) -> None:
    dev_config(tmp_path)
    url = f"sqlite:///{tmp_path / 'broen.db'}"
    app = make_app(url)
    upgrade(app.extensions["broen.db"], app.extensions["broen.plugins"])
    app.extensions["broen.db"].dispose()

    result = broen(
        "create-admin",
        "Root@Broen.example.dk",
        "--name",
        "Rita Root",
        cwd=tmp_path,
        input=f"{PASSWORD}\n" * 2,
    )
    assert result.returncode == 0, result.stderr
    assert "Created installation admin" in result.stdout

    app = make_app(url)
    with app.app_context():
        user = app.extensions["broen.db"].session.scalar(select(User))
        assert (user.email, user.name, user.is_installation_admin) == (
            "root@broen.example.dk",
            "Rita Root",
            True,
        )
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    response = client.login("root@broen.example.dk")
    assert response.status_code == 302
    assert client.get("/me").status_code == 200
    app.extensions["broen.db"].dispose()


def test_create_admin_refuses_a_short_password_with_a_clear_message(app: Flask) -> None:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["create-admin", "a@b.dk"], input="kort\nkort\n")
        assert result.exit_code != 0
        assert "Error: password: use at least 10 characters" in result.output
        assert app.extensions["broen.db"].session.scalar(select(func.count(User.id))) == 0


# --- broen demo ---------------------------------------------------------------------------------------


def test_demo_creates_silkeborg_and_norddjurs_through_the_services_prints_log_ins_and_is_harmless_twice(
    app: Flask,
) -> None:
    db = app.extensions["broen.db"]
    with app.app_context():
        first = app.test_cli_runner().invoke(args=["demo"])
        assert first.exit_code == 0, first.output
        for _slug, _name, staff in MUNICIPALITIES:
            for email, _person, _role in staff:
                assert email in first.output
        assert DEMO_PASSWORD in first.output

        def counts() -> dict[str, int]:
            db.session.remove()
            return {
                model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Municipality, User, Membership, Citizen, AuditEntry)
            }

        before = counts()
        slugs = set(db.session.scalars(select(Municipality.slug)))
        assert slugs == {"silkeborg", "norddjurs"}
        assert before["Membership"] == sum(len(staff) for _, _, staff in MUNICIPALITIES)
        assert before["Citizen"] > 0
        # Every citizen was made by create_citizen, which records who created it.
        created = set(
            db.session.scalars(
                select(AuditEntry.object_id).where(
                    AuditEntry.object_type == "citizen", AuditEntry.action == "create"
                )
            )
        )
        assert created == set(db.session.scalars(select(Citizen.id)))
        # Plugins are switched on in the demo municipalities.
        silkeborg = db.session.scalar(select(Municipality).where(Municipality.slug == "silkeborg"))
        assert app.extensions["broen.plugins"].is_enabled("example", silkeborg)
        # The participant log-in is a citizen's own, as an accepted invitation makes it.
        participant = db.session.scalar(select(User).where(User.email == "deltager@silkeborg.demo"))
        assert participant is not None and participant.role_in(silkeborg.id) == Role.PARTICIPANT
        linked = db.session.scalar(select(Citizen).where(Citizen.user_id == participant.id))
        assert linked is not None and linked.municipality_id == silkeborg.id
        assert linked.name == participant.name and linked.flexjob_mental_health_basis

        second = app.test_cli_runner().invoke(args=["demo"])
        assert second.exit_code == 0, second.output
        assert "already" in second.output
        assert "admin@silkeborg.demo" in second.output
        assert counts() == before

    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.login("mette@silkeborg.demo", DEMO_PASSWORD).status_code == 302
    assert client.get("/silkeborg/").status_code == 200
    # The preset's fields have demo values, as a column and a filter of the citizen list.
    listed = client.get(
        "/silkeborg/citizens/",
        query_string={
            "cols": "municipal_fields__jobcenter_case_number",
            "municipal_fields__programme": "ips",
        },
    ).get_data(as_text=True)
    assert "SI-2026-" in listed


# --- broen serve --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_http_on_the_given_port(tmp_path: Path) -> None:
    dev_config(tmp_path)
    port = _free_port()
    server = subprocess.Popen(
        [*BROEN, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    assert b'"ok"' in response.read()
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "broen serve did not answer"
                time.sleep(0.1)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/" in output
