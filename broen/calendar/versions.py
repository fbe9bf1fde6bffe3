"""The calendar version of each municipality: a counter that moves with every change to calendar data.

A feed is cached under a key made from the versions of the municipalities it draws on, so one cheap
indexed read tells any process whether its cached copy is current (and gives the ETag without building
the feed). Nobody has to remember to bump it: a model that feeds calendars inherits `CalendarSource`, and
every flush that inserts, changes or deletes such a row bumps its municipality's version in the same
transaction. (Bulk `update()`/`delete()` statements bypass the ORM's flush: code that changes calendar
rows that way calls `touch` itself.)

Importing this module installs the flush listener; it imports nothing of the core but the database layer,
so the core's own models can inherit `CalendarSource`.
"""

from __future__ import annotations

from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import ForeignKey, Integer, event, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from broen.core.db import Base, UTCDateTime, utcnow


class CalendarSource:
    """Mixin for a model (with `municipality_id`) whose rows end up in calendar feeds: a flush that adds,
    changes or deletes one bumps its municipality's calendar version."""


class CalendarVersion(Base):
    """How many times the calendar data of a municipality has changed, and when it last did."""

    __tablename__ = "calendar_version"

    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def touch(connection: Connection, municipality_ids: set[int]) -> None:
    """Bump the calendar version of these municipalities (creating their rows the first time)."""
    if not municipality_ids:
        return
    bump = (
        update(CalendarVersion)
        .where(CalendarVersion.municipality_id.in_(municipality_ids))
        .values(version=CalendarVersion.version + 1, changed_at=utcnow())
    )
    if connection.execute(bump).rowcount == len(municipality_ids):
        return
    # First change in a municipality: make its row (another transaction may be doing the same: on
    # conflict nothing happens, and the second bump below counts this change all the same).
    rows = [{"municipality_id": m, "version": 0, "changed_at": utcnow()} for m in municipality_ids]
    dialect = connection.dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(CalendarVersion).values(rows).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(CalendarVersion).values(rows).on_conflict_do_nothing()
    else:  # pragma: no cover - broen runs on SQLite and PostgreSQL
        stmt = insert(CalendarVersion).values(rows)
    connection.execute(stmt)
    connection.execute(bump)


@event.listens_for(Session, "after_flush")
def _bump(session: Session, flush_context: Any) -> None:
    # After the flush, `new`/`dirty`/`deleted` and attribute history still show what was flushed, and
    # new rows have their keys: every municipality whose calendar data this flush changed.
    touched: set[int] = {
        obj.municipality_id  # type: ignore[attr-defined]  # every CalendarSource has one
        for obj in chain(session.new, session.deleted, session.dirty)
        if isinstance(obj, CalendarSource) and (obj not in session.dirty or session.is_modified(obj))
    }
    touched.discard(None)  # a row that has no municipality yet
    if touched:
        touch(session.connection(), touched)


__all__ = ["CalendarSource", "CalendarVersion", "touch"]
