"""The calendar version of a municipality moves with every flushed change to calendar data, and only then.

Feeds are cached under these versions (broen/calendar/cache.py), so a change that does not bump its
municipality's version would leave calendar apps with stale feeds, and a bump lost between two
concurrent writers would do the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import load_only

from broen.calendar.versions import CalendarVersion, touch
from broen.core import accounts
from broen.core.db import Database
from broen.core.models import AuditEntry, Municipality, PluginState
from tests.crowd import all_at_once


def db_of(app: Flask) -> Database:
    database: Database = app.extensions["broen.db"]
    return database


def version(app: Flask, municipality_id: int) -> tuple[int, datetime] | None:
    """(version, changed_at) as committed, read on a connection of its own; None if there is no row."""
    with db_of(app).engine.connect() as connection:
        row = connection.execute(
            select(CalendarVersion.version, CalendarVersion.changed_at).where(
                CalendarVersion.municipality_id == municipality_id
            )
        ).one_or_none()
    return None if row is None else (row.version, row.changed_at)


def number(app: Flask, municipality_id: int) -> int:
    found = version(app, municipality_id)
    return 0 if found is None else found[0]


def municipality(app: Flask, slug: str) -> int:
    with app.app_context():
        return accounts.create_municipality(db_of(app), slug, slug.title()).id


def test_insert_update_and_delete_each_bump_once_and_the_row_is_made_on_first_use(app: Flask) -> None:
    m = municipality(app, "aarhus")
    assert version(app, m) is None  # a municipality without calendar data has no row yet
    db = db_of(app)
    with app.app_context():
        state = PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={})
        db.session.add(state)
        db.session.commit()
        assert number(app, m) == 1
        state.enabled = False
        db.session.commit()
        assert number(app, m) == 2
        db.session.delete(state)
        db.session.commit()
        assert number(app, m) == 3


def test_a_row_given_its_municipality_as_an_object_bumps_it(app: Flask) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    with app.app_context():
        town = db.session.get_one(Municipality, m)
        db.session.add(PluginState(municipality=town, plugin="cafe", enabled=True, settings={}))
        db.session.commit()
    assert number(app, m) == 1


def test_a_flush_that_changes_nothing_of_the_calendar_bumps_nothing(app: Flask) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    with app.app_context():
        state = PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={})
        db.session.add(state)
        db.session.commit()
        before = version(app, m)
        state.enabled = True  # the value it has
        state.plugin = "cafe"
        db.session.commit()
        # Rows that are not calendar data: the municipality itself, an audit entry.
        db.session.get_one(Municipality, m).name = "Aarhus Kommune"
        db.session.add(
            AuditEntry(action="view", object_type="x", object_id=1, municipality_id=m, user_name="-")
        )
        db.session.commit()
        db.session.flush()  # nothing at all to flush
        assert version(app, m) == before


def test_a_rolled_back_change_leaves_the_version_as_it_was(app: Flask) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    with app.app_context():
        db.session.add(PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={}))
        db.session.flush()
        db.session.rollback()
    assert version(app, m) is None


def test_one_flush_bumps_each_municipality_it_touches_once_and_a_moved_row_bumps_both(app: Flask) -> None:
    a, b, c = municipality(app, "aarhus"), municipality(app, "billund"), municipality(app, "odder")
    db = db_of(app)
    with app.app_context():
        rows = [
            PluginState(municipality_id=m, plugin=p, enabled=True, settings={}) for m in (a, b) for p in "xy"
        ]
        db.session.add_all(rows)
        db.session.commit()
        assert (number(app, a), number(app, b), number(app, c)) == (1, 1, 0)
        rows[0].municipality_id = c  # moved from Aarhus to Odder
        db.session.commit()
        assert (number(app, a), number(app, b), number(app, c)) == (2, 1, 1)


def test_deleting_a_row_whose_municipality_was_never_loaded_still_bumps(app: Flask) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    with app.app_context():
        db.session.add(PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={}))
        db.session.commit()
        db.session.expunge_all()
        state = db.session.scalars(select(PluginState).options(load_only(PluginState.id))).one()
        db.session.delete(state)
        db.session.commit()
    assert number(app, m) == 2


def test_bulk_statements_bump_through_touch(app: Flask) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    with app.app_context():
        db.session.add(PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={}))
        db.session.commit()
        db.session.execute(update(PluginState).values(enabled=False))  # no flush, no bump ...
        touch(db.session.connection(), {m})  # ... so the code that does this bumps itself
        db.session.commit()
    assert number(app, m) == 2


def test_changed_at_is_whole_seconds_and_moves_on_with_every_bump_even_within_one_second(
    app: Flask,
) -> None:
    m = municipality(app, "aarhus")
    db = db_of(app)
    seen = []
    began = datetime.now(UTC)
    with app.app_context():
        state = PluginState(municipality_id=m, plugin="cafe", enabled=True, settings={})
        db.session.add(state)
        db.session.commit()
        for _ in range(3):
            state.enabled = not state.enabled
            db.session.commit()
            found = version(app, m)
            assert found is not None
            seen.append(found[1])
    assert all(moment.microsecond == 0 for moment in seen)
    # A client holding the Last-Modified of one answer sees a later one after every change.
    assert all(later >= earlier + timedelta(seconds=1) for earlier, later in itertools.pairwise(seen))
    assert seen[0] >= began.replace(microsecond=0)


def test_concurrent_writers_lose_no_bump_even_on_the_rows_first_use(app: Flask) -> None:
    """Twelve transactions on separate connections insert calendar rows of one municipality at once (the
    first of them makes its version row): every one of them is counted."""
    m = municipality(app, "aarhus")
    db = db_of(app)
    writers = 12

    def write(n: int, go: Callable[[], None]) -> None:
        try:
            go()
            db.session.add(PluginState(municipality_id=m, plugin=f"p{n}", enabled=True, settings={}))
            db.session.commit()
        finally:
            db.session.remove()

    assert not all_at_once(write, range(writers))
    assert number(app, m) == writers


def test_concurrent_updates_of_one_municipality_lose_no_bump(app: Flask) -> None:
    """The same with changes to existing rows (each writer its own row)."""
    m = municipality(app, "aarhus")
    db = db_of(app)
    writers = 10
    with app.app_context():
        ids = []
        for n in range(writers):
            row = PluginState(municipality_id=m, plugin=f"p{n}", enabled=True, settings={})
            db.session.add(row)
            db.session.commit()
            ids.append(row.id)
    before = number(app, m)

    def write(row_id: int, go: Callable[[], None]) -> None:
        try:
            go()
            if db.engine.dialect.name == "sqlite":
                # SQLite: take the write lock first (a read that later wants to write can deadlock).
                db.session.execute(update(PluginState).where(PluginState.id == -1).values(enabled=False))
            db.session.get_one(PluginState, row_id).enabled = False
            db.session.commit()
        finally:
            db.session.remove()

    assert not all_at_once(write, ids)
    assert number(app, m) == before + writers
