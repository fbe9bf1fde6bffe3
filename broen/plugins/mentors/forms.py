"""The mentor plugin's settings, per municipality, with their typed defaults."""

from __future__ import annotations

from typing import Any

from wtforms import Form, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from broen import api

#: The longest consent text a municipality may write for the volunteers' sign-up form.
MAX_CONSENT_TEXT = 4000

DEFAULTS: dict[str, Any] = {
    "candidates_shown": 20,
    #: "" means the standard text (`intake.standard_consent_text`), in the reader's language.
    "consent_text": "",
}


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    candidates_shown = IntegerField(
        api.lazy_gettext("Mentors shown when finding a match for a citizen"),
        validators=[InputRequired(), NumberRange(1, 200)],
    )
    consent_text = TextAreaField(
        api.lazy_gettext("Consent text on the volunteers' sign-up form"),
        description=api.lazy_gettext(
            "What volunteers agree to when they apply: what is stored, who sees it, what it is used for, "
            "how long it is kept and that they may ask to have it deleted. Leave it empty to use the "
            "standard text."
        ),
        validators=[Optional(), Length(max=MAX_CONSENT_TEXT)],
    )
