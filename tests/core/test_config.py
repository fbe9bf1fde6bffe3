"""Configuration: TOML plus environment, checked so that a mistake costs the operator one line to fix.

The unit tests call `load_settings`; the end-to-end tests run the real `broen` command on bad files and
check what an operator sees: exit status 2 and one line that names the setting and what was expected.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from sqlalchemy import create_engine, inspect

from broen.core.app import create_app
from broen.core.config import (
    MIN_SECRET_LENGTH,
    PLACEHOLDER_SECRETS,
    ConfigError,
    Settings,
    load_settings,
)
from tests.core.test_cli import BROEN, clean_env

EXAMPLE = Path(__file__).resolve().parents[2] / "broen" / "config.example.toml"
SECRET = "k7Qm2vR9xW4pL8sT1nB6yC3hJ5dF0gZa"  # 32 characters, as `broen init` would make up
DEV = '[broen]\nmode = "development"\n'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- load_settings ----------------------------------------------------------------------------------


def test_without_a_file_the_defaults_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(overrides={"broen": {"secret_key": SECRET}}, environ={})
    assert settings.source is None
    assert settings.is_production
    assert settings.mail.port == 25
    assert settings.security.login_lockout_minutes == 15
    assert settings.broen.database_url == f"sqlite:///{tmp_path.resolve() / 'broen.db'}"


def test_the_file_is_found_as_argument_then_broen_config_then_broen_toml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = write(tmp_path / "given.toml", DEV + 'base_url = "https://given.example"\n')
    from_env = write(tmp_path / "env.toml", DEV + 'base_url = "https://env.example"\n')
    write(tmp_path / "broen.toml", DEV + 'base_url = "https://cwd.example"\n')
    monkeypatch.chdir(tmp_path)
    env = {"BROEN_CONFIG": str(from_env)}
    assert load_settings(given, environ=env).broen.base_url == "https://given.example"
    assert load_settings(environ=env).broen.base_url == "https://env.example"
    assert load_settings(environ={}).broen.base_url == "https://cwd.example"
    assert load_settings(environ={}).source == Path("broen.toml")


def test_environment_overrides_secret_database_url_and_mail_password(tmp_path: Path) -> None:
    path = write(
        tmp_path / "broen.toml",
        '[broen]\nsecret_key = "change-me"\ndatabase_url = "sqlite:///file.db"\n[mail]\npassword = "in-file"\n',
    )
    env = {
        "BROEN_SECRET_KEY": SECRET,
        "BROEN_DATABASE_URL": "postgresql+psycopg://broen:pw@db.internal/broen",
        "BROEN_MAIL_PASSWORD": "from-env",
    }
    settings = load_settings(path, environ=env)
    assert settings.broen.secret_key == SECRET
    assert settings.broen.database_url == "postgresql+psycopg://broen:pw@db.internal/broen"
    assert settings.mail.password == "from-env"


def test_an_empty_environment_variable_does_not_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broen.toml", f'[broen]\nsecret_key = "{SECRET}"\n')
    settings = load_settings(path, environ={"BROEN_SECRET_KEY": ""})
    assert settings.broen.secret_key == SECRET


def test_a_relative_sqlite_path_is_relative_to_the_config_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "elsewhere").mkdir()
    path = write(tmp_path / "etc" / "broen.toml", DEV + 'database_url = "sqlite:///data.db"\n')
    monkeypatch.chdir(tmp_path / "elsewhere")
    settings = load_settings(path, environ={})
    assert settings.broen.database_url == f"sqlite:///{(tmp_path / 'etc' / 'data.db').resolve()}"


def test_a_plain_postgresql_url_gets_the_psycopg_driver_and_keeps_its_password(tmp_path: Path) -> None:
    path = write(tmp_path / "b.toml", DEV + 'database_url = "postgresql://broen:s3cret@db:5433/broen"\n')
    url = load_settings(path, environ={}).broen.database_url
    assert url == "postgresql+psycopg://broen:s3cret@db:5433/broen"


BAD_SETTINGS = [
    # (TOML, the key the message must name, what it must say was expected)
    ("[mail]\nprot = 25\n", "mail.prot", "unknown setting (known: host, port,"),
    ("[mial]\nport = 25\n", "[mial]", "unknown section (known: broen, security, mail, metrics)"),
    ('mode = "development"\n', "mode", "under one of [broen], [security], [mail]"),
    ("broen = 5\n", "[broen]", "expected a table of settings"),
    ('[mail]\nport = "25"\n', "mail.port", "expected an integer, got '25'"),
    ("[mail]\nport = true\n", "mail.port", "expected an integer, got True"),
    ("[mail]\nport = 2.5\n", "mail.port", "expected an integer"),
    ("[mail]\nport = 70000\n", "mail.port", "expected a port number 1-65535"),
    ("[mail]\nhost = 25\n", "mail.host", "expected a string"),
    ('[mail]\nstarttls = "yes"\n', "mail.starttls", "expected true or false"),
    ("[security]\nlogin_lockout_minutes = 0\n", "security.login_lockout_minutes", "at least 1"),
    ('[broen]\nmode = "staging"\n', "broen.mode", "expected 'production' or 'development'"),
    ('[broen]\ndefault_language = "de"\n', "broen.default_language", "expected 'da' or 'en'"),
    ('[broen]\ndefault_timezone = "Europe/Silkeborg"\n', "broen.default_timezone", "IANA time zone"),
    ('[broen]\ndatabase_url = "not a url"\n', "broen.database_url", "expected a URL such as"),
    ('[broen]\ndatabase_url = "postgresql://u@h:port/db"\n', "broen.database_url", "expected a URL"),
    (
        '[broen]\ndatabase_url = "mysql://broen@localhost/broen"\n',
        "broen.database_url",
        "sqlite or postgresql",
    ),
    ('[broen]\ndatabase_url = "postgresql+psycopg2://u@h/db"\n', "broen.database_url", "psycopg driver"),
    ('[broen]\ndatabase_url = "sqlite+aiosqlite:///b.db"\n', "broen.database_url", "'sqlite:///...'"),
    (
        '[broen]\ndatabase_url = "sqlite:////no/such/directory/broen.db"\n',
        "broen.database_url",
        "/no/such/directory does not exist",
    ),
]


@pytest.mark.parametrize(("toml", "key", "expected"), BAD_SETTINGS)
def test_a_bad_setting_is_named_in_one_line_with_what_was_expected(
    tmp_path: Path, toml: str, key: str, expected: str
) -> None:
    path = write(tmp_path / "broen.toml", toml)
    with pytest.raises(ConfigError) as info:
        # A good secret from the environment, so that production's secret check is not what fails first.
        load_settings(path, environ={"BROEN_SECRET_KEY": SECRET})
    message = info.value.format_message()
    assert message.startswith(f"{key}: ")
    assert expected in message
    assert "\n" not in message
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    "secret",
    [None, "", "change-me", "secret", "a" * (MIN_SECRET_LENGTH - 1)],
    ids=["missing", "empty", "placeholder", "word", "short"],
)
def test_production_refuses_a_missing_placeholder_or_short_secret(tmp_path: Path, secret: str | None) -> None:
    toml = '[broen]\nmode = "production"\n' + ("" if secret is None else f'secret_key = "{secret}"\n')
    path = write(tmp_path / "broen.toml", toml)
    with pytest.raises(ConfigError, match=rf"^broen\.secret_key: .*at least {MIN_SECRET_LENGTH} characters"):
        load_settings(path, environ={})


def test_production_accepts_a_long_random_secret_and_development_any(tmp_path: Path) -> None:
    prod = write(tmp_path / "prod.toml", f'[broen]\nmode = "production"\nsecret_key = "{SECRET}"\n')
    dev = write(tmp_path / "dev.toml", DEV)
    assert load_settings(prod, environ={}).is_production
    assert not load_settings(dev, environ={}).is_production


def test_the_app_factory_refuses_to_start_in_production_with_the_example_secret(tmp_path: Path) -> None:
    # What gunicorn's 'broen:create_app()' does: read the file named by BROEN_CONFIG.
    path = tmp_path / "broen.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^broen\.secret_key"):
        create_app(config_path=path)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p, "no such configuration file"),
        (lambda p: (p.mkdir(), p)[1], "expected a readable configuration file (Is a directory)"),
        (lambda p: (p.write_bytes(b'[mail]\nsender = "\xff\xfe"\n'), p)[1], "expected a UTF-8 text file"),
        (lambda p: write(p, "[mail\nport = 25\n"), "not valid TOML"),
    ],
    ids=["missing", "directory", "not-utf8", "not-toml"],
)
def test_a_file_that_cannot_be_read_is_named(tmp_path: Path, make: Any, expected: str) -> None:
    path = make(tmp_path / "broen.toml")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.format_message().startswith(f"{path}: ")
    assert expected in info.value.format_message()


# --- config.example.toml ------------------------------------------------------------------------------


def _sections() -> dict[str, type[Any]]:
    hints = get_type_hints(Settings)
    return {
        f.name: hints[f.name] for f in dataclasses.fields(Settings) if dataclasses.is_dataclass(hints[f.name])
    }


def test_the_example_lists_every_setting_of_every_section_each_with_a_comment() -> None:
    listed: dict[str, list[str]] = {}
    section = None
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if header := re.fullmatch(r"\[(\w+)\]", line):
            section = header.group(1)
            listed[section] = []
        elif setting := re.match(r"(\w+) = ", line):
            assert section is not None, f"{setting.group(1)} is outside any section"
            assert lines[number - 1].startswith("# "), f"{section}.{setting.group(1)} has no comment above it"
            listed[section].append(setting.group(1))
    expected = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in _sections().items()}
    assert listed == expected


def test_the_example_shows_the_defaults_and_a_placeholder_secret() -> None:
    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for name, cls in _sections().items():
        defaults = dataclasses.asdict(cls())
        if name == "broen":
            assert example[name].pop("secret_key") in PLACEHOLDER_SECRETS
            defaults.pop("secret_key")
        assert example[name] == defaults, name


def test_the_example_loads_cleanly_with_a_real_secret(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('"change-me"', f'"{SECRET}"')
    settings = load_settings(write(tmp_path / "broen.toml", text), environ={})
    assert settings.is_production
    assert settings.broen.secret_key == SECRET
    assert settings.broen.database_url == f"sqlite:///{tmp_path.resolve() / 'broen.db'}"


# --- the real command ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One run of `broen` in a directory of its own, with `files` written there first."""

    files: dict[str, str | None] = field(default_factory=dict)  # None: make a directory
    args: tuple[str, ...] = ("--config", "broen.toml", "db", "upgrade")
    env: dict[str, str] = field(default_factory=dict)


