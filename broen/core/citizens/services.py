"""Operations on citizen records: the one door for views, admin, CLI, demo data and tests.

Each operation checks its rules, writes the record and its audit entry in one transaction, and
commits; a rule broken raises `CitizenError` naming the field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, select

from broen.core import audit
from broen.core.db import Database
from broen.core.models import (
    Citizen,
    CitizenStatus,
    CitizenStatusChange,
    Membership,
    Municipality,
    Role,
    User,
)
from broen.core.pagination import PER_PAGE, Page, paginate
from broen.core.tenancy import scoped

#: Roles that may be a citizen's contact person.
CONTACT_ROLES = (Role.ADMIN, Role.COORDINATOR)


class CitizenError(ValueError):
    """A rule about a citizen record was broken; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class CitizenData:
    """The editable facts of a citizen record, as plain values."""

    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    contact_person_id: int | None = None
    status: CitizenStatus = CitizenStatus.INTAKE
    status_since: date | None = None
    flexjob_approved: bool = False
    flexjob_approved_on: date | None = None
    flexjob_mental_health_basis: bool = False


@dataclass(frozen=True)
class CitizenFilter:
    """What a staff member searches for: words of the name, a status, a contact person, and the plugins'
    extra filters (`conditions` on `Citizen.id`, from `ListOptions.conditions`; `extra` names them)."""

    query: str = ""
    status: CitizenStatus | None = None
    contact_person_id: int | None = None
    conditions: tuple[ColumnElement[bool], ...] = ()
    extra: tuple[str, ...] = ()

    def audit_details(self) -> dict[str, object]:
        details: dict[str, object] = {
            "query": self.query,
            "status": self.status.value if self.status else None,
            "contact_person_id": self.contact_person_id,
        }
        if self.extra:
            details["extra_filters"] = list(self.extra)
        return details


