"""broen's settings: read from TOML, checked against a typed schema, overridable by environment.

A bad setting must say which key is wrong and what was expected, in one line, so that an operator can
fix it without reading a traceback. Every setting is listed, with a comment, in config.example.toml;
a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Secret keys that must never run in production (the example file's placeholder among them).
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "dev", "secret"})
MIN_SECRET_LENGTH = 32

#: Environment variables that override a setting, so secrets need not live in the file.
ENV_OVERRIDES = {
    "BROEN_SECRET_KEY": ("broen", "secret_key"),
    "BROEN_DATABASE_URL": ("broen", "database_url"),
    "BROEN_MAIL_PASSWORD": ("mail", "password"),
}


class ConfigError(click.ClickException):
    """A setting is wrong; the message names the key and what was expected. Exits with status 2."""

    exit_code = 2


@dataclass
class CoreSettings:
    #: "production" or "development"; production refuses a weak secret key and sets Secure cookies.
    mode: str = "production"
    secret_key: str = ""
    database_url: str = "sqlite:///broen.db"
    #: Where people reach broen; used in links in e-mails and calendar subscriptions.
    base_url: str = "http://127.0.0.1:5000"
    default_language: str = "da"
    default_timezone: str = "Europe/Copenhagen"
    #: Log SQL statements (development only).
    echo_sql: bool = False


@dataclass
class SecuritySettings:
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_lockout_minutes: int = 15
    session_lifetime_minutes: int = 480


@dataclass
class MailSettings:
    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "broen@localhost"


@dataclass
class MetricsSettings:
    #: Serve Prometheus metrics at /metrics (no login: let only the scraper reach it at the proxy).
    enabled: bool = False


@dataclass
class Settings:
    broen: CoreSettings = field(default_factory=CoreSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    mail: MailSettings = field(default_factory=MailSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    #: Where the file was read from (None: defaults only); relative SQLite paths are resolved from it.
    source: Path | None = None

    @property
    def is_production(self) -> bool:
        return self.broen.mode == "production"


_SECTIONS = ("broen", "security", "mail", "metrics")
_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _check_value(key: str, value: Any, expected: type) -> Any:
    # bool is a subclass of int in Python; a TOML `true` must not pass as a port number.
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{key}: expected {_TYPE_NAMES[expected]}, got {value!r}")
    return value


def _shown(key: str) -> str:
    """A key as the one-line message names it: quoted if it holds a line break or another control."""
    return key if key.isprintable() else repr(key)


def _build_section(name: str, cls: type[Any], data: Any) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"[{name}]: expected a table of settings, got {data!r}")
    hints = get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{name}.{_shown(key)}: unknown setting (known: {', '.join(known)})")
        values[key] = _check_value(f"{name}.{key}", value, hints[key])
    return cls(**values)


def _resolve_path(path: str | os.PathLike[str] | None, environ: dict[str, str]) -> Path | None:
    if path is None:
        path = environ.get("BROEN_CONFIG") or None
    if path is None:
        default = Path("broen.toml")
        return default if default.exists() else None
    return Path(path)


def load_settings(
    path: str | os.PathLike[str] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: dict[str, str] | None = None,
    *,
    read_file: bool = True,
) -> Settings:
    """Read settings from `path` (or $BROEN_CONFIG, or ./broen.toml), then environment, then overrides.

    `read_file=False` uses the defaults and `overrides` only (tests: a developer's broen.toml stays out).
    """
    environ = dict(os.environ) if environ is None else environ
    source = _resolve_path(path, environ) if read_file else None
    data: dict[str, Any] = {}
    if source is not None:
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"{source}: no such configuration file (expected a TOML file; 'broen init' writes one)"
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"{source}: expected a readable configuration file ({exc.strerror or exc})"
            ) from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{source}: expected a UTF-8 text file ({exc.reason} at byte {exc.start})"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    # The file's shape is checked before the environment and overrides are merged into its sections.
    for key, value in data.items():
        if key in _SECTIONS and not isinstance(value, dict):
            raise ConfigError(f"[{key}]: expected a table of settings, got {value!r}")
        if not isinstance(value, dict):
            raise ConfigError(
                f"{_shown(key)}: a setting outside any section; expected it under one of "
                f"{', '.join(f'[{s}]' for s in _SECTIONS)}"
            )
        if key not in _SECTIONS:
            raise ConfigError(f"[{_shown(key)}]: unknown section (known: {', '.join(_SECTIONS)})")
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    for var, (section, key) in ENV_OVERRIDES.items():
        if environ.get(var):
            data.setdefault(section, {})[key] = environ[var]
    settings = Settings(
        broen=_build_section("broen", CoreSettings, data.get("broen", {})),
        security=_build_section("security", SecuritySettings, data.get("security", {})),
        mail=_build_section("mail", MailSettings, data.get("mail", {})),
        metrics=_build_section("metrics", MetricsSettings, data.get("metrics", {})),
        source=source,
    )
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    core = settings.broen
    if core.mode not in ("production", "development"):
        raise ConfigError(f"broen.mode: expected 'production' or 'development', got {core.mode!r}")
    if core.default_language not in ("da", "en"):
        raise ConfigError(f"broen.default_language: expected 'da' or 'en', got {core.default_language!r}")
    try:
        ZoneInfo(core.default_timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. "Europe" (a folder), a too long name
        raise ConfigError(
            f"broen.default_timezone: expected an IANA time zone such as 'Europe/Copenhagen', "
            f"got {core.default_timezone!r}"
        ) from None
    core.database_url = _check_database_url(core.database_url, settings.source)
    sec = settings.security
    for name in (
        "login_max_failures_per_account",
        "login_max_failures_per_address",
        "login_lockout_minutes",
        "session_lifetime_minutes",
    ):
        if getattr(sec, name) < 1:
            raise ConfigError(f"security.{name}: expected a whole number of at least 1")
    if not 0 < settings.mail.port < 65536:
        raise ConfigError(f"mail.port: expected a port number 1-65535, got {settings.mail.port}")
    if settings.is_production and (
        core.secret_key in PLACEHOLDER_SECRETS or len(core.secret_key) < MIN_SECRET_LENGTH
    ):
        raise ConfigError(
            f"broen.secret_key: production mode needs a random secret of at least {MIN_SECRET_LENGTH} "
            "characters (run 'broen init', or set BROEN_SECRET_KEY)"
        )


def _check_database_url(url: str, source: Path | None) -> str:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError(
            f"broen.database_url: expected a URL such as 'sqlite:///broen.db' or "
            f"'postgresql+psycopg://user@host/db', got {url!r}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"broen.database_url: expected a sqlite or postgresql URL, got the {backend!r} backend"
        )
    if backend == "postgresql" and parsed.drivername not in ("postgresql", "postgresql+psycopg"):
        raise ConfigError(
            f"broen.database_url: use the psycopg driver ('postgresql+psycopg://...'), "
            f"got {parsed.drivername!r}"
        )
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite"):
        raise ConfigError(f"broen.database_url: use 'sqlite:///...' for SQLite, got {parsed.drivername!r}")
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("uri") == "true":
        return url
    # A relative SQLite path is relative to the configuration file, not to the working directory.
    base = source.parent if source is not None else Path.cwd()
    try:
        path = (base / database).resolve()
        exists = path.parent.is_dir()
    except (OSError, ValueError):  # a name too long for the file system; a NUL character
        raise ConfigError(
            f"broen.database_url: expected the path of a SQLite file, got {database[:80]!r}"
        ) from None
    if not exists:
        raise ConfigError(
            f"broen.database_url: expected a SQLite file in an existing directory, but {path.parent} "
            "does not exist"
        )
    return parsed.set(database=str(path)).render_as_string()
