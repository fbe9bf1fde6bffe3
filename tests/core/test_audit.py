"""The audit log's helpers: `record_each` writes one entry per record a page showed, in one statement."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from broen.core import audit
from broen.core.models import AuditEntry
from tests.conftest import World, db_of
from tests.sqlcount import count_statements


def test_record_each_writes_one_entry_per_record_in_one_statement(app: Flask, world: World) -> None:
    coordinator = world.user("silkeborg", "coordinator")
    silkeborg = world.municipalities["silkeborg"]
    with app.app_context():
        db = db_of(app)
        ids = world.citizens["silkeborg"]
        assert len(ids) >= 3
        with count_statements(app) as seen:
            n = audit.record_each(
                db,
                audit.VIEW,
                "citizen",
                [*ids, ids[0]],
                by=coordinator,
                municipality_id=silkeborg.id,
                what="x",
            )
        db.session.commit()
        assert n == len(ids)  # the repeated id is written once
        assert len(seen) == 1
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.details["what"].as_string() == "x")
        ).all()
        assert sorted(e.object_id for e in entries) == sorted(ids)
        assert {(e.user_id, e.user_name, e.municipality_id, e.action) for e in entries} == {
            (coordinator.id, coordinator.name, silkeborg.id, "view")
        }
        assert all(e.at is not None for e in entries)
        assert audit.record_each(db, audit.VIEW, "citizen", []) == 0
