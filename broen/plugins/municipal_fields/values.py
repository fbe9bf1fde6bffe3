"""The values of the municipal fields: the fields on a record's form (`form_fields`), saving what was filled
in (`save`) and the values on the record's page (`facts`), for any target ("citizen", a plugin's records).

Each field is a WTForms field named "municipal_fields__<key>", with its label and help in the user's
language and validators whose messages name the field. A user sees the fields their role may see, and
fills in those it may edit; a field they may only see is never on their form and keeps its value.
Values are stored as canonical text (`models`): ISO dates, decimals with a point, "true"/"false", choice
values (several choices: one row each); an empty value is no row. Audit entries carry field keys only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, insert, select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, Email, Length, Regexp, StopValidation

from broen import api
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import CHOICE_TYPES, FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import _

PREFIX = "municipal_fields__"
MAX_TEXT = 500
MAX_LONG_TEXT = 4000
#: Whole numbers stay within what every database and spreadsheet reads exactly.
MAX_INTEGER = 10**15
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")


def name_of(key: str) -> str:
    """The form field's name of a field's key."""
    return f"{PREFIX}{key}"


def role_of(municipality: api.Municipality, user: api.User) -> str | None:
    role = user.role_in(municipality.id)
    return role.value if role is not None else None


def may_edit(definition: FieldDefinition, role: str | None) -> bool:
    return role is not None and role in definition.edit_roles


def may_see(definition: FieldDefinition, role: str | None) -> bool:
    return role is not None and (role in definition.see_roles or role in definition.edit_roles)


def _stored(
    db: api.Database, municipality: api.Municipality, definitions: Sequence[FieldDefinition], record_id: int
) -> dict[int, list[str]]:
    """The stored values of a record's fields, by field id, in the order written (one query). The fields are
    the municipality's: their ids pick its values, through the index on (field_id, record_id)."""
    if not definitions:
        return {}
    rows = db.session.execute(
        select(FieldValue.field_id, FieldValue.value)
        .where(
            FieldValue.record_id == record_id,
            FieldValue.field_id.in_([d.id for d in definitions]),
        )
        .order_by(FieldValue.id)
    )
    stored: dict[int, list[str]] = {}
    for field_id, value in rows:
        stored.setdefault(field_id, []).append(value)
    return stored


# --- the form fields --------------------------------------------------------------------------------------


class _Required:
    """The field must be filled in (whitespace alone is not); the message names the field."""

    field_flags = {"required": True}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.process_errors:  # unreadable, not empty: that message says it
            return
        data = field.data
        if data is None or data == [] or (isinstance(data, str) and not data.strip()):
            raise StopValidation(self.message)


class _Bad:
    """A field whose typed text can be unreadable (a number, a date) says so with a message naming it."""

    data: Any

    def __init__(self, *args: Any, bad: str, **kwargs: Any) -> None:
        self.bad = bad
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError:
            raise ValueError(self.bad) from None


class _Integer(_Bad, IntegerField):  # type: ignore[misc]
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) >= MAX_INTEGER:
            self.data = None
            raise ValueError(self.bad)


class _Decimal(_Bad, DecimalField):  # type: ignore[misc]
    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip().replace(",", ".") if valuelist else ""
        super().process_formdata([text] if valuelist else valuelist)
        if self.data is not None and (not self.data.is_finite() or len(str(self.data)) > 40):
            self.data = None
            raise ValueError(self.bad)


class _Date(_Bad, DateField):  # type: ignore[misc]
    pass


class _Choice(SelectField):  # type: ignore[misc]
    def __init__(self, *args: Any, bad: str, **kwargs: Any) -> None:
        super().__init__(*args, invalid_choice_message=bad, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist or [""])  # not sent at all: nothing chosen


class _Choices(SelectMultipleField):  # type: ignore[misc]
    def __init__(self, *args: Any, bad: str, **kwargs: Any) -> None:
        super().__init__(*args, invalid_choice_message=bad, **kwargs)
        self.type = "SelectMultipleField"  # the core's `field` macro shows it as check boxes


def choice_label(choice: Mapping[str, Any], language: str) -> str:
    return str(choice.get("en") if language == "en" else choice.get("da")) or str(choice["value"])


