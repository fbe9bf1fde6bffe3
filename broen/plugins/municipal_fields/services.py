"""Field definitions: the one door for writes (the admin's pages, later the TOML import, demo data and
tests alike).

Each function is one transaction: it checks the rules, writes, adds the audit entry (object_type
"municipal_fields_field", with field *names* only) and commits. A broken rule raises
`FieldError(field, message)` before anything is written, with a message fit to show the admin; `field`
is the name of the form field it belongs to.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, distinct, func, insert, select
from sqlalchemy.exc import IntegrityError

from broen import api
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType, FieldValue

OBJECT_TYPE = "municipal_fields_field"
KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
CHOICE_VALUE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_LABEL = 120
MAX_HELP = 1000
MAX_CHOICES = 200
#: Fields in use per kind of record (archived ones not counted): more would make the forms unusable.
MAX_FIELDS_PER_TARGET = 100
ROLES = [r.value for r in api.Role]


_ = api.gettext
_l = api.lazy_gettext

#: The types by name, as the admin reads them.
TYPE_LABELS = {
    FieldType.TEXT: _l("Text"),
    FieldType.LONG_TEXT: _l("Long text"),
    FieldType.INTEGER: _l("Whole number"),
    FieldType.DECIMAL: _l("Decimal number"),
    FieldType.DATE: _l("Date"),
    FieldType.BOOLEAN: _l("Yes/no"),
    FieldType.CHOICE: _l("One choice"),
    FieldType.CHOICES: _l("Several choices"),
    FieldType.EMAIL: _l("E-mail"),
    FieldType.PHONE: _l("Phone"),
    FieldType.URL: _l("Web address"),
}


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


def clean(data: FieldData) -> dict[str, Any]:
    """The checks `create_field`, `edit_field` and a configuration import share; the cleaned values by
    attribute."""
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


def check_key(key: str) -> None:
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
    check_key(key)
    values = clean(data)
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
        _check_room(db, municipality.id, data.target)
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


def _check_room(db: api.Database, municipality_id: int, target: str) -> None:
    """Refuse one more field in use of `target` when it has `MAX_FIELDS_PER_TARGET` already."""
    in_use = db.session.scalar(
        select(func.count()).where(
            FieldDefinition.municipality_id == municipality_id,
            FieldDefinition.target == target,
            FieldDefinition.archived_at.is_(None),
        )
    )
    if in_use is not None and in_use >= MAX_FIELDS_PER_TARGET:
        raise FieldError(
            "key",
            _(
                "This kind of record has %(num)d fields in use, the most it may have. Archive one first.",
                num=MAX_FIELDS_PER_TARGET,
            ),
        )


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


class Misfits(enum.StrEnum):
    """What becomes of the values that do not convert when a field's type changes."""

    #: Moved, as they are, to an archived copy of the field with the old type (nothing is lost).
    KEEP = "keep"
    DELETE = "delete"


@dataclass(frozen=True)
class TypeReport:
    """How many of a field's values (records with a value) cannot become `new_type`."""

    new_type: FieldType
    failed: int
    records: int

    @property
    def token(self) -> str:
        """What the admin saw, sent back with their choice: the choice holds for exactly these counts."""
        return f"{self.new_type.value}:{self.failed}"

    def summary(self) -> str:
        return str(
            api.ngettext(
                "%(failed)d of %(num)d value cannot become %(type)s.",
                "%(failed)d of %(num)d values cannot become %(type)s.",
                self.records,
                failed=self.failed,
                type=TYPE_LABELS[self.new_type],
            )
        )


class ConversionRefused(FieldError):
    """A type change that leaves values that do not convert, without the admin's choice of what becomes of
    them (or with a choice made for other counts than there are now). Nothing was written."""

    def __init__(self, report: TypeReport, message: str) -> None:
        super().__init__("misfits", message)
        self.report = report


@dataclass(frozen=True)
class FieldEdit:
    """What `edit_field` did: whether anything changed and, for a new type, how many values were converted,
    how many did not fit, what became of them, and the archived copy that keeps them."""

    changed: bool
    converted: int = 0
    failed: int = 0
    misfits: Misfits | None = None
    copy: FieldDefinition | None = None


