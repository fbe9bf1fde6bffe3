"""The contacts plugin's operations: the one door for writes (pages, demo data and tests alike).

Each function is one transaction: it checks the rules, writes, adds the audit entry and commits. A broken
rule raises `ContactError(field, message)` before anything is written, with a message fit to show the
user. Everything here is about a citizen, so it is audited under object_type "citizen" with the citizen's
id (`what` says which record); details hold field names and ids, never the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from broen import api
from broen.plugins.contacts.models import Contact, ContactForm, Initiative, Rhythm, Who5

NAME = "contacts"
MAX_NOTE = 500
#: The municipality's minimum contact rhythm: the default and the range its admin may choose from.
DEFAULT_RHYTHM_DAYS = 21
MIN_RHYTHM_DAYS, MAX_RHYTHM_DAYS = 1, 180
#: A WHO-5 measurement is due when the latest is this many days old (about three months).
WHO5_EVERY_DAYS = 91
#: How many answers WHO-5 has, and the highest answer ("All of the time").
WHO5_ITEMS = 5
WHO5_MAX_ANSWER = 5

_ = api.gettext


class ContactError(ValueError):
    """A rule of the contacts plugin was broken; `field` names the form field, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def minimum_days(municipality: api.Municipality) -> int:
    """The municipality's minimum contact rhythm in days (its admin sets it; 21 unless they did)."""
    return int(api.plugin_settings(NAME, municipality)["rhythm_days"])


