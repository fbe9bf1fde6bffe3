"""The coordinator's mentor forms. Every one carries a CSRF token (Flask-WTF); the rules are checked by
`services` (`MentorError`), the forms only parse what was typed and put the message on its field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional

from broen import api
from broen.plugins.mentors.models import PARTS_OF_DAY, Background, ContactForm, MentorStatus, slot_bit

_l = api.lazy_gettext

PART_LABELS = {"morning": _l("Morning"), "afternoon": _l("Afternoon"), "evening": _l("Evening")}
BACKGROUNDS = {
    Background.EMPLOYED: _l("Employed"),
    Background.STUDENT: _l("Student"),
    Background.RETIRED: _l("Retired"),
}
STATUSES = {
    MentorStatus.INTERVIEWED: _l("Interviewed"),
    MentorStatus.TRAINED: _l("Trained"),
    MentorStatus.APPROVED: _l("Approved as mentor"),
    MentorStatus.PAUSED: _l("Paused"),
    MentorStatus.LEFT: _l("Left"),
}
CONTACT_FORMS = {
    ContactForm.WALK: _l("Walk"),
    ContactForm.COFFEE: _l("Coffee"),
    ContactForm.PHONE: _l("Phone"),
    ContactForm.ONLINE: _l("Online"),
}


def contact_label(value: int | None) -> str:
    """One contact form (a `ContactForm` bit) in words ("Walk"), or "" for none."""
    try:
        return str(CONTACT_FORMS[ContactForm(value)]) if value is not None else ""
    except (ValueError, KeyError):
        return ""


def slot_name(weekday: int, part: int) -> str:
    """The checkbox value of one availability slot, e.g. "0-2" for Monday evening."""
    return f"{weekday}-{part}"


def availability_mask(values: list[str]) -> int:
    """The checked slots as a bitmask; anything that is not a slot is ignored."""
    mask = 0
    for value in values:
        weekday, _, part = value.partition("-")
        if weekday.isdigit() and part.isdigit() and int(weekday) <= 6 and int(part) < len(PARTS_OF_DAY):
            mask |= slot_bit(int(weekday), int(part))
    return mask


def availability_values(mask: int) -> list[str]:
    return [slot_name(d, p) for d in range(7) for p in range(len(PARTS_OF_DAY)) if mask & slot_bit(d, p)]


def contact_forms_mask(values: list[str]) -> int:
    return sum({int(f) for f in ContactForm if str(int(f)) in values})


def contact_forms_values(mask: int) -> list[str]:
    return [str(int(f)) for f in ContactForm if mask & f]


class MentorForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    name = StringField(_l("Name"), validators=[DataRequired(_l("Write the mentor's name."))])
    email = StringField(_l("E-mail"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional()])
    background = RadioField(
        _l("Background"),
        choices=[SelectChoice(b.value, label) for b, label in BACKGROUNDS.items()],
        validators=[InputRequired(_l("Choose employed, student or retired."))],
    )
    work_experience = TextAreaField(_l("Work experience"), validators=[Optional()])
    interests = StringField(_l("Interests and hobbies"), validators=[Optional()])
    area = StringField(_l("Town or area"), validators=[Optional()])
    availability = SelectMultipleField(
        _l("When they can meet"),
        choices=[slot_name(d, p) for d in range(7) for p in range(len(PARTS_OF_DAY))],
        validate_choice=False,
    )
    capacity = IntegerField(
        _l("Mentees at once"), validators=[InputRequired(_l("Write how many mentees, e.g. 1."))]
    )
    contact_forms = SelectMultipleField(
        _l("How they like to meet"),
        choices=[SelectChoice(str(int(f)), label) for f, label in CONTACT_FORMS.items()],
        validate_choice=False,
    )

    def fill(self, mentor: Any) -> None:
        """Show a mentor's stored details (on GET)."""
        self.name.data = mentor.name
        self.email.data = mentor.email
        self.phone.data = mentor.phone
        self.background.data = str(mentor.background.value)
        self.work_experience.data = mentor.work_experience
        self.interests.data = ", ".join(mentor.interests)
        self.area.data = mentor.area
        self.availability.data = availability_values(mentor.availability)
        self.capacity.data = mentor.capacity
        self.contact_forms.data = contact_forms_values(mentor.contact_forms)


ConfirmForm = api.ConfirmForm


class StatusForm(FlaskForm):  # type: ignore[misc]
    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(s.value, label) for s, label in STATUSES.items()],
        validators=[InputRequired(_l("Choose a status."))],
    )
    since = DateField(_l("From"), validators=[InputRequired(_l("Choose the date."))])
