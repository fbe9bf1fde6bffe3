"""The municipal fields plugin's part of a configuration file: its fields exported, and imported with the
same rules as the "Fields" pages (update by target and key, never delete, never change a type)."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core import configuration
from broen.core.configuration import ConfigurationError
from broen.core.models import AuditEntry, Municipality
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import FieldData
from tests.admin import routes
from tests.conftest import World, db_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ROLES = {"see_roles": ["admin", "coordinator"], "edit_roles": ["coordinator"]}


def add(app: Flask, world: World, key: str, type_: FieldType = FieldType.TEXT, **kwargs: Any) -> int:
    data = FieldData(
        target="citizen",
        key=key,
        label_da=key.title(),
        label_en=key.title(),
        type=type_,
        **{**ROLES, **kwargs},
    )
    with app.app_context():
        return services.create_field(db_of(app), world.municipalities["silkeborg"], None, data).id


def run(app: Flask, text: str, apply: bool = False) -> configuration.Plan:
    with app.app_context():
        db = db_of(app)
        silkeborg = db.session.scalars(select(Municipality).where(Municipality.slug == "silkeborg")).one()
        if apply:
            return configuration.apply_import(db, silkeborg, text, None)
        return configuration.plan_import(db, silkeborg, text, None)


def exported(app: Flask) -> dict[str, Any]:
    with app.app_context():
        db = db_of(app)
        silkeborg = db.session.scalars(select(Municipality).where(Municipality.slug == "silkeborg")).one()
        return tomllib.loads(configuration.export_configuration(db, silkeborg))


def definitions(app: Flask) -> dict[str, FieldDefinition]:
    with app.app_context():
        db = db_of(app)
        rows = list(db.session.scalars(select(FieldDefinition).order_by(FieldDefinition.position)))
        db.session.expunge_all()
        return {row.key: row for row in rows}


def file_with(fields: list[str]) -> str:
    return "broen_configuration = 1\n[plugins.municipal_fields]\nenabled = true\n" + "".join(
        "[[plugins.municipal_fields.fields]]\n" + field for field in fields
    )


def field(key: str, type_: str = "text", extra: str = "") -> str:
    return (
        f'target = "citizen"\nkey = "{key}"\ntype = "{type_}"\nlabel_da = "{key.title()}"\n'
        f'label_en = "{key.title()}"\nsee_roles = ["admin", "coordinator"]\nedit_roles = ["coordinator"]\n{extra}'
    )


@SQLITE_ONLY
def test_every_field_but_the_archived_ones_is_exported_in_order_with_all_it_is(
    app: Flask, fields_world: World
) -> None:
    add(app, fields_world, "case_number", help_da="Sagens nummer", sensitive=True, required=True)
    add(
        app,
        fields_world,
        "programme",
        FieldType.CHOICE,
        choices=[{"value": "ips", "da": "IPS", "en": "IPS"}, {"value": "cafe", "da": "Café", "en": "Café"}],
    )
    gone = add(app, fields_world, "old_field")
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get_one(FieldDefinition, gone), None)
    section = exported(app)["plugins"]["municipal_fields"]
    assert section["enabled"] is True
    assert section["fields"] == [
        {
            "target": "citizen",
            "key": "case_number",
            "type": "text",
            "label_da": "Case_Number",
            "label_en": "Case_Number",
            "help_da": "Sagens nummer",
            "required": True,
            "see_roles": ["admin", "coordinator"],
            "edit_roles": ["coordinator"],
            "sensitive": True,
        },
        {
            "target": "citizen",
            "key": "programme",
            "type": "choice",
            "label_da": "Programme",
            "label_en": "Programme",
            "required": False,
            "choices": [
                {"value": "ips", "da": "IPS", "en": "IPS"},
                {"value": "cafe", "da": "Café", "en": "Café"},
            ],
            "see_roles": ["admin", "coordinator"],
            "edit_roles": ["coordinator"],
            "sensitive": False,
        },
    ]


@SQLITE_ONLY
def test_an_import_updates_restores_adds_and_reorders_but_keeps_the_fields_not_in_the_file(
    app: Flask, fields_world: World
) -> None:
    add(app, fields_world, "first")
    add(app, fields_world, "kept")
    archived = add(app, fields_world, "was_archived")
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get_one(FieldDefinition, archived), None)
    text = file_with(
        [
            field("brand_new"),
            field("was_archived"),
            field("first", extra='help_en = "Now with help"\n').replace(
                'label_da = "First"', 'label_da = "Første"'
            ),
        ]
    )
    preview = run(app, text)
    lines = preview.plugins[0].lines
    assert lines == [
        'Adds the field "Brand_New" (brand_new) to Citizen.',
        'Restores the archived field "Was_Archived" (was_archived) of Citizen.',
        'Changes the field "First" (first) of Citizen: Danish label, English help.',
        "Puts the fields of Citizen in the order of the file.",
        "Keeps 1 field that is not in the file.",
    ]
    run(app, text, apply=True)
    fields = definitions(app)
    assert list(fields) == ["brand_new", "was_archived", "first", "kept"]
    assert fields["first"].label_da == "Første" and fields["first"].help_en == "Now with help"
    assert fields["was_archived"].archived_at is None
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "municipal_fields_field")
                .order_by(AuditEntry.id)
            )
            .all()
        )
        last = [(e.action, e.object_id, e.details) for e in entries[-4:]]
    assert last[0] == ("create", fields["brand_new"].id, {"target": "citizen", "key": "brand_new"})
    assert {e[1]: e[2]["fields"] for e in last[1:]} == {
        fields["was_archived"].id: ["archived_at", "position"],
        fields["first"].id: ["help_en", "label_da", "position"],
        fields["kept"].id: ["position"],
    }
    assert run(app, text).plugins[0].lines[0] == "The fields are as in the file already."


@SQLITE_ONLY
def test_an_import_refuses_to_change_a_type_drop_a_choice_in_use_or_pass_the_limits(
    app: Flask, fields_world: World
) -> None:
    add(app, fields_world, "case_number")
    add(app, fields_world, "kept")
    programme = add(
        app,
        fields_world,
        "programme",
        FieldType.CHOICE,
        choices=[{"value": "ips", "da": "IPS", "en": "IPS"}, {"value": "cafe", "da": "Café", "en": "Café"}],
    )
    with app.app_context():
        db = db_of(app)
        silkeborg = fields_world.municipalities["silkeborg"]
        db.session.add(
            FieldValue(
                municipality_id=silkeborg.id,
                field_id=programme,
                record_id=fields_world.citizens["silkeborg"][0],
                value="ips",
            )
        )
        db.session.commit()
    before = routes.snapshot(app)
    text = file_with(
        [
            field("case_number", "integer"),
            field("programme", "choice", 'choices = [{ value = "cafe", da = "Café", en = "Café" }]\n'),
        ]
        + [field(f"extra_{n}") for n in range(98)]
    )
    problems = run(app, text).problems
    assert problems == [
        "plugins.municipal_fields.fields[1].type: the field case_number is of the type text here; an import does "
        "not change a field's type (the Fields page does, and says what happens to its values).",
        'plugins.municipal_fields.fields[2].choices: The choice "ips" cannot be removed: 1 record has it.',
        "plugins.municipal_fields.fields: Citizen would have 101 fields; a kind of record may have at most 100.",
    ]
    with pytest.raises(ConfigurationError):
        run(app, text, apply=True)
    assert routes.differences(before, routes.snapshot(app)) == {}
