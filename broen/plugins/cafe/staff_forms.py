"""The coordinator's café forms. Every one carries a CSRF token (Flask-WTF); the rules the services
check again (`CafeError`) are repeated here only where a form can say it better next to the field."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from broen import api
from broen.plugins.cafe import program
from broen.plugins.cafe.display import GUEST_KINDS

_l = api.lazy_gettext


def optional_int(value: Any) -> int | None:
    """A select's value as an int, or None for the empty choice (or anything that is not a number)."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    return int(value) if str(value).isdigit() else None


class CourseDetailsForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Write the course's title.")), Length(max=program.SHORT_MAX)],
    )
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=program.SHORT_MAX)])
    facilitators = StringField(
        _l("Facilitators"), validators=[Optional(), Length(max=program.FACILITATORS_MAX)]
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Write the number of seats.")),
            NumberRange(1, 500, _l("Between 1 and 500 seats.")),
        ],
    )
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=program.DESCRIPTION_MAX)]
    )


class NewCourseForm(CourseDetailsForm):
    first_date = DateField(_l("First date"), validators=[InputRequired(_l("Choose the first date."))])
    weekday = SelectField(
        _l("Weekday"),
        choices=[SelectChoice("", _l("The first date's weekday"))]
        + [SelectChoice(str(n), day) for n, day in enumerate(api.WEEKDAYS)],
        coerce=optional_int,
    )
    start = TimeField(_l("Start time"), validators=[InputRequired(_l("Write the time, e.g. 17:00."))])
    count = IntegerField(
        _l("Number of sessions"),
        validators=[
            InputRequired(_l("Write how many sessions.")),
            NumberRange(1, 52, _l("Between 1 and 52 sessions.")),
        ],
    )
    minutes = IntegerField(
        _l("Minutes per session"),
        validators=[
            InputRequired(_l("Write how long a session lasts.")),
            NumberRange(15, 600, _l("Between 15 and 600 minutes.")),
        ],
    )


class LocationForm(FlaskForm):  # type: ignore[misc]
    location = StringField(_l("Place"), validators=[Optional(), Length(max=program.SHORT_MAX)])


class MoveForm(FlaskForm):  # type: ignore[misc]
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    start = TimeField(_l("Start time"), validators=[InputRequired(_l("Write the time, e.g. 17:00."))])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            InputRequired(_l("Write how long the session lasts.")),
            NumberRange(15, 600, _l("Between 15 and 600 minutes.")),
        ],
    )


class SignUpForm(FlaskForm):  # type: ignore[misc]
    citizen = SelectField(
        _l("Citizen"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a citizen."))],
    )


def guest_kind_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("No guest talk"))] + [
        SelectChoice(kind.value, label) for kind, label in GUEST_KINDS.items()
    ]


class GuestForm(FlaskForm):  # type: ignore[misc]
    guest_kind = SelectField(_l("Guest talk"), choices=guest_kind_choices)
    guest_name = StringField(
        _l("The guest's name (a company or a person)"),
        validators=[Optional(), Length(max=program.GUEST_NAME_MAX)],
    )


class ItemPlacementForm(GuestForm):
    """An item's page: on which session, and whether it is a guest talk."""

    session = SelectField(_l("Session"), coerce=optional_int, validate_choice=False)


class ItemForm(ItemPlacementForm):
    """A new item on the course page."""

    title = StringField(
        _l("Topic"), validators=[DataRequired(_l("Write the topic.")), Length(max=program.TITLE_MAX)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=program.NOTE_MAX)])


class PlaceForm(FlaskForm):  # type: ignore[misc]
    session = SelectField(_l("Session"), coerce=optional_int, validate_choice=False)


ConfirmForm = api.ConfirmForm
