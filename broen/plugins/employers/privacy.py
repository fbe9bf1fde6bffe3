"""The employers plugin's part of a citizen's data export and erasure (`broen_citizen_data`,
`broen_erase_citizen`).

Export: the companies the citizen can see themselves in, the contacts made on their behalf, their
placements and the placements' check-ins and handovers, with the company's name and the name of the staff
member who wrote each. Erasure: the interests and the contacts go; the placements (kind, company, start,
hours, end) and their tasks (kind, week, due, status, dates, the check-in's yes/no) stay for the outcome
report, with every free text blanked (notes, the reason it ended, to whom it was handed over) and no link
to a contact or a staff member. The companies are the municipality's, not the citizen's: they stay.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased

from broen import api
from broen.plugins.employers.models import Company, Contact, Interest, Placement, Task

_ = api.gettext


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """Everything the plugin holds about `citizen`: four statements, however many rows."""
    session = api.db().session
    by = aliased(api.User)
    interests = session.execute(
        select(
            Interest.id,
            Company.name.label("company"),
            Interest.note,
            by.name.label("by"),
            Interest.created_at,
        )
        .join(Company, Company.id == Interest.company_id)
        .outerjoin(by, by.id == Interest.created_by_id)
        .where(Interest.citizen_id == citizen.id)
        .order_by(Interest.id)
    )
    contacts = session.execute(
        select(
            Contact.id,
            Company.name.label("company"),
            Contact.on,
            Contact.outcome,
            Contact.note,
            by.name.label("by"),
            Contact.created_at,
        )
        .join(Company, Company.id == Contact.company_id)
        .outerjoin(by, by.id == Contact.created_by_id)
        .where(Contact.citizen_id == citizen.id)
        .order_by(Contact.on, Contact.id)
    )
    placements = session.execute(
        select(
            Placement.id,
            Company.name.label("company"),
            Placement.kind,
            Placement.start_on,
            Placement.hours_per_week,
            Placement.ended_on,
            Placement.end_reason,
            Placement.note,
            Placement.contact_id,
            by.name.label("by"),
            Placement.created_at,
            Placement.updated_at,
        )
        .join(Company, Company.id == Placement.company_id)
        .outerjoin(by, by.id == Placement.created_by_id)
        .where(Placement.citizen_id == citizen.id)
        .order_by(Placement.start_on, Placement.id)
    )
    tasks = session.execute(
        select(
            Task.id,
            Task.placement_id,
            Task.kind,
            Task.week,
            Task.due_on,
            Task.status,
            Task.done_on,
            Task.note,
            Task.still_there,
            Task.handed_to,
            by.name.label("by"),
            Task.cancelled_on,
        )
        .join(Placement, Placement.id == Task.placement_id)
        .outerjoin(by, by.id == Task.done_by_id)
        .where(Placement.citizen_id == citizen.id)
        .order_by(Task.placement_id, Task.due_on, Task.id)
    )
    return [
        api.DataSection(
            "interests", _("Companies the citizen can see themselves in"), api.data_records(interests)
        ),
        api.DataSection(
            "contacts", _("Contacts with companies on the citizen's behalf"), api.data_records(contacts)
        ),
        api.DataSection("placements", _("Placements"), api.data_records(placements)),
        api.DataSection(
            "placement_tasks", _("Check-ins and handovers after a placement"), api.data_records(tasks)
        ),
    ]


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Anonymise the citizen's placements and their tasks, delete their interests and contacts. In the
    caller's transaction: nothing is committed here."""
    session = api.db().session
    placement_ids = select(Placement.id).where(Placement.citizen_id == citizen.id).scalar_subquery()
    session.execute(
        update(Task)
        .where(Task.placement_id.in_(placement_ids))
        .values(note="", handed_to="", done_by_id=None)
        .execution_options(synchronize_session="fetch")
    )
    session.execute(
        update(Placement)
        .where(Placement.citizen_id == citizen.id)
        .values(end_reason="", note="", contact_id=None, created_by_id=None)
    )
    session.execute(delete(Contact).where(Contact.citizen_id == citizen.id))
    session.execute(delete(Interest).where(Interest.citizen_id == citizen.id))
