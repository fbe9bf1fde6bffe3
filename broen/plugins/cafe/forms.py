"""The café plugin's settings, per municipality, with their typed defaults."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, Form, IntegerField
from wtforms.validators import InputRequired, NumberRange

from broen import api

DEFAULTS: dict[str, Any] = {
    "require_mental_health_flexjob": True,
    "default_session_count": 5,
    "default_session_minutes": 120,
    "default_capacity": 12,
}


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    require_mental_health_flexjob = BooleanField(
        api.lazy_gettext("Only citizens approved for a flex job on the basis of mental illness may sign up")
    )
    default_session_count = IntegerField(
        api.lazy_gettext("Sessions in a new course"), validators=[InputRequired(), NumberRange(1, 52)]
    )
    default_session_minutes = IntegerField(
        api.lazy_gettext("Minutes per session"), validators=[InputRequired(), NumberRange(15, 600)]
    )
    default_capacity = IntegerField(
        api.lazy_gettext("Seats in a new course"), validators=[InputRequired(), NumberRange(1, 500)]
    )
