"""The calendar version of each municipality: a counter that moves with every change to calendar data.

A feed is cached under a key made from the versions of the municipalities it draws on, so one cheap
indexed read tells any process whether its cached copy is current (and gives the ETag without building
the feed). Nobody has to remember to bump it: a model that feeds calendars inherits `CalendarSource`, and
every flush that inserts, changes or deletes such a row bumps its municipality's version in the same
transaction (a row that moves to another municipality bumps both). A flush that changes nothing bumps
nothing. (Bulk `update()`/`delete()` statements bypass the ORM's flush: code that changes calendar rows
that way calls `touch` itself.)

The bump is one statement, an upsert: the first change in a municipality makes its row. Concurrent
writers do not lose bumps: on PostgreSQL the upsert locks the row until the transaction ends (a second
writer waits, then adds its own one), on SQLite the writer holds the database's write lock. So on
PostgreSQL a transaction that changed calendar data holds its municipality's version row until it ends:
keep such transactions short. Rows are bumped in the order of their ids, so two transactions that touch
the same two municipalities cannot deadlock on them.

`changed_at` is the feeds' Last-Modified. HTTP dates have whole seconds, so it is kept in whole seconds
and every bump moves it on by at least one: max(now, previous + 1 s). A client that kept the
Last-Modified of an earlier answer therefore always sees a later one after a change, even a change in
the same second. In a burst of changes it may run a few seconds ahead of the clock; feeds never send a
Last-Modified later than the response's own date (see `broen.calendar.cache`).

Importing this module installs the flush listener; it imports nothing of the core but the database
layer, so the core's own models can inherit `CalendarSource`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import chain
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Integer, case, event, func, inspect, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from broen.core.db import Base, UTCDateTime, utcnow


class CalendarSource:
    """Mixin for a model (with `municipality_id`) whose rows end up in calendar feeds: a flush that adds,
    changes or deletes one bumps its municipality's calendar version."""

    #: Whether the municipality's public feeds show these rows. A model only personal feeds draw on (a
    #: sign-up, a mentor's meeting) sets it False: changing its rows then leaves the public version alone,
    #: so a sign-up does not make every subscriber of the public calendar fetch it anew.
    shown_publicly: ClassVar[bool] = True


class CalendarVersion(Base):
    """How many times the calendar data of a municipality has changed, and when it last did."""

    __tablename__ = "calendar_version"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The same, counting only changes of rows the public feeds show (`CalendarSource.shown_publicly`).
    public_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    public_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


_table = CalendarVersion.__table__
#: SQLAlchemy's storage format for datetimes on SQLite (text that sorts as time does).
_SQLITE_SECOND = "%Y-%m-%d %H:%M:%S.000000"


def _next_changed_at(dialect: str, now: datetime, column: Any) -> ColumnElement[Any]:
    """max(now, `column` + 1 s) (just now while `column` is NULL), as SQL for the upsert's UPDATE branch."""
    if dialect == "postgresql":
        return func.greatest(literal(now, UTCDateTime), column + literal(timedelta(seconds=1)))
    return func.max(
        literal(now, UTCDateTime),
        func.coalesce(func.strftime(_SQLITE_SECOND, column, "+1 second"), literal(now, UTCDateTime)),
    )


def touch(connection: Connection, municipality_ids: set[int], public_ids: set[int] | None = None) -> None:
    """Bump the calendar version of these municipalities (making their rows the first time), and the public
    version of `public_ids` among them (all of them unless said)."""
    if not municipality_ids:
        return
    public = municipality_ids if public_ids is None else public_ids
    now = utcnow().replace(microsecond=0)
    rows = [
        {
            "municipality_id": m,
            "version": 1,
            "changed_at": now,
            "public_version": int(m in public),
            "public_changed_at": now if m in public else None,
        }
        for m in sorted(municipality_ids)
    ]
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - broen runs on these two
        raise NotImplementedError(f"calendar versions need PostgreSQL or SQLite, not {dialect}")
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(CalendarVersion).values(rows)
    bumped = stmt.excluded.public_version > 0
    stmt = stmt.on_conflict_do_update(
        index_elements=[_table.c.municipality_id],
        set_={
            "version": _table.c.version + 1,
            "changed_at": _next_changed_at(dialect, now, _table.c.changed_at),
            "public_version": _table.c.public_version + stmt.excluded.public_version,
            "public_changed_at": case(
                (bumped, _next_changed_at(dialect, now, _table.c.public_changed_at)),
                else_=_table.c.public_changed_at,
            ),
        },
    )
    connection.execute(stmt)


def _municipality_ids(obj: object) -> set[int]:
    """The municipality a row is in, and the one it was in if this flush moved it (without loading)."""
    history = inspect(obj).attrs.municipality_id.history
    return {m for m in chain(history.added, history.unchanged, history.deleted) if m is not None}


@event.listens_for(Session, "after_flush")
def _bump(session: Session, flush_context: Any) -> None:
    # After the flush, `new`/`dirty`/`deleted` and attribute history still show what was flushed, and
    # new rows have their keys: every municipality whose calendar data this flush changed.
    touched: set[int] = set()
    public: set[int] = set()
    for obj in chain(session.new, session.deleted, session.dirty):
        if not isinstance(obj, CalendarSource):
            continue
        if obj in session.dirty and obj not in session.deleted and not session.is_modified(obj):
            continue  # attributes were set to the values they had: nothing was written
        ids = _municipality_ids(obj)
        touched |= ids
        if obj.shown_publicly:
            public |= ids
    if touched:
        touch(session.connection(), touched, public)


__all__ = ["CalendarSource", "CalendarVersion", "touch"]
