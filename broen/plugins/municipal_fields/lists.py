"""The municipal fields in lists of records: each field the user may see is an optional column with a filter
(`columns`), its values for a page of records come in one query (`values`), and a filter is a condition on
the record's id that the database evaluates for the whole list (`conditions`), the same on SQLite and
PostgreSQL.

Filters by type: texts (text, long text, e-mail, phone, web address) contain the words typed (case is
ignored); one or several choices and yes/no match a chosen value (a record with no value counts as
"no"); whole numbers, decimals and dates lie between a from and a to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask import request
from sqlalchemy import ColumnElement, Numeric, case, cast, func, select

from broen import api
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import _
from broen.plugins.municipal_fields.values import (
    audit_sensitive,
    choice_label,
    display,
    may_see,
    name_of,
    role_of,
)

#: Records per query when a long export asks for values (databases limit a statement's parameters).
CHUNK = 1000
_TEXT_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL)


def _visible(municipality: api.Municipality, target: str, user: api.User) -> list[FieldDefinition]:
    """The fields of `target` that `user` may see. A list asks three times (its columns, its filters, its
    values): read once per request (kept in the request's environ, which, unlike `g`, never outlives it)."""
    cache: dict[tuple[int, str, int], list[FieldDefinition]] = request.environ.setdefault(
        "municipal_fields.visible", {}
    )
    key = (municipality.id, target, user.id)
    if key not in cache:
        role = role_of(municipality, user)
        cache[key] = [d for d in services.fields_for(api.db(), municipality, target) if may_see(d, role)]
    return cache[key]


def _column(definition: FieldDefinition, language: str) -> api.ListColumn:
    label = definition.label(language)
    type_ = definition.type
    if type_ in CHOICE_TYPES:
        options = [(str(c["value"]), choice_label(c, language)) for c in definition.choices]
        return api.ListColumn(name_of(definition.key), label, definition.sensitive, "choice", options)
    if type_ == FieldType.BOOLEAN:
        options = [("true", _("Yes")), ("false", _("No"))]
        return api.ListColumn(name_of(definition.key), label, definition.sensitive, "choice", options)
    if type_ in (FieldType.INTEGER, FieldType.DECIMAL):
        return api.ListColumn(name_of(definition.key), label, definition.sensitive, "number")
    if type_ == FieldType.DATE:
        return api.ListColumn(name_of(definition.key), label, definition.sensitive, "date")
    return api.ListColumn(name_of(definition.key), label, definition.sensitive, "text")


def columns(municipality: api.Municipality, target: str, user: api.User) -> list[api.ListColumn]:
    """Every field of `target` that `user` may see, as a column with its filter, in the fields' order."""
    language = api.language_of(user)
    return [_column(d, language) for d in _visible(municipality, target, user)]


def values(
    municipality: api.Municipality,
    target: str,
    chosen: Sequence[str],
    record_ids: Sequence[int],
    user: api.User,
) -> list[api.ListValues]:
    """The texts of the chosen fields for the records, as on the record's page: one query for a page of
    records, whatever the number of fields. Showing sensitive fields is audited (keys and record ids, never
    values) and committed."""
    wanted = set(chosen)
    definitions = [d for d in _visible(municipality, target, user) if name_of(d.key) in wanted]
    if not definitions or not record_ids:
        return []
    by_id = {d.id: d for d in definitions}
    stored: dict[tuple[int, int], list[str]] = {}
    db = api.db()
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(FieldValue.field_id, FieldValue.record_id, FieldValue.value)
            .where(
                FieldValue.field_id.in_(
                    list(by_id)
                ),  # the municipality's fields (`_visible`): see `_condition`
                FieldValue.record_id.in_(ids[start : start + CHUNK]),
            )
            .order_by(FieldValue.id)
        )
        for field_id, record_id, value in rows:
            stored.setdefault((field_id, record_id), []).append(value)
    language = api.language_of(user)
    shown: dict[tuple[int, tuple[str, ...]], str] = {}  # the same values show the same (yes/no, choices)
    answers = []
    for d in definitions:
        texts = {}
        for rid in ids:
            found = tuple(stored.get((d.id, rid), ()))
            if found:
                if (d.id, found) not in shown:
                    shown[(d.id, found)] = display(d, list(found), language)
                texts[rid] = shown[(d.id, found)]
        answers.append(api.ListValues(name_of(d.key), texts))
    audit_sensitive(db, municipality, target, None, user, definitions, records=ids)
    return answers


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(definition: FieldDefinition, wanted: Any, id_column: ColumnElement[int]) -> Any:
    """The condition on `id_column` for one field's filter (None: nothing to filter by)."""
    # The field is the municipality's (`_visible`): its id alone picks its values, through the index on
    # (field_id, record_id); a condition on municipality_id too makes SQLite scan the municipality's index.
    of_field = select(FieldValue.record_id).where(FieldValue.field_id == definition.id)
    type_ = definition.type
    if type_ == FieldType.BOOLEAN:
        true_ids = of_field.where(FieldValue.value == "true")
        return id_column.in_(true_ids) if wanted == "true" else id_column.not_in(true_ids)
    if type_ in CHOICE_TYPES:
        return id_column.in_(of_field.where(FieldValue.value == str(wanted)))
    if type_ in _TEXT_TYPES:
        pattern = f"%{_escaped(str(wanted).lower())}%"
        return id_column.in_(of_field.where(func.lower(FieldValue.value).like(pattern, escape="\\")))
    if not isinstance(wanted, tuple):
        return None
    low, high = wanted
    if type_ == FieldType.DATE:
        # ISO dates compare as text; a bound that is not a date is no bound.
        value: Any = FieldValue.value
        low = low.isoformat() if isinstance(low, date) else None
        high = high.isoformat() if isinstance(high, date) else None
    else:
        # Cast only this field's rows (CASE keeps PostgreSQL from casting another field's text).
        value = case((FieldValue.field_id == definition.id, cast(FieldValue.value, Numeric(30, 10))))
        low = low if isinstance(low, Decimal) else None
        high = high if isinstance(high, Decimal) else None
    if low is None and high is None:
        return None
    if low is not None:
        of_field = of_field.where(value >= low)
    if high is not None:
        of_field = of_field.where(value <= high)
    return id_column.in_(of_field)


def conditions(
    municipality: api.Municipality,
    target: str,
    id_column: ColumnElement[int],
    filters: Mapping[str, Any],
    user: api.User,
) -> list[ColumnElement[bool]]:
    """The conditions for the filters on fields of `target` that `user` may see."""
    found = []
    for d in _visible(municipality, target, user):
        if name_of(d.key) in filters:
            condition = _condition(d, filters[name_of(d.key)], id_column)
            if condition is not None:
                found.append(condition)
    return found
