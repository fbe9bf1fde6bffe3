"""The municipal fields plugin's part of a municipality's configuration file: its fields.

Export: every field that is not archived, target by target in their order, as
`[[plugins.municipal_fields.fields]]` tables. Import: every field of the file is checked with the same
rules as the "Fields" pages (`services`), then created, or updated when the municipality has a field of
that target and key (an archived one is restored); the order of the file becomes the order of the
fields. Fields that are not in the file are kept: an import never deletes anything, and never changes
a field's type (that has its own page, which says what happens to the values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from broen import api
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition
from broen.plugins.municipal_fields.services import OBJECT_TYPE, FieldData, FieldError

_ = api.gettext

TEXT_KEYS = ("target", "key", "label_da", "label_en", "help_da", "help_en", "type")
REQUIRED_KEYS = ("target", "key", "label_da", "label_en", "type")
FLAG_KEYS = ("required", "sensitive")
ROLE_KEYS = ("see_roles", "edit_roles")
FIELD_KEYS = (*TEXT_KEYS, *FLAG_KEYS, "choices", *ROLE_KEYS)
CHOICE_KEYS = ("value", "da", "en")


def _attribute_names() -> dict[str, str]:
    return {
        "label_da": _("Danish label"),
        "label_en": _("English label"),
        "help_da": _("Danish help"),
        "help_en": _("English help"),
        "required": _("required"),
        "choices": _("choices"),
        "see_roles": _("who may see it"),
        "edit_roles": _("who may edit it"),
        "sensitive": _("sensitive"),
        "position": _("order"),
        "archived_at": _("restored"),
    }


def _show(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- export ----------------------------------------------------------------------------------------------


def export_section(municipality: api.Municipality) -> dict[str, Any] | None:
    """Every field of the municipality that is not archived, in order, as the file's `fields`."""
    rows = api.db().session.scalars(
        api.scoped(FieldDefinition, municipality)
        .where(FieldDefinition.archived_at.is_(None))
        .order_by(FieldDefinition.target, FieldDefinition.position, FieldDefinition.id)
    )
    fields = []
    for definition in rows:
        item: dict[str, Any] = {
            "target": definition.target,
            "key": definition.key,
            "type": definition.type.value,
            "label_da": definition.label_da,
            "label_en": definition.label_en,
        }
        if definition.help_da:
            item["help_da"] = definition.help_da
        if definition.help_en:
            item["help_en"] = definition.help_en
        item["required"] = definition.required
        if definition.choices:
            item["choices"] = [
                {"value": c["value"], "da": c["da"], "en": c["en"]} for c in definition.choices
            ]
        item["see_roles"] = list(definition.see_roles)
        item["edit_roles"] = list(definition.edit_roles)
        item["sensitive"] = definition.sensitive
        fields.append(item)
    return {"fields": fields} if fields else None


# --- import: checks --------------------------------------------------------------------------------------


def _field_data(raw: Mapping[str, Any], where: str, problems: list[str]) -> FieldData | None:
    """One field of the file as `FieldData`, its types checked (the rules come after); None on a problem."""
    before = len(problems)
    for key in raw:
        if key not in FIELD_KEYS:
            problems.append(
                _(
                    "%(where)s.%(key)s: not a key of a field (those are: %(known)s).",
                    where=where,
                    key=_show(key),
                    known=", ".join(FIELD_KEYS),
                )
            )
    for key in REQUIRED_KEYS:
        if key not in raw:
            problems.append(_("%(where)s.%(key)s: missing.", where=where, key=key))
    for key in TEXT_KEYS:
        if key in raw and not isinstance(raw[key], str):
            problems.append(
                _(
                    "%(where)s.%(key)s: write text in quotes, not %(value)s.",
                    where=where,
                    key=key,
                    value=_show(raw[key]),
                )
            )
    for key in FLAG_KEYS:
        if key in raw and not isinstance(raw[key], bool):
            problems.append(
                _(
                    "%(where)s.%(key)s: write true or false, not %(value)s.",
                    where=where,
                    key=key,
                    value=_show(raw[key]),
                )
            )
    for key in ROLE_KEYS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
            problems.append(
                _(
                    '%(where)s.%(key)s: write a list of roles, e.g. ["admin", "coordinator"].',
                    where=where,
                    key=key,
                )
            )
    choices = raw.get("choices", [])
    if not isinstance(choices, list):
        problems.append(
            _('%(where)s.choices: write a list, e.g. [{ value = "a", da = "A", en = "A" }].', where=where)
        )
    elif len(choices) > services.MAX_CHOICES:
        problems.append(
            _(
                "%(where)s.choices: %(num)d choices; give at most %(limit)d.",
                where=where,
                num=len(choices),
                limit=services.MAX_CHOICES,
            )
        )
    else:
        for n, choice in enumerate(choices, start=1):
            if (
                not isinstance(choice, dict)
                or set(choice) - set(CHOICE_KEYS)
                or not all(isinstance(v, str) for v in choice.values())
            ):
                problems.append(
                    _(
                        '%(where)s.choices[%(n)d]: write { value = "...", da = "...", en = "..." } with text in quotes.',
                        where=where,
                        n=n,
                    )
                )
                break
    if len(problems) > before:
        return None
    return FieldData(
        target=raw["target"],
        key=raw["key"].strip(),
        label_da=raw["label_da"],
        label_en=raw["label_en"],
        type=raw["type"],
        help_da=raw.get("help_da", ""),
        help_en=raw.get("help_en", ""),
        required=raw.get("required", False),
        choices=list(raw.get("choices", [])),
        see_roles=list(raw.get("see_roles", [])),
        edit_roles=list(raw.get("edit_roles", [])),
        sensitive=raw.get("sensitive", False),
    )


