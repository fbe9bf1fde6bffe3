"""The meeting form, shared by the coordinator's match page and the mentor's own pages: plan a meeting
(day, time, how long, how) or log one that took place (day, how long, how, a short note). The rules
(a planned meeting needs a time and a day not past, a logged one a day not ahead) are `services`'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional

from broen import api
from broen.plugins.mentors.services import MeetingData
from broen.plugins.mentors.staff_forms import CONTACT_FORMS

_l = api.lazy_gettext


class MeetingForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    at = TimeField(_l("Time"), validators=[Optional()])
    duration_minutes = IntegerField(
        _l("Duration in minutes"), validators=[InputRequired(_l("Write how many minutes, e.g. 60."))]
    )
    contact_form = RadioField(
        _l("How"),
        choices=[SelectChoice(str(int(f)), label) for f, label in CONTACT_FORMS.items()],
        validators=[InputRequired(_l("Choose how you meet."))],
    )
    note = TextAreaField(_l("Short note"), validators=[Optional()])

    def data_for_service(self) -> MeetingData:
        """The typed values, once `validate_on_submit()` passed."""
        return MeetingData(
            on=self.on.data,
            at=self.at.data,
            duration_minutes=self.duration_minutes.data,
            contact_form=int(self.contact_form.data),
            note=self.note.data or "",
        )
