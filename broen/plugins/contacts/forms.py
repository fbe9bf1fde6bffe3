"""The contacts plugin's forms: its settings (with typed defaults), a contact, the citizen's own rhythm
and a WHO-5 measurement. The rules themselves (a day not ahead, a known form, a note of at most 500
characters, answers 0-5, a rhythm within the minimum) are `services`', so a refused value shows on the
field it belongs to and nothing is written."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from broen import api
from broen.plugins.contacts import services
from broen.plugins.contacts.models import ContactForm, Initiative

_l = api.lazy_gettext

DEFAULTS: dict[str, Any] = {"rhythm_days": services.DEFAULT_RHYTHM_DAYS}

CONTACT_FORMS = {
    ContactForm.MEETING: _l("Meeting"),
    ContactForm.PHONE: _l("Phone"),
    ContactForm.WALK: _l("Walk"),
    ContactForm.MESSAGE: _l("Message"),
}
INITIATIVES = {
    Initiative.CITIZEN: _l("The citizen"),
    Initiative.COORDINATOR: _l("The coordinator"),
}

#: The WHO-5 items in English (the Danish translation uses the official Danish wording), each about
#: "the last two weeks", and the answers from 5 to 0.
WHO5_ITEMS = (
    _l("I have felt cheerful and in good spirits"),
    _l("I have felt calm and relaxed"),
    _l("I have felt active and vigorous"),
    _l("I woke up feeling fresh and rested"),
    _l("My daily life has been filled with things that interest me"),
)
WHO5_ANSWERS = (
    (5, _l("All of the time")),
    (4, _l("Most of the time")),
    (3, _l("More than half of the time")),
    (2, _l("Less than half of the time")),
    (1, _l("Some of the time")),
    (0, _l("At no time")),
)


ANSWER_CHOICES = [SelectChoice(str(v), t) for v, t in WHO5_ANSWERS]


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    rhythm_days = IntegerField(
        _l("Minimum contact rhythm in days"),
        description=_l(
            "Every citizen is due a contact at least this often (three weeks is 21 days). A citizen may "
            "choose a contact more often."
        ),
        validators=[
            InputRequired(),
            NumberRange(services.MIN_RHYTHM_DAYS, services.MAX_RHYTHM_DAYS),
        ],
    )


class LogForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date of the contact."))])
    form = RadioField(
        _l("How"),
        choices=[SelectChoice(f.value, label) for f, label in CONTACT_FORMS.items()],
        validate_choice=False,
    )
    initiative = RadioField(
        _l("Who took the initiative"),
        choices=[SelectChoice(i.value, label) for i, label in INITIATIVES.items()],
        validate_choice=False,
    )
    note = TextAreaField(_l("Short note"), validators=[Optional()])

    def data_for_service(self) -> services.ContactData:
        return services.ContactData(
            on=self.on.data, form=self.form.data, initiative=self.initiative.data, note=self.note.data or ""
        )


def rhythm_label(weeks: int) -> str:
    return str(api.ngettext("Every week", "Every %(num)d weeks", weeks))


def minimum_label(minimum: int) -> str:
    if minimum % 7 == 0:
        every = str(api.ngettext("every week", "every %(num)d weeks", minimum // 7))
    else:
        every = str(api.ngettext("every day", "every %(num)d days", minimum))
    return api.gettext("The minimum: %(every)s", every=every)


class RhythmForm(FlaskForm):  # type: ignore[misc]
    weeks = SelectField(_l("How often"), validate_choice=False)

    def offer(self, minimum: int) -> RhythmForm:
        """Offer the weeks a citizen may choose in a municipality whose minimum is `minimum` days."""
        self.weeks.choices = [
            ("", minimum_label(minimum)),
            *((str(w), rhythm_label(w)) for w in services.rhythm_choices(minimum)),
        ]
        return self

    def chosen(self) -> int | str | None:
        """The weeks chosen, None for the minimum, or the text sent when it is no number."""
        value = (self.weeks.data or "").strip()
        if not value:
            return None
        return int(value) if value.isdigit() else value


class Who5Form(FlaskForm):  # type: ignore[misc]
    on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date of the measurement."))])
    item1 = RadioField(WHO5_ITEMS[0], choices=ANSWER_CHOICES, validate_choice=False)
    item2 = RadioField(WHO5_ITEMS[1], choices=ANSWER_CHOICES, validate_choice=False)
    item3 = RadioField(WHO5_ITEMS[2], choices=ANSWER_CHOICES, validate_choice=False)
    item4 = RadioField(WHO5_ITEMS[3], choices=ANSWER_CHOICES, validate_choice=False)
    item5 = RadioField(WHO5_ITEMS[4], choices=ANSWER_CHOICES, validate_choice=False)

    def answers(self) -> list[str | None]:
        return [self[f"item{n}"].data for n in range(1, 6)]
