"""Demo values: the demo's citizens get plausible values in the fields their municipality's preset added
(`broen demo` applies the preset before the plugins' demo data), saved through the same code as the citizen
form, so the lists' columns and filters have something to show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from broen import api
from broen.plugins.municipal_fields import services, values
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType

#: Made-up case workers, for a text field whose key says it holds one.
CASE_WORKERS = ("Birgitte Holm", "Kasper Lund", "Nadia Østergaard")


def _value(definition: FieldDefinition, n: int, municipality: api.Municipality) -> Any:
    """A plausible value of the field for the demo's n-th citizen (None: left empty)."""
    type_ = definition.type
    choices = [str(c["value"]) for c in definition.choices]
    if type_ == FieldType.TEXT:
        if "worker" in definition.key or "behandler" in definition.key:
            return CASE_WORKERS[n % len(CASE_WORKERS)]
        return f"{municipality.slug[:2].upper()}-2026-{1001 + n * 37}"
    if type_ == FieldType.INTEGER:
        return 6 + (n * 7) % 25
    if type_ == FieldType.DECIMAL:
        return Decimal(6 + (n * 7) % 25) + Decimal("0.5")
    if type_ == FieldType.DATE:
        return api.local_today(municipality) - timedelta(days=20 + (n * 41) % 300)
    if type_ == FieldType.BOOLEAN:
        return n % 3 == 0
    if type_ == FieldType.CHOICE and choices:
        return choices[n % len(choices)]
    if type_ == FieldType.CHOICES and choices:
        return sorted({choices[n % len(choices)], choices[(n * 3 + 1) % len(choices)]})
    return None  # long texts, e-mail, phone, web address: left for the staff to fill in


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    """Fill the citizens' fields, as the municipality's admin would on the citizen form."""
    admin = next((u for u in staff if u.role_in(municipality.id) == api.Role.ADMIN), None)
    db = api.db()
    definitions = services.fields_for(db, municipality, "citizen")
    if admin is None or not definitions:
        return
    for n, citizen in enumerate(citizens):
        made = {values.name_of(d.key): _value(d, n, municipality) for d in definitions}
        data = {name: value for name, value in made.items() if value is not None}
        values.save(municipality, "citizen", citizen.id, admin, data)
    db.session.commit()
