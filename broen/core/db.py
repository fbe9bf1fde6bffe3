"""The database: one declarative Base for the core and every plugin, an engine and a scoped session.

Plugins define their models on `Base` (tables prefixed with the plugin's name) and get the session from
`db.session`; the same session serves views, services, the CLI and Flask-Admin (which wants an object
with a `.session`, which `Database` is).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Tables a plugin's migration makes that no model describes (a full-text index: SQLite's FTS5 table and its
#: shadow tables `<name>_data`, `<name>_idx`...). A plugin adds their names at import; schema comparisons
#: (Alembic's autogenerate, `alembic check`, the migration tests) leave them and their `<name>_*` alone.
UNMANAGED_TABLES: set[str] = Base.metadata.info.setdefault("unmanaged_tables", set())


def is_unmanaged_table(name: str) -> bool:
    return any(name == t or name.startswith(f"{t}_") for t in UNMANAGED_TABLES)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: every reflected name but the unmanaged tables'."""
    return not (type_ == "table" and name is not None and is_unmanaged_table(name))


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware.

    SQLite has no time zones, so a naive value read back would silently be "floating"; this type makes
    every stored instant unambiguous on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: broen stores only time-zone aware instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # SQLite's own lower() knows A-Z only: "Århus" would stay "Århus" and not match "århus" as it does on
    # PostgreSQL. Python's knows every letter.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


class Database:
    """The engine and the session factory of one app."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if make_url(url).get_backend_name() == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
            # A database host that does not answer fails a request (and /readyz) in 5 s, not the driver's
            # minutes; a connect_timeout in the URL's query wins.
            if (
                make_url(url).get_backend_name() == "postgresql"
                and "connect_timeout" not in make_url(url).query
            ):
                kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(bind=self.engine, expire_on_commit=False)
        )

    def remove(self, exc: BaseException | None = None) -> None:
        self.session.remove()

    def dispose(self) -> None:
        self.session.remove()
        self.engine.dispose()


def lock_row(db: Database, model: Any, row_id: int) -> None:
    """Lock one row for the rest of the transaction, so that code which counts and then writes (seats on a
    course, places with a mentor) runs for that row one transaction at a time.

    PostgreSQL: `SELECT ... FOR UPDATE` of the row. SQLite locks the whole database, not rows: an `UPDATE`
    that changes nothing takes its write lock (waiting up to the busy timeout). Call it as the
    transaction's first statement, before anything is read that the decision depends on.
    """
    key = model.__mapper__.primary_key[0]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(key).where(key == row_id).with_for_update())
    else:
        db.session.execute(
            update(model).where(key == row_id).values({key.name: key}),
            execution_options={"synchronize_session": False},
        )


def current_db() -> Database:
    """The current app's database (`current_db().session` is the request's session)."""
    database: Database = current_app.extensions["broen.db"]
    return database
