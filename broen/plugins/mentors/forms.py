"""The mentor plugin's settings, per municipality, with their typed defaults."""

from __future__ import annotations

from typing import Any

from wtforms import Form, IntegerField
from wtforms.validators import InputRequired, NumberRange

from broen import api

DEFAULTS: dict[str, Any] = {
    "candidates_shown": 20,
}


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    candidates_shown = IntegerField(
        api.lazy_gettext("Mentors shown when finding a match for a citizen"),
        validators=[InputRequired(), NumberRange(1, 200)],
    )
