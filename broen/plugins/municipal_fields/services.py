"""Field definitions: the one door for writes (the admin's pages, later the TOML import, demo data and
tests alike).

Each function is one transaction: it checks the rules, writes, adds the audit entry (object_type
"municipal_fields_field", with field *names* only) and commits. A broken rule raises
`FieldError(field, message)` before anything is written, with a message fit to show the admin; `field`
is the name of the form field it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from broen import api
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType, FieldValue

OBJECT_TYPE = "municipal_fields_field"
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
CHOICE_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_LABEL = 120
MAX_HELP = 1000
MAX_CHOICES = 200
ROLES = [r.value for r in api.Role]


_ = api.gettext


class FieldError(ValueError):
    """A field-definition rule was broken; `field` names the form field, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class FieldData:
    """A field definition as a form (or a configuration file) gives it."""

    target: str
    key: str
    label_da: str
    label_en: str
    type: FieldType | str
    help_da: str = ""
    help_en: str = ""
    required: bool = False
    #: [{"value": "a", "da": "Dansk", "en": "English"}, ...], in the order shown.
    choices: list[dict[str, str]] = field(default_factory=list)
    see_roles: list[str] = field(default_factory=list)
    edit_roles: list[str] = field(default_factory=list)
    sensitive: bool = False


# --- checks ----------------------------------------------------------------------------------------------


def clean_choice(raw: Any) -> dict[str, str]:
    """One choice, checked: a slug `value` (lower-case letters, digits, "-" and "_", at most 40) and its
    Danish and English labels (the English one defaults to the Danish one). The message does not say
    which choice: the caller puts "Choice 3:" or "Line 3:" in front."""
    if not isinstance(raw, dict):
        raise FieldError("choices", _("Write it as value | Danish | English."))
    value, da, en = (str(raw.get(k) or "").strip() for k in ("value", "da", "en"))
    if not value:
        raise FieldError("choices", _("The value is missing."))
    if not CHOICE_VALUE.match(value):
        raise FieldError(
            "choices",
            _(
                "The value %(value)s must be 1–40 lower-case letters, digits, - or _ (e.g. job_centre).",
                value=f'"{value[:50]}"',
            ),
        )
    if not da:
        raise FieldError("choices", _("The Danish label is missing."))
    en = en or da
    if len(da) > MAX_LABEL or len(en) > MAX_LABEL:
        raise FieldError("choices", _("A label can be at most 120 characters long."))
    return {"value": value, "da": da, "en": en}


def _clean_choices(type_: FieldType, choices: list[Any]) -> list[dict[str, str]]:
    if type_ not in CHOICE_TYPES:
        if choices:
            raise FieldError(
                "choices", _("Only fields of the types one choice and several choices have choices.")
            )
        return []
    if not choices:
        raise FieldError("choices", _("Write at least one choice."))
    if len(choices) > MAX_CHOICES:
        raise FieldError("choices", _("Give at most 200 choices."))
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for n, raw in enumerate(choices, start=1):
        try:
            choice = clean_choice(raw)
        except FieldError as err:
            raise FieldError("choices", _("Choice %(n)d: %(problem)s", n=n, problem=err.message)) from None
        if choice["value"] in seen:
            raise FieldError(
                "choices",
                _("Choice %(n)d: the value %(value)s is used twice.", n=n, value=f'"{choice["value"]}"'),
            )
        seen.add(choice["value"])
        cleaned.append(choice)
    return cleaned


def _clean_roles(see: list[str], edit: list[str]) -> tuple[list[str], list[str]]:
    for name, given in (("see_roles", see), ("edit_roles", edit)):
        if any(role not in ROLES for role in given):
            raise FieldError(name, _("Choose among the roles shown."))
    if not see:
        raise FieldError("see_roles", _("Choose at least one role that may see the field."))
    if any(role not in see for role in edit):
        raise FieldError("edit_roles", _("A role that may edit the field must also be allowed to see it."))
    return [r for r in ROLES if r in see], [r for r in ROLES if r in edit]


def _clean_text(name: str, value: str, limit: int, missing: str | None) -> str:
    value = value.strip()
    if not value and missing is not None:
        raise FieldError(name, missing)
    if len(value) > limit:
        raise FieldError(name, _("Write at most %(num)d characters.", num=limit))
    return value


