"""Deleting an archived field's values for good, as a municipality's admin does it: a confirmation that says
how many values of how many records go, nothing deleted before it is confirmed (or when the number changed
meanwhile), the values and the field deleted together with one audit entry that holds no value, the key
free again; an active field refused, another municipality's field not found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core.models import AuditEntry
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.test_definitions import BASE, add, logged_in

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CHOICES = [
    {"value": "kontanthjaelp", "da": "Kontanthjælp", "en": "Cash benefit"},
    {"value": "sygedagpenge", "da": "Sygedagpenge", "en": "Sickness benefit"},
]


def store(
    app: Flask, world: World, field_id: int, values: list[tuple[int, str]], slug: str = "silkeborg"
) -> None:
    """Values of a field, as rows (record id, canonical text)."""
    with app.app_context():
        db = db_of(app)
        for record_id, value in values:
            db.session.add(
                FieldValue(
                    municipality_id=world.municipalities[slug].id,
                    field_id=field_id,
                    record_id=record_id,
                    value=value,
                )
            )
        db.session.commit()


def archive(app: Flask, field_id: int) -> None:
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get_one(FieldDefinition, field_id), None)


def value_rows(app: Flask, field_id: int | None = None) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(FieldValue)
        if field_id is not None:
            stmt = stmt.where(FieldValue.field_id == field_id)
        return int(db_of(app).session.scalar(stmt))


def test_purging_asks_with_the_count_then_deletes_values_and_field_with_one_audit_entry(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "benefits", FieldType.CHOICES, label_en="Benefits", choices=CHOICES)
    other = add(app, fields_world, "notes")
    citizens = fields_world.citizens["silkeborg"]
    store(
        app,
        fields_world,
        field_id,
        [(citizens[0], "kontanthjaelp"), (citizens[0], "sygedagpenge"), (citizens[1], "kontanthjaelp")],
    )
    store(app, fields_world, other, [(citizens[0], "Stays")])
    archive(app, field_id)
    client = logged_in(make_client, fields_world)
    index = text_of(client.get(f"{BASE}/"))
    assert "Benefits ( benefits , Several choices) · Restore Benefits · Delete values for good" in index
    url = f"{BASE}/{field_id}/purge"
    page = text_of(client.get(url))
    assert "Delete the values of the field Benefits for good?" in page
    assert "The chosen values of 2 records will be deleted (3 values in all)." in page
    assert "This cannot be undone." in page and "kontanthjaelp" not in page
    # Looking, or a POST without the form's token, deletes nothing.
    assert client.post(url, data={"seen": "3"}).status_code == 400
    assert value_rows(app, field_id) == 3
    response = client.submit(url, {"seen": "3"})
    assert response.status_code == 302
    assert "The field is deleted, with its 3 values." in text_of(client.get(response.location))
    assert value_rows(app, field_id) == 0 and value_rows(app) == 1  # the other field's value stays
    with app.app_context():
        db = db_of(app)
        assert db.session.get(FieldDefinition, field_id) is None
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "municipal_fields_field", AuditEntry.object_id == field_id
            )
        ).all()
        assert entries[-1].action == "delete" and entries[-1].details == {
            "what": "municipal_fields_purge",
            "target": "citizen",
            "key": "benefits",
            "values": 3,
            "records": 2,
        }
        trail = json.dumps([e.details for e in db.session.scalars(select(AuditEntry))])
        assert "kontanthjaelp" not in trail and "Stays" not in trail
    add(app, fields_world, "benefits")  # the key is free again


@SQLITE_ONLY
def test_a_count_that_changed_since_the_page_shows_the_page_again_and_deletes_nothing(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "case_worker", label_en="Case worker")
    citizens = fields_world.citizens["silkeborg"]
    store(app, fields_world, field_id, [(citizens[0], "Ib")])
    archive(app, field_id)
    client = logged_in(make_client, fields_world)
    url = f"{BASE}/{field_id}/purge"
    assert "1 value will be deleted (of 1 record)." in text_of(client.get(url))
    store(app, fields_world, field_id, [(citizens[1], "Bo")])  # someone else, meanwhile
    response = client.submit(url, {"seen": "1"})
    assert response.status_code == 400
    page = text_of(response)
    assert "The number of values changed since you looked" in page
    assert "2 values will be deleted (of 2 records)." in page
    assert 'name="seen" type="hidden" value="2"' in response.get_data(as_text=True)
    assert client.submit(url, {}).status_code == 400  # no number at all: asked again too
    assert value_rows(app, field_id) == 2
    assert client.submit(url, {"seen": "2"}).status_code == 302
    assert value_rows(app, field_id) == 0


@SQLITE_ONLY
def test_an_active_field_is_refused_and_another_municipality_s_field_is_not_found(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    active = add(app, fields_world, "in_use", label_en="In use")
    elsewhere = add(app, fields_world, "theirs", slug="norddjurs")
    archive(app, elsewhere)
    citizens = fields_world.citizens["silkeborg"]
    store(app, fields_world, active, [(citizens[0], "x")])
    store(app, fields_world, elsewhere, [(fields_world.citizens["norddjurs"][0], "y")], slug="norddjurs")
    client = logged_in(make_client, fields_world)
    page = text_of(client.get(f"{BASE}/{active}/purge"))
    assert "Only an archived field's values can be deleted: archive the field first." in page
    assert "Yes, delete for good" not in page and "Archive the field" in page
    response = client.submit(f"{BASE}/{active}/purge", {"seen": "1"}, f"{BASE}/")
    assert response.status_code == 400
    assert "Archive the field first." in text_of(response)
    assert client.get(f"{BASE}/{elsewhere}/purge").status_code == 404
    assert client.submit(f"{BASE}/{elsewhere}/purge", {"seen": "1"}, f"{BASE}/").status_code == 404
    coordinator = logged_in(make_client, fields_world, "coordinator", slug="norddjurs")
    assert coordinator.get(f"/norddjurs/municipal_fields/{elsewhere}/purge").status_code == 403
    assert value_rows(app) == 2 and len(_definitions(app)) == 2


def _definitions(app: Flask) -> list[int]:
    with app.app_context():
        return list(db_of(app).session.scalars(select(FieldDefinition.id)))