def _unbound(definition: FieldDefinition, language: str) -> Any:
    """The field's unbound WTForms field: label, help and validators in the user's language."""
    label = definition.label(language)
    kwargs: dict[str, Any] = {"description": definition.help(language)}
    validators: list[Any] = []
    if definition.required and definition.type != FieldType.BOOLEAN:
        validators.append(_Required(_("Fill in %(label)s.", label=label)))
    type_ = definition.type
    too_long = _("%(label)s can be at most %(num)d characters long.", label=label, num=MAX_TEXT)
    if type_ == FieldType.TEXT:
        return StringField(label, validators=[*validators, Length(max=MAX_TEXT, message=too_long)], **kwargs)
    if type_ == FieldType.LONG_TEXT:
        message = _("%(label)s can be at most %(num)d characters long.", label=label, num=MAX_LONG_TEXT)
        return TextAreaField(
            label, validators=[*validators, Length(max=MAX_LONG_TEXT, message=message)], **kwargs
        )
    if type_ == FieldType.INTEGER:
        bad = _("Write %(label)s as a whole number, e.g. 12.", label=label)
        return _Integer(label, validators=validators, bad=bad, **kwargs)
    if type_ == FieldType.DECIMAL:
        bad = _("Write %(label)s as a number, e.g. 12.5.", label=label)
        return _Decimal(label, validators=validators, bad=bad, places=None, **kwargs)
    if type_ == FieldType.DATE:
        bad = _("Write %(label)s as a date, e.g. 2026-03-31.", label=label)
        return _Date(label, validators=validators, bad=bad, **kwargs)
    if type_ == FieldType.BOOLEAN:
        return BooleanField(label, **kwargs)
    if type_ in CHOICE_TYPES:
        options = [(str(c["value"]), choice_label(c, language)) for c in definition.choices]
        bad = _("Choose %(label)s among the choices shown.", label=label)
        if type_ == FieldType.CHOICE:
            return _Choice(
                label,
                choices=[SelectChoice("", _("Choose")), *(SelectChoice(v, t) for v, t in options)],
                validators=validators,
                bad=bad,
                **kwargs,
            )
        return _Choices(
            label, choices=[SelectChoice(v, t) for v, t in options], validators=validators, bad=bad, **kwargs
        )
    if type_ == FieldType.EMAIL:
        bad = _("Write %(label)s as an e-mail address, e.g. name@example.dk.", label=label)
        return EmailField(
            label,
            validators=[
                *validators,
                _Optional(),
                Length(max=254, message=bad),
                Email(message=bad, check_deliverability=False),
            ],
            filters=[_strip],
            **kwargs,
        )
    if type_ == FieldType.PHONE:
        bad = _("Write %(label)s as a phone number, e.g. +45 12 34 56 78.", label=label)
        return TelField(
            label,
            validators=[*validators, _Optional(), Regexp(PHONE, message=bad)],
            filters=[_strip],
            **kwargs,
        )
    bad = _("Write %(label)s as a web address, e.g. https://example.dk.", label=label)
    return URLField(
        label,
        validators=[*validators, _Optional(), Length(max=MAX_TEXT, message=too_long), URL(message=bad)],
        filters=[_strip],
        **kwargs,
    )


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Optional:
    """Skip the following validators when the field is empty (after the required check)."""

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            raise StopValidation()


def _python(definition: FieldDefinition, values: list[str]) -> Any:
    """Stored canonical text as the form field's value."""
    if definition.type == FieldType.CHOICES:
        return list(values)
    if not values:
        return False if definition.type == FieldType.BOOLEAN else None
    text = values[0]
    try:
        if definition.type == FieldType.INTEGER:
            return int(text)
        if definition.type == FieldType.DECIMAL:
            return Decimal(text)
        if definition.type == FieldType.DATE:
            return date.fromisoformat(text)
    except (ValueError, InvalidOperation):
        return None
    if definition.type == FieldType.BOOLEAN:
        return text == "true"
    return text


def form_fields(
    municipality: api.Municipality, target: str, record_id: int | None, user: api.User
) -> list[api.ExtraField]:
    """The fields of `target` that `user` may edit, in order, with the record's values (None: a new one)."""
    db = api.db()
    role = role_of(municipality, user)
    definitions = [d for d in services.fields_for(db, municipality, target) if may_edit(d, role)]
    if not definitions:
        return []
    stored = _stored(db, municipality, definitions, record_id) if record_id is not None else {}
    language = api.language_of(user)
    return [
        api.ExtraField(name_of(d.key), _unbound(d, language), _python(d, stored.get(d.id, [])))
        for d in definitions
    ]


# --- saving -----------------------------------------------------------------------------------------------


def _canonical(definition: FieldDefinition, value: Any, language: str) -> list[str]:
    """A form value as the rows to store (empty: none). Raises `api.ExtraFieldError` for a value no form
    of this field gives."""
    name = name_of(definition.key)
    label = definition.label(language)
    type_ = definition.type
    if type_ == FieldType.BOOLEAN:
        return ["true" if value else "false"]
    if value is None or value == "" or value == []:
        return []
    allowed = {str(c["value"]) for c in definition.choices}
    if type_ == FieldType.CHOICES:
        chosen = [value] if isinstance(value, str) else list(value)
        if any(str(v) not in allowed for v in chosen):
            raise api.ExtraFieldError(name, _("Choose %(label)s among the choices shown.", label=label))
        return [c["value"] for c in definition.choices if c["value"] in {str(v) for v in chosen}]
    if type_ == FieldType.CHOICE:
        if str(value) not in allowed:
            raise api.ExtraFieldError(name, _("Choose %(label)s among the choices shown.", label=label))
        return [str(value)]
    if type_ == FieldType.DATE:
        if not isinstance(value, date):
            raise api.ExtraFieldError(name, _("Write %(label)s as a date, e.g. 2026-03-31.", label=label))
        return [value.isoformat()]
    if type_ == FieldType.DECIMAL:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise api.ExtraFieldError(name, _("Write %(label)s as a number, e.g. 12.5.", label=label))
        return [str(value)]
    if type_ == FieldType.INTEGER:
        if not isinstance(value, int) or isinstance(value, bool):
            raise api.ExtraFieldError(name, _("Write %(label)s as a whole number, e.g. 12.", label=label))
        return [str(value)]
    text = str(value).replace("\r\n", "\n").strip()
    return [text] if text else []


