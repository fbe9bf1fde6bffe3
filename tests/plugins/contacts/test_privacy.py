"""The contacts plugin's part of a citizen's data export and erasure: the export holds every contact (with
its note), the rhythm and every WHO-5 measurement; after the erasure no row of the plugin holds the
citizen's name, e-mail or phone, the contacts and the rhythm are gone, and the WHO-5 measurements remain as
anonymous numbers. Another citizen's rows are untouched."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from broen import api
from broen.core import privacy
from broen.core.models import Citizen
from broen.plugins.contacts import services
from broen.plugins.contacts.models import Contact, Rhythm, Who5
from tests.conftest import World, db_of
from tests.privacy_scan import stored_texts

BOTH = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
PHONE = "+45 61 23 45 67"


def _texts_of_plugin(db: api.Database) -> str:
    return stored_texts(db, "contacts_")


@BOTH
def test_the_export_holds_everything_and_the_erasure_keeps_only_anonymous_who5(
    app: Flask, contacts_world: World
) -> None:
    w = contacts_world
    anna_id, bo_id = w.citizens["silkeborg"][:2]
    with app.app_context():
        db = db_of(app)
        db.session.execute(update(Citizen).where(Citizen.id == anna_id).values(phone=PHONE))
        db.session.commit()
        anna, bo = db.session.get_one(Citizen, anna_id), db.session.get_one(Citizen, bo_id)
        secret = f"{anna.name}, {anna.email}, {PHONE}"
        coordinator = db.session.get_one(api.User, w.user("silkeborg", "coordinator").id)
        today = api.local_today(anna.municipality)
        for citizen, note in ((anna, secret), (bo, "Bo is doing well")):
            services.log_contact(
                db,
                citizen,
                coordinator,
                services.ContactData(on=today, form="meeting", initiative="citizen", note=note),
            )
            services.record_who5(db, citizen, coordinator, today - timedelta(days=90), [1, 2, 2, 3, 1])
        services.record_who5(db, anna, coordinator, today, [4, 4, 3, 5, 4])
        weeks = services.rhythm_choices(services.minimum_days(anna.municipality))[0]
        services.set_rhythm(db, anna, coordinator, weeks)

        parts = {p.source: p for p in privacy.citizen_parts(db, app.extensions["broen.plugins"], anna)}
        sections = {s.key: s.records for s in parts["contacts"].sections}
        json.dumps(sections)  # JSON-able as it is
        assert {key: len(records) for key, records in sections.items()} == {
            "contacts": 1,
            "rhythm": 1,
            "who5": 2,
        }
        assert sections["contacts"][0] | {"id": 0, "created_at": "", "updated_at": ""} == {
            "id": 0,
            "on": today.isoformat(),
            "form": "meeting",
            "initiative": "citizen",
            "note": secret,
            "by": coordinator.name,
            "created_at": "",
            "updated_at": "",
        }
        assert sections["rhythm"][0]["weeks"] == weeks
        assert sections["rhythm"][0]["set_by"] == coordinator.name
        assert [(r["on"], r["item4"], r["score"], r["by"]) for r in sections["who5"]] == [
            ((today - timedelta(days=90)).isoformat(), 3, 36, coordinator.name),
            (today.isoformat(), 5, 80, coordinator.name),
        ]

    with app.test_request_context():
        db = db_of(app)
        anna = db.session.get_one(Citizen, anna_id)
        admin = db.session.get_one(api.User, w.user("silkeborg", "admin").id)
        counts = privacy.erase_citizen(db, app.extensions["broen.plugins"], anna, admin)
        assert counts["contacts"] == 4

    with app.app_context():
        db = db_of(app)
        texts = _texts_of_plugin(db)
        assert "Bo is doing well" in texts  # another citizen's note stays
        for value in ("Anna Silkeborg", "anna@silkeborg.example.dk", PHONE):
            assert value not in texts
        assert db.session.scalars(select(Contact.citizen_id)).all() == [bo_id]
        assert db.session.scalars(select(Rhythm.id)).all() == []
        kept = db.session.execute(
            select(Who5.citizen_id, Who5.on, Who5.item1, Who5.item2, Who5.item3, Who5.item4, Who5.item5)
            .add_columns(Who5.score, Who5.by_id)
            .order_by(Who5.citizen_id, Who5.on)
        ).all()
        old = today - timedelta(days=90)
        assert [tuple(r) for r in kept] == [
            (anna_id, old, 1, 2, 2, 3, 1, 36, None),
            (anna_id, today, 4, 4, 3, 5, 4, 80, None),
            (bo_id, old, 1, 2, 2, 3, 1, 36, coordinator.id),
        ]
        assert isinstance(kept[0][1], date)
        # Nothing left to export but the anonymous measurements.
        again = {
            s.key: len(s.records)
            for p in privacy.citizen_parts(
                db, app.extensions["broen.plugins"], db.session.get_one(Citizen, anna_id)
            )
            if p.source == "contacts"
            for s in p.sections
        }
        assert again == {"contacts": 0, "rhythm": 0, "who5": 2}