def _checked(
    municipality: api.Municipality, section: Mapping[str, Any]
) -> tuple[list[tuple[str, FieldData, dict[str, Any]]], dict[str, api.FieldTarget]]:
    """The file's fields, each checked with the services' rules: (where, data, cleaned values), in the
    file's order, and the targets by key. Raises `api.ConfigurationError` with every problem."""
    problems: list[str] = []
    for key in section:
        if key != "fields":
            problems.append(_("%(key)s: not a key of this part (it has fields only).", key=_show(key)))
    raw_fields = section.get("fields", [])
    if not isinstance(raw_fields, list):
        raise api.ConfigurationError(
            [*problems, _("fields: write each field as a [[plugins.municipal_fields.fields]] table.")]
        )
    targets = {target.key: target for target in api.field_targets(municipality)}
    if len(raw_fields) > services.MAX_FIELDS_PER_TARGET * len(targets):
        raise api.ConfigurationError(
            [
                *problems,
                _(
                    "fields: %(num)d fields; each kind of record may have at most %(limit)d.",
                    num=len(raw_fields),
                    limit=services.MAX_FIELDS_PER_TARGET,
                ),
            ]
        )
    checked = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(raw_fields, start=1):
        where = f"fields[{n}]"
        if not isinstance(raw, dict):
            problems.append(_("%(where)s: write the field as a table.", where=where))
            continue
        data = _field_data(raw, where, problems)
        if data is None:
            continue
        if data.target not in targets:
            problems.append(
                _(
                    "%(where)s.target: fields cannot be added to %(target)s here (the kinds of record are: %(known)s).",
                    where=where,
                    target=_show(data.target),
                    known=", ".join(targets),
                )
            )
            continue
        try:
            services.check_key(data.key)
            values = services.clean(data)
        except FieldError as err:
            problems.append(f"{where}.{err.field}: {err.message}")
            continue
        first = seen.setdefault((data.target, data.key), n)
        if first != n:
            problems.append(
                _(
                    "%(where)s.key: %(key)s is in the file twice for the same kind of record (also fields[%(first)d]).",
                    where=where,
                    key=data.key,
                    first=first,
                )
            )
            continue
        checked.append((where, data, values))
    if problems:
        raise api.ConfigurationError(problems)
    return checked, targets


# --- import ----------------------------------------------------------------------------------------------


