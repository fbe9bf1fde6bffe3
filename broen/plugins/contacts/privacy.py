"""The contacts plugin's part of a citizen's data export and erasure (`broen_citizen_data`,
`broen_erase_citizen`).

Export: the log of contacts (with their notes), the citizen's own rhythm and every WHO-5 measurement, each
with the name of the staff member who wrote it. Erasure: the log of contacts and the rhythm go; the WHO-5
measurements stay for the outcome report as anonymous numbers (the day, the five answers and the score),
without the staff member who recorded them.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased

from broen import api
from broen.plugins.contacts.models import Contact, Rhythm, Who5

_ = api.gettext


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """Everything the plugin holds about `citizen`: three statements, however many rows."""
    session = api.db().session
    by = aliased(api.User)
    contacts = session.execute(
        select(
            Contact.id,
            Contact.on,
            Contact.form,
            Contact.initiative,
            Contact.note,
            by.name.label("by"),
            Contact.created_at,
            Contact.updated_at,
        )
        .outerjoin(by, by.id == Contact.by_id)
        .where(Contact.citizen_id == citizen.id)
        .order_by(Contact.on, Contact.id)
    )
    rhythm = session.execute(
        select(Rhythm.weeks, by.name.label("set_by"), Rhythm.updated_at)
        .outerjoin(by, by.id == Rhythm.set_by_id)
        .where(Rhythm.citizen_id == citizen.id)
    )
    who5 = session.execute(
        select(
            Who5.id,
            Who5.on,
            Who5.item1,
            Who5.item2,
            Who5.item3,
            Who5.item4,
            Who5.item5,
            Who5.score,
            by.name.label("by"),
            Who5.created_at,
        )
        .outerjoin(by, by.id == Who5.by_id)
        .where(Who5.citizen_id == citizen.id)
        .order_by(Who5.on, Who5.id)
    )
    return [
        api.DataSection("contacts", _("Contacts with the coordinator"), api.data_records(contacts)),
        api.DataSection("rhythm", _("The citizen's own contact rhythm"), api.data_records(rhythm)),
        api.DataSection("who5", _("Wellbeing measurements (WHO-5)"), api.data_records(who5)),
    ]


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Delete the citizen's contacts and rhythm; keep their WHO-5 measurements anonymised (no staff
    member). In the caller's transaction: nothing is committed here."""
    session = api.db().session
    session.execute(delete(Contact).where(Contact.citizen_id == citizen.id))
    session.execute(delete(Rhythm).where(Rhythm.citizen_id == citizen.id))
    session.execute(update(Who5).where(Who5.citizen_id == citizen.id).values(by_id=None))
