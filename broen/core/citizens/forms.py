"""The citizen form and the search form."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectChoice, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from broen.core.citizens.services import CitizenData
from broen.core.models import CitizenStatus, User

STATUS_LABELS = {
    CitizenStatus.INTAKE: _l("Intake"),
    CitizenStatus.ACTIVE: _l("Active"),
    CitizenStatus.IN_WORK: _l("In work"),
    CitizenStatus.IN_EDUCATION: _l("In education"),
    CitizenStatus.ENDED: _l("Ended"),
}


def _optional_int(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    return int(value)


class CitizenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Write the citizen's name.")), Length(max=120)]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Email(_l("Write a valid e-mail address.")), Length(max=254)],
    )
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=30)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    contact_person_id = SelectField(_l("Contact person"), coerce=_optional_int, validate_choice=False)
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(s.value, label) for s, label in STATUS_LABELS.items() if s != CitizenStatus.ENDED
        ],
    )
    status_since = DateField(_l("Status since"), validators=[Optional()])
    flexjob_approved = BooleanField(_l("Flex job approved"))
    flexjob_approved_on = DateField(_l("Flex job approved on"), validators=[Optional()])
    flexjob_mental_health_basis = BooleanField(
        _l("Approved on the basis of mental illness or psychological vulnerability")
    )

    def set_contact_choices(self, people: list[User]) -> None:
        self.contact_person_id.choices = [SelectChoice("", _l("— none —"))] + [
            SelectChoice(str(u.id), u.name) for u in people
        ]

    def to_data(self) -> CitizenData:
        return CitizenData(
            name=self.name.data or "",
            email=self.email.data or None,
            phone=self.phone.data or None,
            address=self.address.data or None,
            contact_person_id=self.contact_person_id.data,
            status=CitizenStatus(self.status.data),
            status_since=self.status_since.data,
            flexjob_approved=bool(self.flexjob_approved.data),
            flexjob_approved_on=self.flexjob_approved_on.data,
            flexjob_mental_health_basis=bool(self.flexjob_mental_health_basis.data),
        )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """An empty form: a POST with a valid CSRF token is the confirmation."""
