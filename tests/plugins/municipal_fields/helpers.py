"""Helpers for the tests of other parts that show the municipal fields on their records' forms and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import insert, select

from broen.core import accounts
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import FieldData
from tests.conftest import World, db_of


def turn_on(app: Flask, world: World, *plugins: str) -> World:
    """The world with `plugins` and the municipal fields on in both municipalities."""
    with app.app_context():
        for m in world.municipalities.values():
            for plugin in (*plugins, "municipal_fields"):
                accounts.set_plugin_enabled(db_of(app), m, plugin, True)
    return world


def add_text_field(
    app: Flask, world: World, target: str, key: str, slug: str = "norddjurs", **kwargs: Any
) -> None:
    """A field (text unless `type` says otherwise) of the municipality's records of `target` that staff see
    and edit, through the service."""
    data = FieldData(
        target=target,
        key=key,
        label_da=kwargs.pop("label_da", key.title()),
        label_en=kwargs.pop("label_en", key.title()),
        type=kwargs.pop("type", FieldType.TEXT),
        see_roles=["admin", "coordinator"],
        edit_roles=["admin", "coordinator"],
        **kwargs,
    )
    with app.app_context():
        services.create_field(db_of(app), world.municipalities[slug], world.user(slug, "admin"), data)


def stored(app: Flask) -> dict[tuple[str, int], str]:
    """Every stored value, by (field key, record id)."""
    with app.app_context():
        rows = db_of(app).session.execute(
            select(FieldDefinition.key, FieldValue.record_id, FieldValue.value).join(
                FieldDefinition, FieldDefinition.id == FieldValue.field_id
            )
        )
        return {(key, record_id): value for key, record_id, value in rows}


def put_values(
    app: Flask,
    world: World,
    target: str,
    ids: list[int],
    values: dict[str, Callable[[int], str]],
    slug: str = "norddjurs",
) -> None:
    """For each field key of `target`, its text (a function of the record's place n in `ids`) on every
    record, in bulk."""
    with app.app_context():
        db = db_of(app)
        municipality = world.municipalities[slug]
        fields = {
            key: field_id
            for key, field_id in db.session.execute(
                select(FieldDefinition.key, FieldDefinition.id).where(
                    FieldDefinition.municipality_id == municipality.id, FieldDefinition.target == target
                )
            )
        }
        rows = [
            {"municipality_id": municipality.id, "field_id": fields[key], "record_id": rid, "value": make(n)}
            for key, make in values.items()
            for n, rid in enumerate(ids)
        ]
        db.session.execute(insert(FieldValue), rows)
        db.session.commit()


def numbered(key: str) -> Callable[[int], str]:
    """The texts "<key>-<n>"."""
    return lambda n: f"{key}-{n}"