def _dev(extra: str) -> dict[str, str | None]:
    return {"broen.toml": DEV + extra}


BAD_RUNS: dict[str, tuple[Run, str, str]] = {
    # name: (run, the key the line must name, what it must say was expected)
    "unknown-key": (Run(_dev("[mail]\nprot = 25\n")), "mail.prot", "unknown setting (known: host, port"),
    "unknown-section": (Run(_dev("[mial]\nport = 25\n")), "[mial]", "unknown section (known: broen,"),
    "string-for-int": (Run(_dev('[mail]\nport = "25"\n')), "mail.port", "expected an integer, got '25'"),
    "true-for-int": (
        Run(_dev("[security]\nlogin_lockout_minutes = true\n")),
        "security.login_lockout_minutes",
        "expected an integer, got True",
    ),
    "directory": (Run({"broen.toml": None}), "broen.toml", "expected a readable configuration file"),
    "not-toml": (Run(_dev("[mail\n")), "broen.toml", "not valid TOML"),
    "missing-file": (Run(args=("--config", "nowhere.toml", "db", "upgrade")), "nowhere.toml", "no such"),
    "garbage-database-url": (
        Run(_dev('database_url = "broen.db"\n')),
        "broen.database_url",
        "expected a URL such as 'sqlite:///broen.db'",
    ),
    "mysql-database-url": (
        Run(_dev('database_url = "mysql://broen@localhost/broen"\n')),
        "broen.database_url",
        "expected a sqlite or postgresql URL",
    ),
    "production-no-secret": (
        Run({"broen.toml": '[broen]\nmode = "production"\n'}),
        "broen.secret_key",
        f"at least {MIN_SECRET_LENGTH} characters",
    ),
    "production-placeholder-secret": (
        Run({"broen.toml": '[broen]\nsecret_key = "change-me"\n'}),
        "broen.secret_key",
        f"at least {MIN_SECRET_LENGTH} characters",
    ),
    "production-short-secret": (
        Run({"broen.toml": f'[broen]\nsecret_key = "{SECRET[:-1]}"\n'}),
        "broen.secret_key",
        f"at least {MIN_SECRET_LENGTH} characters",
    ),
    "no-file-at-all-means-production": (Run(args=("db", "upgrade")), "broen.secret_key", "run 'broen init'"),
}

