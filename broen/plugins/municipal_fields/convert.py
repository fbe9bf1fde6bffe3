"""Converting a field's stored values to another type: pure functions, no database.

A record's value is its list of stored canonical texts (one for most types, one per choice for several
choices). It converts to the new type by the rules the record's form checks a typed value with (`values`):
text at most 500 characters on one line, long text at most 4000, a whole number below 10**15 ("12.0"
converts, "12.5" does not), a decimal with a comma or a point, an ISO date, yes/no ("true"/"false", and
"ja"/"nej"/"yes"/"no" in any case), one choice or several choices among the new choices, an e-mail address,
a phone number, a web address. A record with several choices converts to a single-valued type only when it
has just one. The result is canonical text again, as the form would have stored it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms.validators import URL, Email, ValidationError

from broen.plugins.municipal_fields.models import FieldType
from broen.plugins.municipal_fields.values import MAX_INTEGER, MAX_LONG_TEXT, MAX_TEXT, PHONE

#: Longest e-mail address a form takes.
MAX_EMAIL = 254
#: Longest decimal (as canonical text) a form takes.
MAX_DECIMAL = 40
BOOLEANS = {"true": "true", "false": "false", "ja": "true", "nej": "false", "yes": "true", "no": "false"}


@dataclass
class Conversion:
    """What converting a field's values gives: the new values of the records that convert (in the order
    they came), and the records that do not."""

    #: How many records have a value.
    records: int = 0
    converted: dict[int, list[str]] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)


class _Typed:
    """The little of a WTForms field that a validator reads."""

    def __init__(self, data: str) -> None:
        self.data = data

    def gettext(self, text: str) -> str:
        return text


_EMAIL = Email(message="-", check_deliverability=False)
_URL = URL(message="-")


def _passes(validator: Any, text: str) -> bool:
    try:
        validator(None, _Typed(text))
    except ValidationError:
        return False
    return True


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _one(text: str, new_type: FieldType, allowed: Sequence[str]) -> str | None:
    """One stored text as canonical text of `new_type` (not a choices type), or None if it does not fit."""
    text = text.replace("\r\n", "\n").strip()
    if new_type == FieldType.TEXT:
        return text if len(text) <= MAX_TEXT and "\n" not in text else None
    if new_type == FieldType.LONG_TEXT:
        return text if len(text) <= MAX_LONG_TEXT else None
    if new_type == FieldType.INTEGER:
        number = _number(text)
        if number is None or number != number.to_integral_value() or abs(number) >= MAX_INTEGER:
            return None
        return str(int(number))
    if new_type == FieldType.DECIMAL:
        number = _number(text)
        return str(number) if number is not None and len(str(number)) <= MAX_DECIMAL else None
    if new_type == FieldType.DATE:
        try:
            return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
        except ValueError:
            return None
    if new_type == FieldType.BOOLEAN:
        return BOOLEANS.get(text.lower())
    if new_type == FieldType.CHOICE:
        return text if text in allowed else None
    if new_type == FieldType.EMAIL:
        return text if len(text) <= MAX_EMAIL and _passes(_EMAIL, text) else None
    if new_type == FieldType.PHONE:
        return text if PHONE.match(text) else None
    if new_type == FieldType.URL:
        return text if len(text) <= MAX_TEXT and _passes(_URL, text) else None
    raise ValueError(new_type)


def convert_value(stored: Sequence[str], new_type: FieldType, allowed: Sequence[str]) -> list[str] | None:
    """A record's stored texts as the canonical texts of `new_type` with the choice values `allowed`, or
    None if they do not fit. (An empty list: the record keeps no value, e.g. a text of only spaces.)"""
    if new_type == FieldType.CHOICES:
        chosen = {text.strip() for text in stored if text.strip()}
        if not chosen <= set(allowed):
            return None
        return [value for value in allowed if value in chosen]
    texts = [text for text in stored if text.strip()]
    if len(texts) > 1:
        return None
    if not texts:
        return []
    one = _one(texts[0], new_type, allowed)
    return [one] if one is not None else None


def convert(
    stored: Mapping[int, Sequence[str]], new_type: FieldType | str, choices: Sequence[Mapping[str, Any]]
) -> Conversion:
    """Convert every record's value (`stored`: record id → its stored texts) to `new_type`, whose choices
    (for one choice and several choices) are `choices` (`[{"value": ...}, ...]`)."""
    new_type = FieldType(new_type)
    allowed = [str(c["value"]) for c in choices]
    result = Conversion()
    for record_id, texts in stored.items():
        if not texts:
            continue
        result.records += 1
        new = convert_value(texts, new_type, allowed)
        if new is None:
            result.failed.append(record_id)
        else:
            result.converted[record_id] = new
    return result