def import_section(
    municipality: api.Municipality, section: Mapping[str, Any], user: api.User | None, apply: bool
) -> list[str]:
    """Check the file's fields against the rules and the municipality's fields; with `apply`, create and
    update them (in the caller's transaction, audited, not committed). Returns what changes."""
    db = api.db()
    checked, targets = _checked(municipality, section)
    if apply:
        api.lock_row(db, api.Municipality, municipality.id)
    existing = {
        (d.target, d.key): d
        for d in db.session.scalars(
            api.scoped(FieldDefinition, municipality).execution_options(populate_existing=True)
        )
    }
    language = api.language_of(user)
    names = _attribute_names()
    problems: list[str] = []
    lines: list[str] = []
    updates: list[tuple[FieldDefinition, dict[str, Any], list[str]]] = []
    new: list[tuple[FieldData, dict[str, Any]]] = []
    for where, data, values in checked:
        definition = existing.get((data.target, data.key))
        target_label = targets[data.target].label(language)
        label = values["label_en"] if language == "en" else values["label_da"]
        if definition is None:
            new.append((data, values))
            lines.append(
                _(
                    'Adds the field "%(label)s" (%(key)s) to %(target)s.',
                    label=label,
                    key=data.key,
                    target=target_label,
                )
            )
            continue
        if values["type"] != definition.type:
            problems.append(
                _(
                    "%(where)s.type: the field %(key)s is of the type %(type)s here; an import does not change a "
                    "field's type (the Fields page does, and says what happens to its values).",
                    where=where,
                    key=data.key,
                    type=definition.type.value,
                )
            )
            continue
        removed = {c["value"] for c in definition.choices} - {c["value"] for c in values["choices"]}
        in_use = services.choice_values_in_use(db, definition, removed)
        if in_use:
            value, n = sorted(in_use.items())[0]
            problems.append(
                f"{where}.choices: "
                + api.ngettext(
                    "The choice %(value)s cannot be removed: %(num)d record has it.",
                    "The choice %(value)s cannot be removed: %(num)d records have it.",
                    n,
                    value=f'"{value}"',
                )
            )
            continue
        changed = [
            name for name, value in values.items() if name != "type" and getattr(definition, name) != value
        ]
        if definition.archived_at is not None:
            changed.append("archived_at")
            lines.append(
                _(
                    'Restores the archived field "%(label)s" (%(key)s) of %(target)s.',
                    label=label,
                    key=data.key,
                    target=target_label,
                )
            )
        shown = [names[name] for name in changed if name != "archived_at"]
        if shown:
            lines.append(
                _(
                    'Changes the field "%(label)s" (%(key)s) of %(target)s: %(what)s.',
                    label=label,
                    key=data.key,
                    target=target_label,
                    what=", ".join(shown),
                )
            )
        updates.append((definition, values, changed))
    # The order: the file's fields of each target in the file's order, then those kept, then archived ones.
    in_file = {(data.target, data.key) for _where, data, _values in checked}
    kept = [d for key, d in existing.items() if key not in in_file and d.archived_at is None]
    for target in dict.fromkeys(data.target for _where, data, _values in checked):
        total = sum(1 for _w, d, _v in checked if d.target == target) + sum(
            1 for d in kept if d.target == target
        )
        if total > services.MAX_FIELDS_PER_TARGET:
            problems.append(
                _(
                    "fields: %(target)s would have %(num)d fields; a kind of record may have at most %(limit)d.",
                    target=targets[target].label(language),
                    num=total,
                    limit=services.MAX_FIELDS_PER_TARGET,
                )
            )
    if problems:
        raise api.ConfigurationError(problems)
    moved = sorted(
        {
            targets[d.target].label(language)
            for d, position in _order(checked, existing).items()
            if d.position != position and d.target in targets
        }
    )
    if moved:
        lines.append(_("Puts the fields of %(targets)s in the order of the file.", targets=", ".join(moved)))
    if not lines:
        lines.append(_("The fields are as in the file already."))
    if kept:
        lines.append(
            api.ngettext(
                "Keeps %(num)d field that is not in the file.",
                "Keeps %(num)d fields that are not in the file.",
                len(kept),
            )
        )
    if not apply:
        return lines
    _write(db, municipality, user, new, updates, checked, existing)
    return lines


def _order(
    checked: list[tuple[str, FieldData, dict[str, Any]]],
    existing: dict[tuple[str, str], FieldDefinition],
) -> dict[FieldDefinition, int]:
    """The new position of each existing field of the targets the file names (new fields come later)."""
    result: dict[FieldDefinition, int] = {}
    for target in dict.fromkeys(data.target for _where, data, _values in checked):
        file_keys = [data.key for _where, data, _values in checked if data.target == target]
        rest = sorted(
            (d for (t, k), d in existing.items() if t == target and k not in file_keys),
            key=lambda d: (d.archived_at is not None, d.position, d.id),
        )
        ordered = [existing.get((target, key)) for key in file_keys] + rest
        for position, definition in enumerate(ordered):
            if definition is not None:
                result[definition] = position
    return result


def _write(
    db: api.Database,
    municipality: api.Municipality,
    user: api.User | None,
    new: list[tuple[FieldData, dict[str, Any]]],
    updates: list[tuple[FieldDefinition, dict[str, Any], list[str]]],
    checked: list[tuple[str, FieldData, dict[str, Any]]],
    existing: dict[tuple[str, str], FieldDefinition],
) -> None:
    """Create and update the fields and put them in the file's order; audited, flushed, not committed."""
    moved: dict[int, list[str]] = {}
    for definition, values, changed in updates:
        for name in changed:
            if name == "archived_at":
                definition.archived_at = None
            else:
                setattr(definition, name, values[name])
    for data, values in new:
        definition = FieldDefinition(
            municipality_id=municipality.id, target=data.target, key=data.key, position=0, **values
        )
        db.session.add(definition)
        existing[(data.target, data.key)] = definition
    db.session.flush()
    for definition, position in _order(checked, existing).items():
        if definition.position != position:
            definition.position = position
            moved.setdefault(definition.id, []).append("position")
    created = {existing[(data.target, data.key)].id for data, _values in new}
    for data, _values in new:
        definition = existing[(data.target, data.key)]
        api.audit.record(
            db,
            "create",
            OBJECT_TYPE,
            definition.id,
            by=user,
            municipality_id=municipality.id,
            target=data.target,
            key=data.key,
        )
    for definition, _values, changed in updates:
        fields = sorted({*changed, *moved.pop(definition.id, [])})
        if fields:
            api.audit.record(
                db,
                "update",
                OBJECT_TYPE,
                definition.id,
                by=user,
                municipality_id=municipality.id,
                fields=fields,
            )
    for field_id, fields in moved.items():
        if field_id not in created:
            api.audit.record(
                db, "update", OBJECT_TYPE, field_id, by=user, municipality_id=municipality.id, fields=fields
            )
    db.session.flush()
