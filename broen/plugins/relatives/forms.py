"""The relatives plugin's settings, per municipality, with their typed defaults."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, Field, Form, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from broen import api
from broen.plugins.relatives import letters

#: The longest consent text or letter template a municipality may write.
MAX_TEXT = 6000

DEFAULTS: dict[str, Any] = {
    "counselling_name": "SIND Pårørenderådgivning",
    #: Where referrals are sent; "" means referrals can be made but not sent by e-mail from broen.
    "counselling_email": "",
    #: "" means the standard letter (`letters.STANDARD_TEMPLATE`), in the municipality's language.
    "referral_template": "",
    #: "" means the standard consent text of the public referral form.
    "consent_text": "",
}


def known_placeholders(form: Form, field: Field) -> None:
    """A letter template may use only the known placeholders; the message names the others."""
    unknown = letters.check_template(field.data or "")
    if unknown:
        raise ValidationError(
            api.ngettext(
                "The letter uses a placeholder that does not exist: %(names)s. Use only: %(known)s.",
                "The letter uses placeholders that do not exist: %(names)s. Use only: %(known)s.",
                len(unknown),
                names=", ".join("{" + name + "}" for name in unknown),
                known=", ".join("{" + name + "}" for name in letters.PLACEHOLDERS),
            )
        )


class SettingsForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    counselling_name = StringField(
        api.lazy_gettext("Name of the counselling service"), validators=[Optional(), Length(max=200)]
    )
    counselling_email = EmailField(
        api.lazy_gettext("E-mail address referrals are sent to"),
        validators=[Optional(), Email(), Length(max=254)],
    )
    referral_template = TextAreaField(
        api.lazy_gettext("The referral letter"),
        description=api.lazy_gettext(
            "The letter sent to the counselling service with a referral. Leave it empty to use the standard "
            "letter. Placeholders in braces are filled in: {counselling_name}, {relative_name}, {relation}, "
            "{relative_email}, {relative_phone}, {kind}, {citizen_name}, {situation}, {coordinator_name}, "
            "{coordinator_email}, {municipality}. The citizen's name and the situation are filled in only "
            "when the citizen's consent allows it."
        ),
        validators=[Optional(), Length(max=MAX_TEXT), known_placeholders],
    )
    consent_text = TextAreaField(
        api.lazy_gettext("Consent text on the public referral form"),
        description=api.lazy_gettext(
            "What a person who refers someone agrees to: what is stored, who sees it, what it is used for, "
            "how long it is kept and that they may ask to have it deleted. Leave it empty to use the "
            "standard text."
        ),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