def rhythm_choices(minimum: int) -> list[int]:
    """The weeks a citizen may choose between: every 1, 2, 3 ... weeks, up to the minimum."""
    return list(range(1, minimum // 7 + 1))


def effective_days(minimum: int, weeks: int | None) -> int:
    """The rhythm that applies: the citizen's own choice, never longer than the minimum."""
    return minimum if weeks is None else min(minimum, weeks * 7)


def _by_id(by: api.User | None) -> int | None:
    return by.id if by is not None else None


def _audit(
    db: api.Database, action: str, citizen_id: int, municipality_id: int, by: api.User | None, **details: Any
) -> None:
    api.audit.record(db, action, "citizen", citizen_id, by=by, municipality_id=municipality_id, **details)


# --- contacts --------------------------------------------------------------------------------------------


@dataclass
class ContactData:
    """A contact as a form gives it: the day, how, who took the initiative, a note the citizen can read."""

    on: date | None
    form: ContactForm | str | None
    initiative: Initiative | str | None
    note: str = ""


def _clean_contact(data: ContactData, today: date) -> dict[str, Any]:
    if data.on is None:
        raise ContactError("on", _("Choose the date of the contact."))
    if data.on > today:
        raise ContactError("on", _("The date cannot be in the future. Log a contact once it has happened."))
    try:
        form = ContactForm(data.form or "")
    except ValueError:
        raise ContactError("form", _("Choose how you were in contact.")) from None
    try:
        initiative = Initiative(data.initiative or "")
    except ValueError:
        raise ContactError("initiative", _("Choose who took the initiative.")) from None
    note = (data.note or "").strip()
    if len(note) > MAX_NOTE:
        raise ContactError("note", _("The note can be at most 500 characters long."))
    return {"on": data.on, "form": form, "initiative": initiative, "note": note}


def log_contact(
    db: api.Database,
    citizen: api.Citizen,
    by: api.User | None,
    data: ContactData,
    *,
    today: date | None = None,
) -> Contact:
    """Log a contact with `citizen` that has taken place."""
    values = _clean_contact(data, today or api.local_today(citizen.municipality))
    contact = Contact(
        municipality_id=citizen.municipality_id, citizen_id=citizen.id, by_id=_by_id(by), **values
    )
    db.session.add(contact)
    db.session.flush()
    _audit(
        db,
        "create",
        citizen.id,
        citizen.municipality_id,
        by,
        what="contacts_contact",
        contact_id=contact.id,
        fields=[k for k, v in values.items() if v],
    )
    db.session.commit()
    return contact


def update_contact(db: api.Database, contact: Contact, by: api.User | None, data: ContactData) -> list[str]:
    """Change a logged contact; returns the names of the fields that changed."""
    values = _clean_contact(data, api.local_today(contact.municipality))
    changed = [name for name, value in values.items() if getattr(contact, name) != value]
    for name in changed:
        setattr(contact, name, values[name])
    if changed:
        _audit(
            db,
            "update",
            contact.citizen_id,
            contact.municipality_id,
            by,
            what="contacts_contact",
            contact_id=contact.id,
            fields=changed,
        )
    db.session.commit()
    return changed


def delete_contact(db: api.Database, contact: Contact, by: api.User | None) -> None:
    """Delete a logged contact for good (the audit log keeps that it existed)."""
    _audit(
        db,
        "delete",
        contact.citizen_id,
        contact.municipality_id,
        by,
        what="contacts_contact",
        contact_id=contact.id,
    )
    db.session.delete(contact)
    db.session.commit()


# --- the citizen's own rhythm ----------------------------------------------------------------------------


def rhythm_of(db: api.Database, citizen: api.Citizen) -> int | None:
    """The citizen's chosen rhythm in weeks, or None for the municipality's minimum."""
    return db.session.scalar(
        select(Rhythm.weeks).where(
            Rhythm.citizen_id == citizen.id, Rhythm.municipality_id == citizen.municipality_id
        )
    )


def set_rhythm(db: api.Database, citizen: api.Citizen, by: api.User | None, weeks: int | None) -> bool:
    """Set how often the citizen wants contact ("Du bestemmer"): every `weeks` weeks, which may not be
    longer than the municipality's minimum, or None for the minimum. Returns whether it changed."""
    minimum = minimum_days(citizen.municipality)
    if weeks is not None and weeks not in rhythm_choices(minimum):
        raise ContactError(
            "weeks",
            api.ngettext(
                "Choose a contact at least every %(num)d day: the rhythm can be more often than the "
                "minimum, not less often.",
                "Choose a contact at least every %(num)d days: the rhythm can be more often than the "
                "minimum, not less often.",
                minimum,
            ),
        )
    api.lock_row(db, api.Citizen, citizen.id)
    row = db.session.scalar(
        select(Rhythm).where(
            Rhythm.citizen_id == citizen.id, Rhythm.municipality_id == citizen.municipality_id
        )
    )
    if (row.weeks if row is not None else None) == weeks:
        db.session.commit()
        return False
    if weeks is None:
        assert row is not None
        db.session.delete(row)
    elif row is None:
        db.session.add(
            Rhythm(
                municipality_id=citizen.municipality_id,
                citizen_id=citizen.id,
                weeks=weeks,
                set_by_id=_by_id(by),
            )
        )
    else:
        row.weeks = weeks
        row.set_by_id = _by_id(by)
    _audit(db, "update", citizen.id, citizen.municipality_id, by, what="contacts_rhythm", fields=["weeks"])
    db.session.commit()
    return True


# --- WHO-5 -----------------------------------------------------------------------------------------------


def who5_score(answers: Sequence[int]) -> int:
    """The WHO-5 score, 0-100: the five answers' sum times 4."""
    return sum(answers) * 4


def record_who5(
    db: api.Database,
    citizen: api.Citizen,
    by: api.User | None,
    on: date | None,
    answers: Sequence[int | str | None],
    *,
    today: date | None = None,
) -> Who5:
    """Record a WHO-5 measurement: the day and the five answers, each 0 ("At no time") to 5 ("All of the
    time"); the score is computed."""
    if on is None:
        raise ContactError("on", _("Choose the date of the measurement."))
    if on > (today or api.local_today(citizen.municipality)):
        raise ContactError("on", _("The date cannot be in the future."))
    if len(answers) != WHO5_ITEMS:
        raise ContactError("item1", _("Answer all five questions."))
    clean: list[int] = []
    for n, answer in enumerate(answers, start=1):
        text = str(answer if answer is not None else "").strip()
        value = answer if isinstance(answer, int) else int(text) if text.isdigit() else None
        if value is None or not 0 <= value <= WHO5_MAX_ANSWER:
            raise ContactError(
                f"item{n}", _("Choose one of the answers, from 5 (all of the time) to 0 (at no time).")
            )
        clean.append(value)
    measurement = Who5(
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        on=on,
        score=who5_score(clean),
        by_id=_by_id(by),
        **{f"item{n}": value for n, value in enumerate(clean, start=1)},
    )
    db.session.add(measurement)
    db.session.flush()
    _audit(
        db,
        "create",
        citizen.id,
        citizen.municipality_id,
        by,
        what="contacts_who5",
        who5_id=measurement.id,
        fields=["on", "item1", "item2", "item3", "item4", "item5", "score"],
    )
    db.session.commit()
    return measurement
