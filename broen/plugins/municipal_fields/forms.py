"""The admin's field-definition forms. Every one carries a CSRF token (Flask-WTF); the rules are checked by
`services` (`FieldError`), the forms only parse what was typed (the choices' lines) and put the message on
its field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from broen import api
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition
from broen.plugins.municipal_fields.services import FieldError, Misfits, _

_l = api.lazy_gettext

TYPE_LABELS = services.TYPE_LABELS
ROLE_LABELS = {
    api.Role.ADMIN: _l("Municipality admin"),
    api.Role.COORDINATOR: _l("Coordinator"),
    api.Role.MENTOR: _l("Volunteer mentor"),
    api.Role.PARTICIPANT: _l("Participant"),
}
#: Who sees and edits a new field until the admin chooses otherwise: the staff.
DEFAULT_ROLES = [api.Role.ADMIN.value, api.Role.COORDINATOR.value]
#: What the choices box takes at most (200 lines of a value and two labels, with room to spare).
MAX_CHOICES_TEXT = 100_000
AT_MOST = _l("Write at most %(max)d characters.")


def parse_choices(text: str) -> list[dict[str, str]]:
    """The choices box, one choice a line as `value | Dansk | English` (the English label may be left
    out); empty lines are skipped. A line that breaks a rule raises `FieldError` naming the line."""
    choices: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        try:
            if len(parts) not in (2, 3):
                raise FieldError("choices", _("Write it as value | Danish | English."))
            choice = services.clean_choice(dict(zip(("value", "da", "en"), parts, strict=False)))
        except FieldError as err:
            raise FieldError("choices", _("Line %(n)d: %(problem)s", n=n, problem=err.message)) from None
        if choice["value"] in seen:
            raise FieldError(
                "choices",
                _(
                    "Line %(n)d: the value %(value)s is on line %(first)d already.",
                    n=n,
                    value=f'"{choice["value"]}"',
                    first=seen[choice["value"]],
                ),
            )
        seen[choice["value"]] = n
        choices.append(choice)
    return choices


def choices_text(choices: list[dict[str, Any]]) -> str:
    """Stored choices as the choices box shows them."""
    return "\n".join(f"{c['value']} | {c['da']} | {c['en']}" for c in choices)


def _roles_field(label: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=[SelectChoice(role.value, text) for role, text in ROLE_LABELS.items()],
        validate_choice=False,  # the service says which roles are allowed
    )


class FieldForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """A new field's definition. (The edit page's form is `EditFieldForm`.)"""

    key = StringField(
        _l("Key"),
        validators=[DataRequired(_l("Write a key, e.g. case_number.")), Length(max=40, message=AT_MOST)],
    )
    type = SelectField(
        _l("Type"),
        choices=[SelectChoice(t.value, label) for t, label in TYPE_LABELS.items()],
        validators=[DataRequired(_l("Choose a type."))],
    )
    label_da = StringField(
        _l("Label in Danish"),
        validators=[DataRequired(_l("Write the Danish label.")), Length(max=120, message=AT_MOST)],
    )
    label_en = StringField(
        _l("Label in English"),
        validators=[DataRequired(_l("Write the English label.")), Length(max=120, message=AT_MOST)],
    )
    help_da = TextAreaField(_l("Help text in Danish"), validators=[Length(max=1000, message=AT_MOST)])
    help_en = TextAreaField(_l("Help text in English"), validators=[Length(max=1000, message=AT_MOST)])
    required = BooleanField(_l("Must be filled in"))
    choices = TextAreaField(_l("Choices"), validators=[Length(max=MAX_CHOICES_TEXT, message=AT_MOST)])
    see_roles = _roles_field(_l("Who may see it"))
    edit_roles = _roles_field(_l("Who may fill it in and change it"))
    sensitive = BooleanField(_l("Sensitive"))

    def fill(self, definition: FieldDefinition) -> None:
        """Show a field's stored definition (on GET)."""
        for name in ("label_da", "label_en", "help_da", "help_en", "required", "see_roles", "edit_roles"):
            self[name].data = getattr(definition, name)
        self.type.data = definition.type.value
        self.sensitive.data = definition.sensitive
        self.choices.data = choices_text(definition.choices)

    def data_for(self, target: str, key: str, type_: str) -> services.FieldData:
        """The typed definition; raises `FieldError` for a malformed choices line."""
        return services.FieldData(
            target=target,
            key=key,
            type=type_,
            label_da=self.label_da.data or "",
            label_en=self.label_en.data or "",
            help_da=self.help_da.data or "",
            help_en=self.help_en.data or "",
            required=bool(self.required.data),
            choices=parse_choices(self.choices.data or ""),
            see_roles=list(self.see_roles.data or []),
            edit_roles=list(self.edit_roles.data or []),
            sensitive=bool(self.sensitive.data),
        )


#: The two answers to "some values cannot become the new type".
MISFIT_LABELS = {
    Misfits.KEEP: _l(
        "Keep them in an archived copy of the field with the old type, so nothing is lost (the copy can be "
        "restored or deleted later)"
    ),
    Misfits.DELETE: _l("Delete them"),
}


class EditFieldForm(FieldForm):
    """A field's definition on its edit page: without the key, which stays. The type may change; when some
    stored values would not convert, the admin chooses what becomes of them (`misfits`), for the counts
    they were shown (`misfits_seen`, a `services.TypeReport.token`)."""

    misfits = RadioField(
        _l("The values that cannot be converted"),
        choices=[SelectChoice(m.value, label) for m, label in MISFIT_LABELS.items()],
        validate_choice=False,  # the service reads only a choice it knows
    )
    misfits_seen = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self["key"]


ConfirmForm = api.ConfirmForm


class PurgeForm(ConfirmForm):
    """The confirmation that an archived field's values go for good, with the number of values shown
    (`seen`): if it changed since, nothing is deleted."""

    seen = HiddenField()
