"""A citizen's rights over the values of the municipality's own fields (GDPR art. 15 and 17), and forgetting
the values of records other plugins delete.

The citizen's part is the values of the fields of target "citizen" on their record, archived fields
included (their values stay until purged): `citizen_data` gives them, `erase_citizen` deletes them. The
values of another plugin's records (a referral, a placement) are that plugin's to give; when it deletes
such records it calls `api.records_deleted`, and `records_deleted` deletes their values here. Each is one
statement (a chunk of ids at a time), in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from broen import api
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType, FieldValue

_ = api.gettext

#: The core's target: the citizen's own record.
CITIZEN = "citizen"
#: Record ids per DELETE (well within every database's limit on bound parameters).
CHUNK = 500


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """The values of the municipality's fields on the citizen's record, one record per field with a value,
    in the fields' order (one query)."""
    rows = api.db().session.execute(
        select(FieldDefinition, FieldValue.value)
        .join(FieldValue, FieldValue.field_id == FieldDefinition.id)
        .where(
            FieldDefinition.municipality_id == citizen.municipality_id,
            FieldDefinition.target == CITIZEN,
            FieldValue.municipality_id == citizen.municipality_id,
            FieldValue.record_id == citizen.id,
        )
        .order_by(FieldDefinition.position, FieldDefinition.id, FieldValue.id)
    )
    values: dict[int, tuple[FieldDefinition, list[str]]] = {}
    for definition, value in rows:
        values.setdefault(definition.id, (definition, []))[1].append(value)
    return [
        api.DataSection(
            "citizen_fields",
            _("The municipality's own fields"),
            [_record(definition, texts) for definition, texts in values.values()],
        )
    ]


def _record(definition: FieldDefinition, texts: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "field": definition.key,
        "label_da": definition.label_da,
        "label_en": definition.label_en,
        "type": definition.type.value,
        "value": list(texts) if definition.type == FieldType.CHOICES else texts[0],
        "sensitive": definition.sensitive,
        "archived": definition.archived_at is not None,
    }
    if definition.type in CHOICE_TYPES:
        record["choices"] = [
            {"value": str(c["value"]), "da": c.get("da", ""), "en": c.get("en", "")}
            for c in definition.choices
            if str(c["value"]) in texts
        ]
    return record


def _delete(municipality_id: int, target: str, record_ids: Sequence[int]) -> None:
    db = api.db()
    fields = select(FieldDefinition.id).where(
        FieldDefinition.municipality_id == municipality_id, FieldDefinition.target == target
    )
    ids = sorted(set(record_ids))
    for start in range(0, len(ids), CHUNK):
        db.session.execute(
            delete(FieldValue).where(
                FieldValue.municipality_id == municipality_id,
                FieldValue.field_id.in_(fields),
                FieldValue.record_id.in_(ids[start : start + CHUNK]),
            )
        )


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Delete the values of the municipality's fields on the citizen's record (no commit)."""
    _delete(citizen.municipality_id, CITIZEN, [citizen.id])


def records_deleted(municipality: api.Municipality, target: str, record_ids: Sequence[int]) -> None:
    """Delete the values of the municipality's fields of `target` on the records `record_ids` (no commit)."""
    _delete(municipality.id, target, record_ids)