def edit_field(
    db: api.Database,
    definition: FieldDefinition,
    by: api.User | None,
    data: FieldData,
    misfits: Misfits | str | None = None,
    seen: str | None = None,
) -> FieldEdit:
    """Change a field's labels, help, required, choices, roles, sensitivity and type (at once, for every
    form from the next request). Its key and target stay.

    Same type: a choice value that stored values use cannot be removed. A new type: every stored value of
    the field is converted (`convert`); if some do not fit, `ConversionRefused` says how many, unless
    `misfits` says what becomes of them and `seen` is the `TypeReport.token` the admin saw (the counts
    have not changed since). One transaction, with the field's row locked; the values are read in one
    query and written back with one DELETE and at most one INSERT, however many there are."""
    field_id = definition.id
    if data.target != definition.target:
        raise FieldError("target", _("A field cannot be moved to another kind of record."))
    if data.key.strip() != definition.key:
        raise FieldError("key", _("The key cannot be changed: forms, filters and exports use it."))
    values = clean(data)
    new_type: FieldType = values["type"]
    try:
        if new_type != definition.type:  # a copy may be made: its key is checked under the same lock
            api.lock_row(db, api.Municipality, definition.municipality_id)
        api.lock_row(db, FieldDefinition, field_id)
        definition = db.session.get_one(FieldDefinition, field_id, populate_existing=True)
        old_type = definition.type
        result = FieldEdit(changed=False)
        if new_type == old_type:
            _check_choices_kept(db, definition, values["choices"])
        else:
            result = _convert_values(db, definition, by, new_type, values["choices"], misfits, seen)
        changed = [name for name, value in values.items() if getattr(definition, name) != value]
        for name in changed:
            setattr(definition, name, values[name])
        if new_type != old_type or changed:
            conversion = (
                {
                    "key": definition.key,
                    "old_type": old_type.value,
                    "new_type": new_type.value,
                    "converted": result.converted,
                    "not_converted": result.failed,
                    "misfits": result.misfits.value if result.misfits else None,
                    "copy_key": result.copy.key if result.copy else None,
                }
                if new_type != old_type
                else {}
            )
            api.audit.record(
                db,
                "update",
                OBJECT_TYPE,
                field_id,
                by=by,
                municipality_id=definition.municipality_id,
                fields=changed,
                **conversion,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return FieldEdit(bool(changed), result.converted, result.failed, result.misfits, result.copy)


def _check_choices_kept(db: api.Database, definition: FieldDefinition, choices: list[dict[str, str]]) -> None:
    removed = {c["value"] for c in definition.choices} - {c["value"] for c in choices}
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


def _convert_values(
    db: api.Database,
    definition: FieldDefinition,
    by: api.User | None,
    new_type: FieldType,
    choices: list[dict[str, str]],
    misfits: Misfits | str | None,
    seen: str | None,
) -> FieldEdit:
    """Convert the (locked) field's values to `new_type`, or refuse (`ConversionRefused`) before writing."""
    # Imported here: `convert` uses the form's rules from `values`, which imports this module.
    from broen.plugins.municipal_fields.convert import convert

    rows = db.session.execute(
        select(FieldValue.record_id, FieldValue.value)
        .where(FieldValue.field_id == definition.id)
        .order_by(FieldValue.id)
    ).all()
    stored: dict[int, list[str]] = {}
    for record_id, value in rows:
        stored.setdefault(record_id, []).append(value)
    conversion = convert(stored, new_type, choices)
    chosen: Misfits | None = None
    if conversion.failed:
        report = TypeReport(new_type, len(conversion.failed), conversion.records)
        try:
            chosen = Misfits(misfits) if misfits else None
        except ValueError:
            chosen = None
        if chosen is not None and seen != report.token:
            raise ConversionRefused(
                report,
                _("The values changed while you chose: %(summary)s Choose again.", summary=report.summary()),
            )
        if chosen is None:
            if seen == report.token:
                message = _("Choose what happens to the values that cannot be converted.")
            else:
                message = _("%(summary)s Choose what happens to them.", summary=report.summary())
            raise ConversionRefused(report, message)
    unchanged = not conversion.failed and all(
        conversion.converted[record_id] == texts for record_id, texts in stored.items()
    )
    copy = None
    if not unchanged:
        db.session.execute(delete(FieldValue).where(FieldValue.field_id == definition.id))
        new_rows = [
            {
                "municipality_id": definition.municipality_id,
                "field_id": definition.id,
                "record_id": r,
                "value": v,
            }
            for r, texts in conversion.converted.items()
            for v in texts
        ]
        if chosen == Misfits.KEEP:
            copy = _archived_copy(db, definition, by)
            new_rows += [
                {
                    "municipality_id": definition.municipality_id,
                    "field_id": copy.id,
                    "record_id": r,
                    "value": v,
                }
                for r in conversion.failed
                for v in stored[r]
            ]
        if new_rows:
            db.session.execute(insert(FieldValue), new_rows)
    return FieldEdit(True, len(conversion.converted), len(conversion.failed), chosen, copy)


def _free_key(taken: set[str], key: str) -> str:
    """The first of "<key>_old", "<key>_old2", ... not in `taken`, shortened to fit a key."""
    n = 1
    while True:
        suffix = "_old" if n == 1 else f"_old{n}"
        candidate = key[: 40 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def _before(label: str, language: str, day: str) -> str:
    with api.force_locale(language):
        suffix = " (" + _("before %(date)s", date=day) + ")"
    return label[: MAX_LABEL - len(suffix)].rstrip() + suffix


def _archived_copy(db: api.Database, definition: FieldDefinition, by: api.User | None) -> FieldDefinition:
    """An archived copy of `definition` as it is (old type, choices, roles), under a free key "<key>_old"
    ("<key>_old2", ...) and the label "<label> (before <date>)". The municipality's row is locked."""
    taken = set(
        db.session.scalars(
            select(FieldDefinition.key).where(
                FieldDefinition.municipality_id == definition.municipality_id,
                FieldDefinition.target == definition.target,
                FieldDefinition.key.like(definition.key[:36] + "%"),
            )
        )
    )
    municipality = db.session.get_one(api.Municipality, definition.municipality_id)
    day = api.local_today(municipality).isoformat()
    copy = FieldDefinition(
        municipality_id=definition.municipality_id,
        target=definition.target,
        key=_free_key(taken, definition.key),
        label_da=_before(definition.label_da, "da", day),
        label_en=_before(definition.label_en, "en", day),
        help_da=definition.help_da,
        help_en=definition.help_en,
        type=definition.type,
        required=False,
        choices=list(definition.choices),
        position=definition.position,
        see_roles=list(definition.see_roles),
        edit_roles=list(definition.edit_roles),
        sensitive=definition.sensitive,
        archived_at=api.utcnow(),
    )
    db.session.add(copy)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        OBJECT_TYPE,
        copy.id,
        by=by,
        municipality_id=definition.municipality_id,
        target=definition.target,
        key=copy.key,
        copied_from=definition.key,
    )
    return copy


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
        if not archived:
            _check_room(db, definition.municipality_id, definition.target)
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


@dataclass(frozen=True)
class ValueCount:
    """How many values a field has: stored rows (several choices: one per choice) and records."""

    values: int
    records: int


class PurgeChanged(FieldError):
    """The field's values changed since the admin saw how many would go: nothing was deleted."""

    def __init__(self, count: ValueCount) -> None:
        super().__init__(
            "field",
            _("The number of values changed since you looked. Check the new number and confirm again."),
        )
        self.count = count


def count_values(db: api.Database, definition: FieldDefinition) -> ValueCount:
    """How many values (rows) of how many records the field has (one query)."""
    values, records = db.session.execute(
        select(func.count(FieldValue.id), func.count(distinct(FieldValue.record_id))).where(
            FieldValue.field_id == definition.id
        )
    ).one()
    return ValueCount(int(values), int(records))


def purge_field(
    db: api.Database, definition: FieldDefinition, by: api.User | None, seen: int | None = None
) -> ValueCount:
    """Delete an archived field's values and the field itself, for good (its key is free again); returns
    how many values of how many records went. Only an archived field (a `FieldError` otherwise); when
    `seen` (the number of values the admin was shown) differs from the number there is now, nothing is
    deleted (`PurgeChanged`, with the new count). One transaction with the field's row locked, one audit
    entry with the key and the counts."""
    field_id = definition.id
    try:
        api.lock_row(db, FieldDefinition, field_id)
        current = db.session.get(FieldDefinition, field_id, populate_existing=True)
        if current is None:
            raise FieldError("field", _("The field was deleted already."))
        if current.archived_at is None:
            raise FieldError(
                "field", _("Archive the field first. Only an archived field's values can be deleted.")
            )
        count = count_values(db, current)
        if seen is not None and seen != count.values:
            raise PurgeChanged(count)
        db.session.execute(delete(FieldValue).where(FieldValue.field_id == field_id))
        api.audit.record(
            db,
            "delete",
            OBJECT_TYPE,
            field_id,
            by=by,
            municipality_id=current.municipality_id,
            what="municipal_fields_purge",
            target=current.target,
            key=current.key,
            values=count.values,
            records=count.records,
        )
        db.session.delete(current)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return count


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