def _clean(data: FieldData) -> dict[str, Any]:
    """The checks `create_field` and `update_field` share; the cleaned values by attribute."""
    try:
        type_ = FieldType(data.type)
    except ValueError:
        raise FieldError("type", _("Choose a type.")) from None
    see, edit = _clean_roles(list(data.see_roles), list(data.edit_roles))
    return {
        "label_da": " ".join(
            _clean_text("label_da", data.label_da, MAX_LABEL, _("Write the Danish label.")).split()
        ),
        "label_en": " ".join(
            _clean_text("label_en", data.label_en, MAX_LABEL, _("Write the English label.")).split()
        ),
        "help_da": _clean_text("help_da", data.help_da, MAX_HELP, None),
        "help_en": _clean_text("help_en", data.help_en, MAX_HELP, None),
        "type": type_,
        "required": bool(data.required),
        "choices": _clean_choices(type_, list(data.choices)),
        "see_roles": see,
        "edit_roles": edit,
        "sensitive": bool(data.sensitive),
    }


def _check_target(municipality: api.Municipality, target: str) -> None:
    if target not in {t.key for t in api.field_targets(municipality)}:
        raise FieldError("target", _("Fields cannot be added to this kind of record here."))


def _check_key(key: str) -> None:
    if not KEY.match(key):
        raise FieldError(
            "key",
            _(
                "The key must be 2–40 lower-case letters, digits or _, starting with a letter "
                "(e.g. case_number)."
            ),
        )


# --- writes ----------------------------------------------------------------------------------------------