def save(
    municipality: api.Municipality, target: str, record_id: int, user: api.User, data: Mapping[str, Any]
) -> list[str]:
    """Store the values of the fields `user` may edit that `data` has, replacing the record's old values of
    those fields only, with one audit entry naming the changed keys. In the caller's transaction: no
    commit. Returns the changed keys. At most two SELECTs, one DELETE and one INSERT.

    The fields' rows are read again under a share lock: an admin's type change (which locks them for
    update) either finished before, and the value is checked against the new type, or waits for this save."""
    db = api.db()
    role = role_of(municipality, user)
    current = (
        api.scoped(FieldDefinition, municipality)
        .where(FieldDefinition.target == target, FieldDefinition.archived_at.is_(None))
        .order_by(FieldDefinition.position, FieldDefinition.id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    definitions = [d for d in db.session.scalars(current) if may_edit(d, role) and name_of(d.key) in data]
    if not definitions:
        return []
    language = api.language_of(user)
    new: dict[int, list[str]] = {}
    for d in definitions:
        canonical = _canonical(d, data[name_of(d.key)], language)
        if d.required and not canonical and d.type != FieldType.BOOLEAN:
            raise api.ExtraFieldError(name_of(d.key), _("Fill in %(label)s.", label=d.label(language)))
        new[d.id] = canonical
    old = _stored(db, municipality, definitions, record_id)
    changed = [d for d in definitions if sorted(old.get(d.id, [])) != sorted(new[d.id])]
    if not changed:
        return []
    ids = [d.id for d in changed]
    db.session.execute(
        delete(FieldValue).where(
            FieldValue.municipality_id == municipality.id,
            FieldValue.record_id == record_id,
            FieldValue.field_id.in_(ids),
        )
    )
    rows = [
        {"municipality_id": municipality.id, "field_id": d.id, "record_id": record_id, "value": value}
        for d in changed
        for value in new[d.id]
    ]
    if rows:
        db.session.execute(insert(FieldValue), rows)
    keys = [d.key for d in changed]
    api.audit.record(
        db,
        "update",
        target,
        record_id,
        by=user,
        municipality_id=municipality.id,
        what="municipal_fields",
        fields=keys,
    )
    return keys


# --- the record's page ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _date_text(iso: str, language: str) -> str:
    """A stored date as the reader's language writes it ("5. mar. 2026"); a list shows a hundred on a page,
    and Babel takes a while for each, so each is written once per process."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    with api.force_locale(language):
        return str(api.format_date(day))


def display(definition: FieldDefinition, values: list[str], language: str) -> str:
    if not values:
        return ""
    type_ = definition.type
    if type_ in CHOICE_TYPES:
        labels = {str(c["value"]): choice_label(c, language) for c in definition.choices}
        return ", ".join(labels.get(v, v) for v in values)
    text = values[0]
    if type_ == FieldType.BOOLEAN:
        return _("Yes") if text == "true" else _("No")
    if type_ == FieldType.DATE:
        return _date_text(text, language)
    if type_ == FieldType.DECIMAL and language == "da":
        return text.replace(".", ",")
    return text


def facts(municipality: api.Municipality, target: str, record_id: int, user: api.User) -> list[api.ExtraFact]:
    """The fields of `target` that `user` may see, with the record's values as text, in order. Showing a
    sensitive field is audited (keys only) and committed. Two queries, however many fields."""
    db = api.db()
    role = role_of(municipality, user)
    definitions = [d for d in services.fields_for(db, municipality, target) if may_see(d, role)]
    if not definitions:
        return []
    stored = _stored(db, municipality, definitions, record_id)
    language = api.language_of(user)
    shown = [
        api.ExtraFact(d.label(language), display(d, stored.get(d.id, []), language)) for d in definitions
    ]
    audit_sensitive(db, municipality, target, record_id, user, definitions)
    return shown


def audit_sensitive(
    db: api.Database,
    municipality: api.Municipality,
    target: str,
    record_id: int | None,
    user: api.User,
    definitions: Sequence[FieldDefinition],
    **details: Any,
) -> None:
    """Record (keys only) and commit that `user` was shown the sensitive ones of `definitions`, if any."""
    sensitive = [d.key for d in definitions if d.sensitive]
    if not sensitive:
        return
    try:
        api.audit.record(
            db,
            "view",
            target,
            record_id,
            by=user,
            municipality_id=municipality.id,
            what="municipal_fields_sensitive",
            fields=sensitive,
            **details,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
