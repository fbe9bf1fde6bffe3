"""The pages plugin's forms (Flask-WTF, so each carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from broen import api
from broen.plugins.pages.models import Audience
from broen.plugins.pages.services import MAX_BODY, MAX_SLUG, MAX_TITLE

_l = api.lazy_gettext


class PageForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    title = StringField(_l("Title"), validators=[InputRequired(_l("Write a title.")), Length(max=MAX_TITLE)])
    news_date = DateField(_l("Date of the news"), validators=[Optional()])
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: # Heading, **bold**, *italic*, - list item, [link text](https://...), "
            "![image text](https://...)."
        ),
        validators=[Length(max=MAX_BODY)],
    )
    slug = StringField(
        _l("Short name"),
        description=_l("Small letters, digits and hyphens. Leave it empty to make it from the title."),
        validators=[Optional(), Length(max=MAX_SLUG)],
    )
    position = IntegerField(
        _l("Order among the pages beside it"),
        description=_l("Smaller numbers come first; pages with the same number are ordered by title."),
        default=0,
        validators=[Optional(), NumberRange(-1000, 1000)],
    )


class PreviewForm(FlaskForm):  # type: ignore[misc]
    """The text to preview, posted by the editor's script (or its Preview button)."""

    body = TextAreaField(validators=[Length(max=MAX_BODY)])


AUDIENCES = {
    Audience.INSTALLATION.value: _l("Everyone in the installation (all municipalities)"),
    Audience.MUNICIPALITY.value: _l("Everyone in the municipality"),
    Audience.ROLE.value: _l("One role in the municipality"),
}
ROLES = {
    api.Role.ADMIN.value: _l("Admins"),
    api.Role.COORDINATOR.value: _l("Coordinators"),
    api.Role.MENTOR.value: _l("Mentors"),
    api.Role.PARTICIPANT.value: _l("Participants"),
}


class PublishForm(FlaskForm):  # type: ignore[misc]
    audience = RadioField(
        _l("Who may read it"),
        choices=[SelectChoice(value, label) for value, label in AUDIENCES.items()],
        validators=[InputRequired(_l("Choose who may read the page."))],
    )
    role = SelectField(
        _l("The role, if one role"),
        choices=[SelectChoice("", "—"), *(SelectChoice(v, label) for v, label in ROLES.items())],
        validators=[Optional()],
    )