def create_field(
    db: api.Database, municipality: api.Municipality, by: api.User | None, data: FieldData
) -> FieldDefinition:
    """A new field, last among its target's fields. Safe when two admins add fields at once: the
    municipality's row is locked before the key is checked and the position counted."""
    key = data.key.strip()
    _check_target(municipality, data.target)
    _check_key(key)
    values = _clean(data)
    try:
        api.lock_row(db, api.Municipality, municipality.id)
        taken = db.session.execute(
            select(FieldDefinition.id, FieldDefinition.archived_at).where(
                FieldDefinition.municipality_id == municipality.id,
                FieldDefinition.target == data.target,
                FieldDefinition.key == key,
            )
        ).first()
        if taken is not None:
            if taken.archived_at is not None:
                raise FieldError(
                    "key", _("The key is used by an archived field. Restore it, or choose another key.")
                )
            raise FieldError("key", _("Another field of this kind of record has this key. Choose another."))
        last = db.session.scalar(
            select(func.max(FieldDefinition.position)).where(
                FieldDefinition.municipality_id == municipality.id, FieldDefinition.target == data.target
            )
        )
        definition = FieldDefinition(
            municipality_id=municipality.id,
            target=data.target,
            key=key,
            position=(last + 1) if last is not None else 0,
            **values,
        )
        db.session.add(definition)
        db.session.flush()
        api.audit.record(
            db,
            "create",
            OBJECT_TYPE,
            definition.id,
            by=by,
            municipality_id=municipality.id,
            target=data.target,
            key=key,
        )
        db.session.commit()
    except IntegrityError:  # the unique key, should a writer slip past the lock
        db.session.rollback()
        raise FieldError(
            "key", _("Another field of this kind of record has this key. Choose another.")
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return definition


def choice_values_in_use(db: api.Database, definition: FieldDefinition, values: set[str]) -> dict[str, int]:
    """How many stored values use each of `values` (only those in use), in one query."""
    if not values:
        return {}
    rows = db.session.execute(
        select(FieldValue.value, func.count(FieldValue.id))
        .where(FieldValue.field_id == definition.id, FieldValue.value.in_(sorted(values)))
        .group_by(FieldValue.value)
    )
    return {value: int(n) for value, n in rows}


def update_field(db: api.Database, definition: FieldDefinition, by: api.User | None, data: FieldData) -> bool:
    """Change a field's labels, help, required, choices, roles and sensitivity (at once, for every form
    from the next request). Its key, target and type stay: a choice value that stored values use cannot
    be removed. Returns whether anything changed."""
    field_id = definition.id
    if data.target != definition.target:
        raise FieldError("target", _("A field cannot be moved to another kind of record."))
    if data.key.strip() != definition.key:
        raise FieldError("key", _("The key cannot be changed: forms, filters and exports use it."))
    if str(data.type) != definition.type.value:
        raise FieldError("type", _("The type cannot be changed here."))
    values = _clean(data)
    del values["type"]
    try:
        api.lock_row(db, FieldDefinition, field_id)
        definition = db.session.get_one(FieldDefinition, field_id, populate_existing=True)
        removed = {c["value"] for c in definition.choices} - {c["value"] for c in values["choices"]}
        in_use = choice_values_in_use(db, definition, removed)
        if in_use:
            value, n = sorted(in_use.items())[0]
            raise FieldError(
                "choices",
                str(
                    api.ngettext(
                        "The choice %(value)s cannot be removed: %(num)d record has it.",
                        "The choice %(value)s cannot be removed: %(num)d records have it.",
                        n,
                        value=f'"{value}"',
                    )
                ),
            )
        changed = [name for name, value in values.items() if getattr(definition, name) != value]
        for name in changed:
            setattr(definition, name, values[name])
        if changed:
            api.audit.record(
                db,
                "update",
                OBJECT_TYPE,
                field_id,
                by=by,
                municipality_id=definition.municipality_id,
                fields=changed,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return bool(changed)


def move_field(db: api.Database, definition: FieldDefinition, by: api.User | None, up: bool) -> bool:
    """Move a field one place up (or down) among its target's fields that are not archived, by swapping
    places with its neighbour. Returns False when it is first (last) already. The municipality's row is
    locked first, so two admins reordering at once cannot scramble the order."""
    field_id, municipality_id, target = definition.id, definition.municipality_id, definition.target
    try:
        api.lock_row(db, api.Municipality, municipality_id)
        ordered = list(
            db.session.scalars(
                select(FieldDefinition)
                .where(FieldDefinition.municipality_id == municipality_id, FieldDefinition.target == target)
                .order_by(FieldDefinition.position, FieldDefinition.id)
                .execution_options(populate_existing=True)
            )
        )
        here = next(i for i, f in enumerate(ordered) if f.id == field_id)
        steps = range(here - 1, -1, -1) if up else range(here + 1, len(ordered))
        there = next((i for i in steps if ordered[i].archived_at is None), None)
        if there is None:
            db.session.rollback()
            return False
        ordered[here], ordered[there] = ordered[there], ordered[here]
        for position, f in enumerate(ordered):  # also mends equal positions
            if f.position != position:
                f.position = position
        api.audit.record(
            db,
            "update",
            OBJECT_TYPE,
            field_id,
            by=by,
            municipality_id=municipality_id,
            fields=["position"],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def _set_archived(db: api.Database, definition: FieldDefinition, by: api.User | None, archived: bool) -> bool:
    field_id = definition.id
    try:
        api.lock_row(db, FieldDefinition, field_id)
        definition = db.session.get_one(FieldDefinition, field_id, populate_existing=True)
        if (definition.archived_at is not None) == archived:
            db.session.rollback()
            return False
        definition.archived_at = api.utcnow() if archived else None
        api.audit.record(
            db,
            "update",
            OBJECT_TYPE,
            field_id,
            by=by,
            municipality_id=definition.municipality_id,
            fields=["archived_at"],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def archive_field(db: api.Database, definition: FieldDefinition, by: api.User | None) -> bool:
    """Archive a field: forms and lists leave it out, its values stay (until purged). Returns False if it
    was archived already."""
    return _set_archived(db, definition, by, True)


def restore_field(db: api.Database, definition: FieldDefinition, by: api.User | None) -> bool:
    """Bring an archived field back, with its values and its place. Returns False if it was not archived."""
    return _set_archived(db, definition, by, False)


# --- reads -----------------------------------------------------------------------------------------------


def fields_for(
    db: api.Database, municipality: api.Municipality, target: str, include_archived: bool = False
) -> list[FieldDefinition]:
    """A target's fields in a municipality, in their order (one query)."""
    stmt = api.scoped(FieldDefinition, municipality).where(FieldDefinition.target == target)
    if not include_archived:
        stmt = stmt.where(FieldDefinition.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(FieldDefinition.position, FieldDefinition.id)))


def all_fields(db: api.Database, municipality: api.Municipality) -> dict[str, list[FieldDefinition]]:
    """Every field of a municipality, archived ones too, by target, each target's in their order (one
    query): the admin's list page."""
    stmt = api.scoped(FieldDefinition, municipality).order_by(
        FieldDefinition.target, FieldDefinition.position, FieldDefinition.id
    )
    grouped: dict[str, list[FieldDefinition]] = {}
    for definition in db.session.scalars(stmt):
        grouped.setdefault(definition.target, []).append(definition)
    return grouped
