"""The employers plugin's settings (per municipality, with typed defaults) and the forms of its pages.

The forms only collect what was typed; the services check the rules and name the field that is wrong."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field, Form, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from broen import api
from broen.plugins.employers import services
from broen.plugins.employers.models import Company, Outcome, PlacementKind

_l = api.lazy_gettext

DEFAULTS: dict[str, Any] = {
    #: Weeks after a placement's start of its retention check-ins.
    "checkin_weeks": services.DEFAULT_WEEKS,
    #: Who placements are handed over to at six months (a name and/or e-mail), shown in the task.
    "retention_consultant": "",
}

OUTCOMES = {
    Outcome.NO: _l("No"),
    Outcome.LATER: _l("Later"),
    Outcome.INTERNSHIP: _l("Internship"),
    Outcome.JOB_INTERVIEW: _l("Job interview"),
    Outcome.FLEX_JOB: _l("Flex job"),
    Outcome.ORDINARY_JOB: _l("Ordinary job"),
    Outcome.EDUCATION: _l("Education"),
}
KINDS = {
    PlacementKind.FLEXJOB: _l("Flex job"),
    PlacementKind.ORDINARY_JOB: _l("Ordinary job"),
    PlacementKind.INTERNSHIP: _l("Internship"),
    PlacementKind.EDUCATION: _l("Education"),
}


def valid_weeks(form: Form, field: Field) -> None:
    try:
        weeks = services.parse_weeks(field.data or "")
    except ValueError as err:
        raise ValidationError(str(err)) from None
    if not weeks:
        raise ValidationError(api.gettext("Write at least one week, e.g. 2, 4, 8, 13, 17, 22."))


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    checkin_weeks = StringField(
        _l("Weeks after the start of the retention check-ins"),
        description=_l(
            "Whole numbers of weeks from 1 to 25, separated by commas. A flex job, an ordinary job or an "
            "education gets a check-in in each of these weeks after its start, and at six months a handover "
            "to the retention consultant."
        ),
        validators=[InputRequired(), Length(max=200), valid_weeks],
    )
    retention_consultant = StringField(
        _l("The municipality's retention consultant"),
        description=_l("A name and an e-mail address, shown in the handover task at six months."),
        validators=[Optional(), Length(max=300)],
    )


class CompanyForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    name = StringField(_l("Name"), validators=[InputRequired(_l("Write the company's name."))])
    cvr = StringField(_l("CVR number"), validators=[Optional()])
    address = StringField(_l("Address"), validators=[Optional()])
    industry = StringField(_l("What they do"), validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional()])
    email = StringField(_l("E-mail"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional()])

    def company(self) -> services.CompanyData:
        return services.CompanyData(
            **{
                name: self[name].data or ""
                for name in ("name", "cvr", "address", "industry", "contact_name", "phone", "email", "note")
            }
        )

    def fill(self, company: Company) -> None:
        for name in ("name", "address", "industry", "contact_name", "phone", "email", "note"):
            self[name].data = getattr(company, name)
        self.cvr.data = company.cvr or ""


class CompanyChoice:
    """A form's "company" select: the municipality's companies by name."""

    company_id: SelectField

    def set_companies(self, companies: list[tuple[int, str]], empty: str) -> None:
        self.company_id.choices = [SelectChoice("", empty)] + [SelectChoice(str(i), n) for i, n in companies]

    def chosen_company(self) -> int | None:
        value = str(self.company_id.data or "")
        return int(value) if value.isdigit() else None


class InterestForm(FlaskForm, CompanyChoice):  # type: ignore[misc]
    company_id = SelectField(_l("Company"), choices=[], validate_choice=False)
    new_company = StringField(_l("Or a new company's name"), validators=[Optional()])
    note = StringField(_l("Why this company"), validators=[Optional()])


class ContactForm(FlaskForm, CompanyChoice):  # type: ignore[misc]
    company_id = SelectField(_l("Company"), choices=[], validate_choice=False)
    on = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    outcome = RadioField(
        _l("What came of it"),
        choices=[SelectChoice(o.value, label) for o, label in OUTCOMES.items()],
        validators=[InputRequired(_l("Choose what came of the contact."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional()])


class PlacementForm(FlaskForm, CompanyChoice):  # type: ignore[misc]
    company_id = SelectField(_l("Company"), choices=[], validate_choice=False)
    kind = RadioField(
        _l("Placed in"),
        choices=[SelectChoice(k.value, label) for k, label in KINDS.items()],
        validators=[InputRequired(_l("Choose what the citizen was placed in."))],
    )
    start_on = DateField(_l("Start date"), validators=[InputRequired(_l("Choose the start date."))])
    hours_per_week = StringField(_l("Hours a week"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional()])


class EditPlacementForm(FlaskForm, CompanyChoice):  # type: ignore[misc]
    company_id = SelectField(_l("Company"), choices=[], validate_choice=False)
    start_on = DateField(_l("Start date"), validators=[InputRequired(_l("Choose the start date."))])
    hours_per_week = StringField(_l("Hours a week"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional()])


class EndForm(FlaskForm):  # type: ignore[misc]
    ended_on = DateField(_l("Ended on"), validators=[InputRequired(_l("Choose the date."))])
    end_reason = StringField(_l("Why it ended"), validators=[Optional()])


class CheckinForm(FlaskForm):  # type: ignore[misc]
    done_on = DateField(_l("Date of the check-in"), validators=[InputRequired(_l("Choose the date."))])
    still_there = RadioField(
        _l("Is the citizen still in the job or education?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No, it has ended"))],
        validators=[InputRequired(_l("Answer whether the citizen is still in the job or education."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional()])

    def answer(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.still_there.data or "")


class HandoverForm(FlaskForm):  # type: ignore[misc]
    done_on = DateField(_l("Date of the handover"), validators=[InputRequired(_l("Choose the date."))])
    handed_to = StringField(_l("Handed over to"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional()])