GOOD_RUNS: dict[str, Run] = {
    "secret-and-database-from-env": Run(
        {"broen.toml": '[broen]\nsecret_key = "change-me"\ndatabase_url = "sqlite:///in-file.db"\n'},
        env={"BROEN_SECRET_KEY": SECRET, "BROEN_DATABASE_URL": "sqlite:///{dir}/from-env.db"},
    ),
    "help-with-a-bad-config": Run(_dev("[mail]\nprot = 25\n"), args=("--config", "broen.toml", "--help")),
    "unreachable-database": Run(_dev('database_url = "postgresql+psycopg://broen@127.0.0.1:1/broen"\n')),
}


def _start(run: Run, directory: Path) -> subprocess.Popen[str]:
    directory.mkdir()
    for name, content in run.files.items():
        if content is None:
            (directory / name).mkdir()
        else:
            (directory / name).write_text(content, encoding="utf-8")
    env = clean_env(**{k: v.format(dir=directory) for k, v in run.env.items()})
    return subprocess.Popen(
        [*BROEN, *run.args], cwd=directory, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="module")
def broen_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Start every run the selected tests need at once (they are independent), then wait for them all."""
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if "broen_runs" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")
    }
    root = tmp_path_factory.mktemp("runs")
    runs = {**{name: run for name, (run, _, _) in BAD_RUNS.items()}, **GOOD_RUNS}
    started = {name: (_start(runs[name], root / name), root / name) for name in sorted(wanted)}
    results = {}
    for name, (process, directory) in started.items():
        stdout, stderr = process.communicate(timeout=60)
        results[name] = (process.returncode, stdout, stderr, directory)
    return results


@pytest.mark.parametrize("name", BAD_RUNS)
def test_the_broen_command_reports_a_bad_config_in_one_line_with_status_2(
    broen_runs: dict[str, Any], name: str
) -> None:
    _, key, expected = BAD_RUNS[name]
    status, stdout, stderr, _ = broen_runs[name]
    assert "Traceback" not in stderr + stdout
    assert status == 2, stderr
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith(f"broen: {key}: "), stderr
    assert expected in stderr


@pytest.mark.parametrize("name", ["secret-and-database-from-env"])
def test_the_environment_supplies_secret_and_database_to_the_command(
    broen_runs: dict[str, Any], name: str
) -> None:
    status, stdout, stderr, directory = broen_runs[name]
    assert status == 0, stderr
    assert "The database is up to date." in stdout
    assert not (directory / "in-file.db").exists()
    engine = create_engine(f"sqlite:///{directory / 'from-env.db'}")
    assert "user_account" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("name", ["help-with-a-bad-config"])
def test_help_still_works_with_a_bad_config_and_names_the_problem_in_one_line(
    broen_runs: dict[str, Any], name: str
) -> None:
    status, stdout, stderr, _ = broen_runs[name]
    assert status == 0
    assert stdout.startswith("Usage: broen")
    assert "init" in stdout
    assert stderr.splitlines() == [stderr.strip()]
    assert stderr.startswith("broen: mail.prot: unknown setting")


@pytest.mark.parametrize("name", ["unreachable-database"])
def test_an_unreachable_database_is_one_line_not_a_traceback(broen_runs: dict[str, Any], name: str) -> None:
    status, _, stderr, _ = broen_runs[name]
    assert status == 1
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("broen: the database cannot be used (connection failed")
    assert "broen.database_url" in stderr
