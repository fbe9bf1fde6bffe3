"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL started here.

Each backend's schema is migrated once per session into a template; each test gets a fresh copy
(a file copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL), so tests never share rows.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from werkzeug.routing.rules import Rule
from werkzeug.test import TestResponse

sys.path.insert(0, str(Path(__file__).parent / "plugins"))

import broen_example

from broen.core import accounts
from broen.core.app import create_app
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.config import load_settings
from broen.core.migrate import upgrade
from broen.core.models import Citizen, Municipality, Role, User
from tests.fixtures.postgres import postgres_server
from tests.fixtures.radicale import Radicale, radicale_server
from tests.fixtures.smtp import mail_to, smtp_server  # noqa: F401  # fixtures for every test module

PASSWORD = "correct horse battery"


def _reuse_url_builders() -> None:
    """Build each URL rule's builder once per test session instead of once per app.

    Every test makes its own app, and Werkzeug compiles a Python function (through `ast` and `compile`)
    for each of the app's ~800 URL rules twice: two thirds of the time it takes to make an app. The
    function depends only on what is in the key below (the rule's parsed parts, its defaults, its
    converters' settings), so equal rules of later apps get the same function. Tests only: production
    makes one app per process.
    """
    original = Rule._compile_builder
    builders: dict[Any, Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        settings = (
            (name, type(c).__qualname__, repr(sorted((a, repr(v)) for a, v in vars(c).items() if a != "map")))
            for name, c in self._converters.items()
        )
        key = (
            tuple(self._trace),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            tuple(sorted(settings)),
            append_unknown,
        )
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_reuse_url_builders()
EXAMPLE_PLUGIN = ("example", broen_example)
_counter = itertools.count()


def make_app(database_url: str, plugins: Any = (EXAMPLE_PLUGIN,), **core: Any) -> Flask:
    """A development-mode app on `database_url`. The tests read English (`default_language="en"`, and
    the world's users chose English); tests/core/test_translations.py checks that Danish is the default."""
    core = {"mode": "development", "secret_key": "x" * 40, "default_language": "en", **core}
    settings = load_settings(
        None,
        overrides={"broen": {"database_url": database_url, **core}},
        environ={},
        read_file=False,
    )
    return create_app(settings, extra_plugins=plugins, testing=True)


def db_of(app: Flask) -> Any:
    """The app's database (`broen.core.db.Database`)."""
    return app.extensions["broen.db"]


def text_of(response: TestResponse) -> str:
    """A page's text as a reader sees it: tags removed (inline ones without a gap), whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(time|strong|span|del)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def radicale() -> Iterator[Radicale]:
    """One Radicale per test session: vobject caches time zones per process (first TZID wins)."""
    with radicale_server() as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "broen.db"
    app = make_app(f"sqlite:///{path}")
    upgrade(app.extensions["broen.db"], app.extensions["broen.plugins"])
    app.extensions["broen.db"].dispose()
    return path


@dataclass
class Demo:
    """A database `broen demo` has filled (a copy per test), and everything logged while it ran."""

    app: Flask
    log: str


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`broen demo` run once per worker, on SQLite with the installed plugins only: the file, and the text of
    every log record of the run (the demo takes seconds; its tests share it through `demo`)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = make_app(f"sqlite:///{path}", plugins=())
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with app.app_context():
            upgrade(app.extensions["broen.db"], app.extensions["broen.plugins"])
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        app.extensions["broen.db"].dispose()
    return path, "\n".join(r.getMessage() + (r.exc_text or "") for r in records)


@pytest.fixture
def demo(demo_template: tuple[Path, str], tmp_path: Path) -> Iterator[Demo]:
    """A copy of the demo database, served by an app of its own (inside its app context)."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_template[0], path)
    app = make_app(f"sqlite:///{path}", plugins=())
    try:
        with app.app_context():
            yield Demo(app, demo_template[1])
    finally:
        app.extensions["broen.db"].dispose()


@pytest.fixture(scope="session")
def pg_template(pg_url: str) -> str:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE broen_template"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/broen_template"
    app = make_app(url)
    upgrade(app.extensions["broen.db"], app.extensions["broen.plugins"])
    app.extensions["broen.db"].dispose()
    return url


def _with_world(url: str) -> None:
    """Build the world (`_make_world`) into the database at `url`, for a template."""
    app = make_app(url)
    with app.app_context():
        _make_world(app)
    app.extensions["broen.db"].dispose()


@pytest.fixture(scope="session")
def sqlite_world_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "broen.db"
    shutil.copy(sqlite_template, path)
    _with_world(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_world_template(pg_url: str, pg_template: str) -> str:
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE broen_world_template TEMPLATE {pg_template.rsplit('/', 1)[1]}"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/broen_world_template"
    _with_world(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database on each backend: empty, or with the world in it already when the test
    uses the `world` fixture (building it takes longer than copying it)."""
    world = "world" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "broen.db"
        shutil.copy(request.getfixturevalue("sqlite_world_template" if world else "sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_world_template" if world else "pg_template")
    with pg_database(request.getfixturevalue("pg_url"), "broen_test", template) as url:
        yield url


@contextmanager
def pg_database(pg_url: str, prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on the session's PostgreSQL server (a copy of `template`'s URL, or empty), dropped
    afterwards; yields its URL."""
    name = f"{prefix}_{next(_counter)}"
    copy = f" TEMPLATE {template.rsplit('/', 1)[1]}" if template else ""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}{copy}"))
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """argon2id with minimal cost: the tests hash hundreds of passwords; production keeps the defaults."""
    from broen.core import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app, not in an app context: each request gets its own, as in production.

    Wrap direct service calls in `with app.app_context():`.
    """
    app = make_app(database_url)
    yield app
    app.extensions["broen.db"].dispose()


@dataclass
class World:
    """Two municipalities with a user in every role, a few citizens, and the example plugin on."""

    municipalities: dict[str, Municipality]
    users: dict[str, User]
    citizens: dict[str, list[int]] = field(default_factory=dict)

    def user(self, slug: str, role: str) -> User:
        return self.users[f"{role}@{slug}"]


@pytest.fixture
def world(app: Flask) -> World:
    """The world, already in the test's database (copied from a template, see `database_url`)."""
    with app.app_context():
        return _load_world(app)


def _load_world(app: Flask) -> World:
    """The `World` that `_make_world` made in this database, read back."""
    db = app.extensions["broen.db"]
    municipalities = {m.slug: m for m in db.session.scalars(select(Municipality))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    world = World(municipalities, {"installation": users["root@broen.example.dk"]})
    for slug, m in municipalities.items():
        for role in Role:
            world.users[f"{role.value}@{slug}"] = users[f"{role.value}@{slug}.example.dk"]
        world.citizens[slug] = list(
            db.session.scalars(select(Citizen.id).where(Citizen.municipality_id == m.id).order_by(Citizen.id))
        )
    return world


def _make_world(app: Flask) -> World:
    db = app.extensions["broen.db"]
    municipalities, users = {}, {}
    for slug, name in (("silkeborg", "Silkeborg Kommune"), ("norddjurs", "Norddjurs Kommune")):
        m = accounts.create_municipality(db, slug, name)
        municipalities[slug] = m
        accounts.set_plugin_enabled(db, m, "example", True)
        for role in Role:
            u = accounts.create_user(
                db,
                f"{role.value}@{slug}.example.dk",
                f"{role.value.title()} {name.split()[0]}",
                PASSWORD,
                language="en",
            )
            accounts.grant_role(db, u, m, role)
            users[f"{role.value}@{slug}"] = u
    users["installation"] = accounts.create_user(
        db, "root@broen.example.dk", "Installation Admin", PASSWORD, language="en", installation_admin=True
    )
    world = World(municipalities, users)
    for slug, m in municipalities.items():
        by = users[f"coordinator@{slug}"]
        world.citizens[slug] = [
            create_citizen(
                db,
                m,
                by,
                CitizenData(
                    name=f"{first} {slug.title()}",
                    contact_person_id=by.id,
                    email=f"{first.lower()}@{slug}.example.dk",
                ),
            ).id
            for first in ("Anna", "Bo", "Carl")
        ]
    return world


class Client(FlaskClient):
    """A test client that logs in and submits forms the way a browser does (with the CSRF token)."""

    def login(self, user: User | str, password: str = PASSWORD) -> TestResponse:
        email = user if isinstance(user, str) else user.email
        return self.submit("/login", {"email": email, "password": password})

    def csrf_token(self, page: str) -> str:
        html = self.get(page).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html
        )
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url: str, data: dict[str, Any], page: str | None = None, **kwargs: Any) -> TestResponse:
        """GET `page` (default: `url`), take its CSRF token, POST `data` to `url`."""
        token = self.csrf_token(page or url)
        return self.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make_client(app: Flask) -> Any:
    def make() -> Client:
        app.test_client_class = Client
        return app.test_client()  # type: ignore[return-value]

    return make


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: green must mean PostgreSQL and the browser ran."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI=true: {len(skipped)} test(s) skipped; every test must run in CI.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
