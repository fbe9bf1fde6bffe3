"""Who is due a contact, and when: the due date of each citizen from their last contact (or their start),
the rhythm that applies to them, and whether a WHO-5 measurement is due.

One query for any number of citizens (the columns it needs, not whole rows); the dates are computed in
Python, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from broen import api
from broen.plugins.contacts.models import Contact, Rhythm, Who5
from broen.plugins.contacts.services import WHO5_EVERY_DAYS, effective_days, minimum_days


@dataclass(frozen=True)
class Due:
    """A citizen's place in the contact rhythm on `today`."""

    citizen_id: int
    name: str
    contact_person_id: int | None
    contact_person: str | None
    last_contact: date | None
    #: The citizen's start: the day of their first status, or the day the record was made.
    start: date
    #: The rhythm that applies, in days, and the citizen's own choice in weeks (None: the minimum).
    rhythm_days: int
    own_weeks: int | None
    due: date
    who5_on: date | None
    who5_due: bool
    today: date

    @property
    def overdue(self) -> bool:
        return self.due < self.today

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.due).days)

    @property
    def due_this_week(self) -> bool:
        return self.today <= self.due <= api.week_end(self.today)


def due_of(
    db: api.Database,
    municipality: api.Municipality,
    *,
    contact_person_id: int | None = None,
    citizen_ids: Iterable[int] | None = None,
    today: date | None = None,
) -> list[Due]:
    """The municipality's citizens who are not ended (only those of `contact_person_id`, or only
    `citizen_ids`, when given), soonest due first: the most overdue at the top. One query."""
    today = today or api.local_today(municipality)
    minimum = minimum_days(municipality)
    mine = api.Citizen.municipality_id == municipality.id
    last = (
        select(Contact.citizen_id, func.max(Contact.on).label("on"))
        .where(Contact.municipality_id == municipality.id)
        .group_by(Contact.citizen_id)
        .subquery()
    )
    started = (
        select(api.CitizenStatusChange.citizen_id, func.min(api.CitizenStatusChange.on).label("on"))
        .where(api.CitizenStatusChange.citizen_id.in_(select(api.Citizen.id).where(mine)))
        .group_by(api.CitizenStatusChange.citizen_id)
        .subquery()
    )
    measured = (
        select(Who5.citizen_id, func.max(Who5.on).label("on"))
        .where(Who5.municipality_id == municipality.id)
        .group_by(Who5.citizen_id)
        .subquery()
    )
    stmt = (
        select(
            api.Citizen.id,
            api.Citizen.name,
            api.Citizen.contact_person_id,
            api.User.name,
            api.Citizen.created_at,
            last.c.on,
            started.c.on,
            Rhythm.weeks,
            measured.c.on,
        )
        .outerjoin(api.User, api.User.id == api.Citizen.contact_person_id)
        .outerjoin(last, last.c.citizen_id == api.Citizen.id)
        .outerjoin(started, started.c.citizen_id == api.Citizen.id)
        .outerjoin(Rhythm, Rhythm.citizen_id == api.Citizen.id)
        .outerjoin(measured, measured.c.citizen_id == api.Citizen.id)
        .where(mine, api.Citizen.status != api.CitizenStatus.ENDED)
    )
    if contact_person_id is not None:
        stmt = stmt.where(api.Citizen.contact_person_id == contact_person_id)
    if citizen_ids is not None:
        stmt = stmt.where(api.Citizen.id.in_(list(citizen_ids)))
    rows = []
    for cid, name, person_id, person, created_at, last_on, start_on, weeks, who5_on in db.session.execute(
        stmt
    ):
        start = start_on or api.local_date(created_at, municipality) or today
        days = effective_days(minimum, weeks)
        rows.append(
            Due(
                citizen_id=cid,
                name=name,
                contact_person_id=person_id,
                contact_person=person,
                last_contact=last_on,
                start=start,
                rhythm_days=days,
                own_weeks=weeks,
                due=(last_on or start) + timedelta(days=days),
                who5_on=who5_on,
                who5_due=who5_on is None or (today - who5_on).days >= WHO5_EVERY_DAYS,
                today=today,
            )
        )
    return sorted(rows, key=lambda r: (r.due, r.name.casefold(), r.citizen_id))


def overdue(rows: Sequence[Due]) -> list[Due]:
    return [r for r in rows if r.overdue]


def due_this_week(rows: Sequence[Due]) -> list[Due]:
    return [r for r in rows if r.due_this_week]


def who5_due(rows: Sequence[Due]) -> list[Due]:
    return [r for r in rows if r.who5_due]
