"""The municipality's own fields in a citizen's data export and erasure, and the values of records another
plugin deletes: the export (/data.json) has every value of the citizen's fields, archived and sensitive ones
too, even with the plugin turned off; the erasure deletes them and leaves no trace of the citizen's name,
e-mail or phone, while another citizen's values stay; `api.records_deleted` deletes the values of those
records of that target in that municipality only."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from broen import api
from broen.core import accounts, privacy
from broen.core.models import Citizen
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from tests.conftest import World, db_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    count_rows,
    fields_world_with,
    logged_in,
    put_values,
)
from tests.privacy_scan import person, stored_texts

SLUG = "norddjurs"
REFERRAL = "relatives_referral"
CHOICES = [
    {"value": "kontanthjaelp", "da": "Kontanthjælp", "en": "Cash benefit"},
    {"value": "sygedagpenge", "da": "Sygedagpenge", "en": "Sickness benefit"},
    {"value": "ingen", "da": "Ingen", "en": "None"},
]
fields_world = fields_world_with("relatives")


def _texts(app: Flask) -> str:
    with app.app_context():
        return stored_texts(db_of(app), "municipal_fields_")


def test_the_export_has_the_citizens_values_and_the_erasure_deletes_them(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    citizen_id, name, email, phone = person(app, fields_world, SLUG, 0, "+45 12 34 56 78")
    other_id, other_name, other_email, other_phone = person(app, fields_world, SLUG, 1, "+45 87 65 43 21")
    add_field(app, fields_world, "citizen", "notes", FieldType.LONG_TEXT, slug=SLUG)
    add_field(app, fields_world, "citizen", "benefits", FieldType.CHOICES, slug=SLUG, choices=CHOICES)
    add_field(app, fields_world, "citizen", "private_mail", FieldType.EMAIL, slug=SLUG, sensitive=True)
    add_field(app, fields_world, "citizen", "started", FieldType.DATE, slug=SLUG)
    old = add_field(app, fields_world, "citizen", "old_phone", FieldType.PHONE, slug=SLUG)
    add_field(app, fields_world, REFERRAL, "case", slug=SLUG)
    people = {citizen_id: (name, email, phone), other_id: (other_name, other_email, other_phone)}
    ids = list(people)

    def of(n: int, i: int) -> str:
        return people[ids[n]][i]

    put_values(
        app,
        fields_world,
        "citizen",
        ids,
        {
            "notes": lambda n: f"{of(n, 0)} wrote from {of(n, 1)}, call {of(n, 2)}",
            "benefits": lambda n: ["kontanthjaelp", "sygedagpenge"],
            "private_mail": lambda n: of(n, 1),
            "started": lambda n: "2026-02-01",
            "old_phone": lambda n: of(n, 2),
        },
        slug=SLUG,
    )
    put_values(app, fields_world, REFERRAL, [citizen_id], {"case": lambda n: "K-1"}, slug=SLUG)
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get_one(FieldDefinition, old), None)
        # Turned off, the plugin keeps its values: they are still exported and erased.
        accounts.set_plugin_enabled(db, fields_world.municipalities[SLUG], "municipal_fields", False)

    admin = logged_in(make_client, fields_world, "admin", SLUG)
    exported = admin.get(f"/{SLUG}/citizens/{citizen_id}/data.json").get_json()
    records = exported["parts"]["municipal_fields"]["citizen_fields"]
    assert [r["field"] for r in records] == ["notes", "benefits", "private_mail", "started", "old_phone"]
    notes, benefits, private_mail, started, old_phone = records
    assert notes["value"] == f"{name} wrote from {email}, call {phone}" and notes["type"] == "long_text"
    assert benefits["value"] == ["kontanthjaelp", "sygedagpenge"]
    assert [c["en"] for c in benefits["choices"]] == ["Cash benefit", "Sickness benefit"]
    assert private_mail["value"] == email and private_mail["sensitive"] is True
    assert started["value"] == "2026-02-01" and started["label_en"] == "Started"
    assert old_phone["value"] == phone and old_phone["archived"] is True

    with app.test_request_context():
        db = db_of(app)
        citizen = db.session.get_one(Citizen, citizen_id)
        privacy.erase_citizen(db, app.extensions["broen.plugins"], citizen, fields_world.user(SLUG, "admin"))

    texts = _texts(app)
    for gone in (name, email, phone):
        assert gone not in texts
    assert other_name in texts and other_email in texts and other_phone in texts
    assert count_rows(app, FieldValue, FieldValue.record_id == other_id) == 6
    # Only the citizen's own record's values went: the referral numbered as the citizen keeps its value.
    assert count_rows(app, FieldValue, FieldValue.record_id == citizen_id) == 1


def _values(app: Flask, slug: str, target: str) -> set[int]:
    with app.app_context():
        return set(
            db_of(app).session.scalars(
                select(FieldValue.record_id)
                .join(FieldDefinition, FieldDefinition.id == FieldValue.field_id)
                .where(
                    FieldDefinition.target == target,
                    FieldValue.municipality_id.in_(
                        select(api.Municipality.id).where(api.Municipality.slug == slug)
                    ),
                )
            )
        )


@SQLITE_ONLY
def test_deleted_records_lose_their_values_in_their_municipality_and_target_only(
    app: Flask, fields_world: World
) -> None:
    records = list(range(1, 1201))  # more than one chunk
    for slug in ("norddjurs", "silkeborg"):
        add_field(app, fields_world, REFERRAL, "case", slug=slug)
        add_field(app, fields_world, "citizen", "case", slug=slug)
        put_values(app, fields_world, REFERRAL, records, {"case": lambda n: f"K-{n}"}, slug=slug)
        put_values(app, fields_world, "citizen", records[:3], {"case": lambda n: f"C-{n}"}, slug=slug)
    with app.test_request_context():
        api.records_deleted(fields_world.municipalities[SLUG], REFERRAL, records[:1100])
        db_of(app).session.commit()
    assert _values(app, SLUG, REFERRAL) == set(records[1100:])
    assert _values(app, "silkeborg", REFERRAL) == set(records)
    assert _values(app, SLUG, "citizen") == _values(app, "silkeborg", "citizen") == {1, 2, 3}