def contact_people(db: Database, municipality: Municipality) -> list[User]:
    """Staff who may be a contact person in this municipality, by name."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership)
            .where(Membership.municipality_id == municipality.id, Membership.role.in_(CONTACT_ROLES))
            .where(User.active.is_(True))
            .order_by(User.name)
        )
    )


def _check(db: Database, municipality: Municipality, data: CitizenData) -> None:
    if not data.name or not data.name.strip():
        raise CitizenError("name", _("Write the citizen's name."))
    if data.contact_person_id is not None and data.contact_person_id not in {
        u.id for u in contact_people(db, municipality)
    }:
        raise CitizenError("contact_person_id", _("Choose a contact person from this municipality's staff."))
    if data.flexjob_approved_on and not data.flexjob_approved:
        raise CitizenError("flexjob_approved_on", _("A date of approval needs 'Flex job approved' ticked."))
    if data.flexjob_mental_health_basis and not data.flexjob_approved:
        raise CitizenError(
            "flexjob_mental_health_basis",
            _("The basis of a flex job needs 'Flex job approved' ticked."),
        )
    if data.flexjob_approved_on and data.flexjob_approved_on > date.today():
        raise CitizenError("flexjob_approved_on", _("The date of approval cannot be in the future."))
    if data.status_since and data.status_since > date.today():
        raise CitizenError("status_since", _("The status date cannot be in the future."))


def _apply(citizen: Citizen, data: CitizenData) -> list[str]:
    """Copy `data` onto `citizen`; return the names of the fields that changed."""
    changed = []
    for f in fields(CitizenData):
        if f.name == "status_since":
            continue
        value = getattr(data, f.name)
        if isinstance(value, str):
            value = value.strip() or None if f.name != "name" else value.strip()
        if getattr(citizen, f.name) != value:
            setattr(citizen, f.name, value)
            changed.append(f.name)
    citizen.search_name = citizen.name.casefold()
    return changed


def create_citizen(db: Database, municipality: Municipality, by: User, data: CitizenData) -> Citizen:
    citizen = add_citizen(db, municipality, by, data)
    db.session.commit()
    return citizen


def add_citizen(db: Database, municipality: Municipality, by: User, data: CitizenData) -> Citizen:
    """`create_citizen` without the commit, for a caller that writes more in the same transaction."""
    _check(db, municipality, data)
    since = data.status_since or date.today()
    citizen = Citizen(municipality_id=municipality.id, name="", status_since=since)
    _apply(citizen, data)
    citizen.status_changes.append(CitizenStatusChange(status=citizen.status, on=since, by_id=by.id))
    db.session.add(citizen)
    db.session.flush()
    audit.record(db, audit.CREATE, "citizen", citizen.id, by=by, municipality_id=municipality.id)
    return citizen


def update_citizen(
    db: Database, citizen: Citizen, by: User, data: CitizenData, *, commit: bool = True
) -> list[str]:
    """Save changes; a new status starts a new status period. Returns the changed field names. With
    `commit=False` the caller writes more in the same transaction and commits."""
    municipality = db.session.get_one(Municipality, citizen.municipality_id)
    _check(db, municipality, data)
    old_status = citizen.status
    changed = _apply(citizen, data)
    if citizen.status != old_status:
        citizen.status_since = data.status_since or date.today()
        citizen.status_changes.append(
            CitizenStatusChange(status=citizen.status, on=citizen.status_since, by_id=by.id)
        )
    if changed:
        audit.record(
            db,
            audit.UPDATE,
            "citizen",
            citizen.id,
            by=by,
            municipality_id=citizen.municipality_id,
            fields=changed,
        )
    if commit:
        db.session.commit()
    return changed


def end_citizen(db: Database, citizen: Citizen, by: User, on: date | None = None) -> None:
    """End the course: the record stays (for reports and the citizen's rights) with status ended."""
    if citizen.status == CitizenStatus.ENDED:
        return
    citizen.status = CitizenStatus.ENDED
    citizen.status_since = on or date.today()
    citizen.status_changes.append(
        CitizenStatusChange(status=CitizenStatus.ENDED, on=citizen.status_since, by_id=by.id)
    )
    audit.record(
        db,
        audit.UPDATE,
        "citizen",
        citizen.id,
        by=by,
        municipality_id=citizen.municipality_id,
        fields=["status"],
        status="ended",
    )
    db.session.commit()


def record_view(db: Database, citizen: Citizen, by: User) -> None:
    audit.record(db, audit.VIEW, "citizen", citizen.id, by=by, municipality_id=citizen.municipality_id)
    db.session.commit()


def citizens_named(municipality: Municipality, query: str) -> Select[Citizen]:
    """The municipality's citizens whose name has every word of `query`, in any order ("hansen mette"
    finds "Mette Hansen"), by name. Add conditions and a limit as needed."""
    stmt: Select[Citizen] = scoped(Citizen, municipality).where(Citizen.erased_at.is_(None))
    for word in query.casefold().split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Citizen.search_name.like(f"%{escaped}%", escape="\\"))
    return stmt.order_by(Citizen.search_name, Citizen.id)


def _matching(municipality: Municipality, flt: CitizenFilter) -> Select[Citizen]:
    stmt = citizens_named(municipality, flt.query)
    if flt.status is not None:
        stmt = stmt.where(Citizen.status == flt.status)
    if flt.contact_person_id is not None:
        stmt = stmt.where(Citizen.contact_person_id == flt.contact_person_id)
    if flt.conditions:
        stmt = stmt.where(*flt.conditions)
    return stmt


def find_citizens(
    db: Database,
    municipality: Municipality,
    by: User,
    flt: CitizenFilter = CitizenFilter(),
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[Citizen]:
    """Search by name, filter by status and contact person, one page at a time; logs the search."""
    found: Page[Citizen] = paginate(db, _matching(municipality, flt), page, per_page)
    audit.record(
        db,
        audit.SEARCH,
        "citizen",
        None,
        by=by,
        municipality_id=municipality.id,
        page=found.page,
        shown=[c.id for c in found.items],
        **flt.audit_details(),
    )
    db.session.commit()
    return found


def export_citizens(db: Database, municipality: Municipality, by: User, flt: CitizenFilter) -> list[Citizen]:
    """Every record the filter matches, for a CSV export; logs which records left the system."""
    items = list(db.session.scalars(_matching(municipality, flt)))
    audit.record(
        db,
        audit.EXPORT,
        "citizen",
        None,
        by=by,
        municipality_id=municipality.id,
        exported=[c.id for c in items],
        **flt.audit_details(),
    )
    db.session.commit()
    return items
