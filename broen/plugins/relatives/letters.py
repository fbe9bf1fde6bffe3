"""The referral letter to the counselling service, and the words for the plugin's values.

The letter is made from the municipality's own template (the plugin setting `referral_template`) or the
standard one, by plain substitution of `{name}` placeholders: no attribute access, no format
specifications, no template language, so a template (or a relative's name) cannot reach anything else.
What the letter says about the citizen follows the consent: the citizen's name only with
`share_citizen_name`, the note on the situation only with `share_situation`; otherwise the placeholder
says "(not shared)". Without a consent that allows referrals, there is no letter.

The letter is not stored: it is made again from the template and the relative's row whenever it is shown
or sent, so what the coordinator previews is exactly what is sent.
"""

from __future__ import annotations

import re
from typing import Any

from broen import api
from broen.plugins.relatives.blueprint import NAME
from broen.plugins.relatives.models import (
    ConsentForm,
    Referral,
    ReferralKind,
    ReferralStatus,
    Relation,
    Relative,
)
from broen.plugins.relatives.services import RelativeError, _

_l = api.lazy_gettext

RELATIONS = {
    Relation.PARENT: _l("Parent"),
    Relation.PARTNER: _l("Partner"),
    Relation.CHILD: _l("Child"),
    Relation.FRIEND: _l("Friend"),
    Relation.COLLEAGUE: _l("Colleague"),
    Relation.OTHER: _l("Other"),
}
CONSENT_FORMS = {ConsentForm.ORAL: _l("Orally"), ConsentForm.WRITTEN: _l("In writing")}
KINDS = {
    ReferralKind.INDIVIDUAL: _l("Individual conversations"),
    ReferralKind.GROUP_COURSE: _l("Group course"),
    ReferralKind.TEACHING: _l("Teaching"),
}
STATUSES = {
    ReferralStatus.PROPOSED: _l("Proposed"),
    ReferralStatus.SENT: _l("Sent"),
    ReferralStatus.ACCEPTED: _l("Accepted"),
    ReferralStatus.COMPLETED: _l("Completed"),
    ReferralStatus.DECLINED: _l("Declined"),
    ReferralStatus.WITHDRAWN: _l("Withdrawn"),
}

#: The placeholders a template may use, and what each becomes.
PLACEHOLDERS = {
    "counselling_name": _l("the name of the counselling service"),
    "relative_name": _l("the relative's name"),
    "relation": _l("how the relative is close to the citizen"),
    "relative_email": _l("the relative's e-mail"),
    "relative_phone": _l("the relative's phone"),
    "kind": _l("what the relative is referred to (and the course)"),
    "citizen_name": _l("the citizen's name, if the consent allows it"),
    "situation": _l("the note on the situation, if the consent allows it"),
    "coordinator_name": _l("your name"),
    "coordinator_email": _l("your e-mail"),
    "municipality": _l("the municipality's name"),
}

# The standard letter: English here, in the installation's language when sent (the lead translates it).
STANDARD_TEMPLATE = _l(
    "Dear {counselling_name},\n"
    "\n"
    "{municipality} refers a relative to you: {kind}.\n"
    "\n"
    "The relative\n"
    "Name: {relative_name}\n"
    "Relation to the person: {relation}\n"
    "E-mail: {relative_email}\n"
    "Phone: {relative_phone}\n"
    "\n"
    "The person they are close to: {citizen_name}\n"
    "\n"
    "About the situation:\n"
    "{situation}\n"
    "\n"
    "The person has consented to this referral, and the relative knows about it. Please contact the "
    "relative directly.\n"
    "\n"
    "Kind regards\n"
    "{coordinator_name}\n"
    "{coordinator_email}\n"
    "{municipality}\n"
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_template(text: str) -> list[str]:
    """The placeholders in `text` that are not known (each once, in order), e.g. ["citizen_cpr"]."""
    unknown: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each known `{name}` replaced by its value, once: a value that itself looks like a
    placeholder stays as it is."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def shared_fields(relative: Relative) -> list[str]:
    """The names of what a letter for `relative` shares (for the audit log)."""
    fields = ["relative_name", "relation", "relative_email", "relative_phone"]
    if relative.share_citizen_name:
        fields.append("citizen_name")
    if relative.share_situation:
        fields.append("situation")
    return fields


def _kind_words(referral: Referral) -> str:
    words = str(KINDS[referral.kind])
    words = words[:1].lower() + words[1:]  # it follows a colon in the letter
    if referral.course is not None:
        words += f" ({referral.course.title})"
    return words


def render(referral: Referral, by: api.User | None) -> tuple[str, str]:
    """The letter for `referral` written by `by`: (subject, body), in the installation's language.

    Refuses (`RelativeError`) unless the relative's consent holds and allows referrals. The subject names
    no one (mail subjects end up in logs)."""
    relative = referral.relative
    if not relative.consented:
        raise RelativeError("consent", _("The consent was withdrawn: there is no letter to send."))
    if not relative.refer_to_counselling:
        raise RelativeError(
            "consent", _("The citizen's consent does not allow referring this relative to counselling.")
        )
    municipality = relative.municipality
    settings = api.plugin_settings(NAME, municipality)
    with api.force_locale(api.language_of(None)):
        not_shared = _("(not shared)")
        not_given = _("(not given)")
        values: dict[str, Any] = {
            "counselling_name": settings["counselling_name"] or _("the counselling service"),
            "relative_name": relative.name,
            "relation": str(RELATIONS[relative.relation]),
            "relative_email": relative.email or not_given,
            "relative_phone": relative.phone or not_given,
            "kind": _kind_words(referral),
            "citizen_name": relative.citizen.name if relative.share_citizen_name else not_shared,
            "situation": (referral.situation or _("(nothing written)"))
            if relative.share_situation
            else not_shared,
            "coordinator_name": by.name if by is not None else "",
            "coordinator_email": by.email if by is not None else "",
            "municipality": municipality.name,
        }
        template = str(settings["referral_template"] or "").strip() or str(STANDARD_TEMPLATE)
        subject = _("Referral of a relative from %(municipality)s", municipality=municipality.name)
    body = fill(template.replace("\r\n", "\n"), {k: str(v) for k, v in values.items()})
    return subject, body.strip() + "\n"
