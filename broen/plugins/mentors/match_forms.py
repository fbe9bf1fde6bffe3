"""The forms of the coordinator's pages for a citizen's wishes and matches. Each carries a CSRF token
(Flask-WTF); the rules are `services`' (`MentorError`), the forms only parse what was typed."""

from __future__ import annotations

from typing import TypeVar

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from broen import api
from broen.plugins.mentors.models import PARTS_OF_DAY, CitizenWishes, MatchStatus
from broen.plugins.mentors.staff_forms import (
    CONTACT_FORMS,
    availability_values,
    contact_forms_values,
    slot_name,
)

_l = api.lazy_gettext
F = TypeVar("F", bound=FlaskForm)

MATCH_STATUSES = {
    MatchStatus.PROPOSED: _l("Proposed"),
    MatchStatus.ACTIVE: _l("Active"),
    MatchStatus.PAUSED: _l("Paused"),
    MatchStatus.ENDED: _l("Ended"),
}

#: The frequencies offered as choices, in days; "other" takes a number of days.
FREQUENCIES = {7: _l("Every week"), 14: _l("Every 14 days"), 30: _l("Every month")}
OTHER = "other"


def frequency_words(days: int | None) -> str:
    """An agreed frequency in words, e.g. "Every week", "Every 10 days"."""
    if days is None:
        return "—"
    if days in FREQUENCIES:
        return str(FREQUENCIES[days])
    return str(api.ngettext("Every day", "Every %(num)d days", days))


def prefix_ids(form: F, prefix: str) -> F:
    """Give a form's fields ids of their own (`prefix`-...), for two forms with the same fields on one
    page; the field names, which the POST carries, stay as they are."""
    for f in form:
        if f.type != "CSRFTokenField":
            f.id = f"{prefix}-{f.id}"
    return form


class WishesForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    interests = StringField(_l("Interests and hobbies"), validators=[Optional()])
    contact_forms = SelectMultipleField(
        _l("How the citizen would like to meet"),
        choices=[SelectChoice(str(int(f)), label) for f, label in CONTACT_FORMS.items()],
        validate_choice=False,
    )
    area = StringField(_l("Town or area"), validators=[Optional()])
    availability = SelectMultipleField(
        _l("When the citizen can meet"),
        choices=[slot_name(d, p) for d in range(7) for p in range(len(PARTS_OF_DAY))],
        validate_choice=False,
    )
    note = TextAreaField(_l("Anything else the citizen says matters"), validators=[Optional()])

    def fill(self, wishes: CitizenWishes) -> None:
        """Show the stored wishes (on GET)."""
        self.interests.data = ", ".join(wishes.interests or [])
        self.contact_forms.data = contact_forms_values(wishes.contact_forms)
        self.area.data = wishes.area
        self.availability.data = availability_values(wishes.availability)
        self.note.data = wishes.note


class ProposeForm(FlaskForm):  # type: ignore[misc]
    mentor_id = IntegerField(_l("Mentor"), validators=[InputRequired(_l("Choose a mentor from the list."))])


class AgreeForm(FlaskForm):  # type: ignore[misc]
    party = HiddenField(_l("Who agreed"), validators=[InputRequired(_l("Say who agreed."))])


class ActivateForm(FlaskForm):  # type: ignore[misc]
    frequency_days = RadioField(
        _l("How often they meet"),
        choices=[SelectChoice(str(days), label) for days, label in FREQUENCIES.items()]
        + [SelectChoice(OTHER, _l("Another number of days"))],
        validators=[InputRequired(_l("Choose how often they meet."))],
    )
    other_days = IntegerField(_l("Number of days between meetings"), validators=[Optional()])
    contact_form = RadioField(
        _l("How they meet"),
        choices=[SelectChoice(str(int(f)), label) for f, label in CONTACT_FORMS.items()],
        validators=[InputRequired(_l("Choose how you meet."))],
    )
    shared = TextAreaField(_l("What the citizen agreed to share with the mentor"), validators=[Optional()])

    def days(self) -> int | None:
        """The chosen frequency in days (None: "another number" chosen without a number)."""
        if self.frequency_days.data == OTHER:
            value: int | None = self.other_days.data
            return value
        return int(self.frequency_days.data)


class SharedForm(FlaskForm):  # type: ignore[misc]
    shared = TextAreaField(_l("What the citizen agreed to share with the mentor"), validators=[Optional()])


class EndForm(FlaskForm):  # type: ignore[misc]
    end_reason = TextAreaField(
        _l("Why the match ends"), validators=[InputRequired(_l("Write why the match ends."))]
    )
