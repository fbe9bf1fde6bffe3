"""A citizen's rights over their data: everything broen holds about one citizen (GDPR art. 15), and its
erasure (art. 17).

Complete by construction: the core gives its own parts, and every installed plugin, on or off in the
citizen's municipality, gives its parts (`broen_citizen_data`) and erases them (`broen_erase_citizen`);
a plugin that fails stops the export or undoes the erasure. An erased citizen's row stays, with its status
history and nothing else, so the funder's numbers survive as anonymous counts; the audit log records that
an erasure happened and how many records went, never what they held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update

from broen.calendar.models import FeedToken
from broen.core import audit
from broen.core.dates import add_months
from broen.core.db import Database, utcnow
from broen.core.models import (
    AuditEntry,
    Citizen,
    CitizenStatus,
    CitizenStatusChange,
    Invitation,
    LoginFailure,
    Membership,
    Municipality,
    Role,
    User,
)
from broen.core.plugin_values import DataSection
from broen.core.plugins import PluginRegistry, encode_setting

#: What an erased citizen is called from then on (the row keeps no name).
ERASED_NAME = "Slettet borger"
#: The format of the JSON export, for whoever reads it later.
EXPORT_VERSION = 1


@dataclass(frozen=True)
class Part:
    """Who holds a share of the citizen's data: the core or a plugin (`source`, its title) and its sections."""

    source: str
    title: str
    sections: list[DataSection]

    @property
    def records(self) -> int:
        return sum(len(s.records) for s in self.sections)


def _json(value: Any) -> Any:
    """A stored value as JSON holds it: enums by their value, the rest as a setting is stored."""
    return value.value if isinstance(value, Enum) else encode_setting(value)


def data_records(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows of a `select(...)` of columns as records of a `DataSection`: one mapping per row, by the
    columns' names (label them), with dates, times, decimals and enums as JSON has them."""
    return [{key: _json(value) for key, value in row._mapping.items()} for row in rows]


def _row(obj: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {name: _json(getattr(obj, name)) for name in columns}


def audit_about(citizen: Citizen) -> Any:
    """The audit entries about the citizen: on the record itself, or naming it in their details."""
    return or_(
        (AuditEntry.object_type == "citizen") & (AuditEntry.object_id == citizen.id),
        AuditEntry.details["citizen_id"].as_integer() == citizen.id,
    )


def _core_part(db: Database, citizen: Citizen) -> Part:
    record = _row(
        citizen,
        (
            "id",
            "name",
            "email",
            "phone",
            "address",
            "status",
            "status_since",
            "flexjob_approved",
            "flexjob_approved_on",
            "flexjob_mental_health_basis",
            "created_at",
            "updated_at",
        ),
    )
    record["contact_person"] = citizen.contact_person.name if citizen.contact_person else None
    history = [_row(c, ("status", "on", "at")) for c in citizen.status_changes]
    invitations = [
        _row(i, ("channel", "created_at", "expires_at", "used_at", "revoked_at"))
        for i in db.session.scalars(
            select(Invitation).where(Invitation.citizen_id == citizen.id).order_by(Invitation.id)
        )
    ]
    login = []
    if citizen.user_id is not None:
        user = db.session.get_one(User, citizen.user_id)
        login.append(_row(user, ("email", "name", "language", "created_at", "last_login_at")))
    trail = [
        _row(e, ("at", "user_name", "action", "object_type", "object_id", "details"))
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.municipality_id == citizen.municipality_id, audit_about(citizen))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    ]
    labels = {
        "id": _("Number"),
        "name": _("Name"),
        "email": _("E-mail"),
        "phone": _("Phone"),
        "address": _("Address"),
        "status": _("Status"),
        "status_since": _("Status since"),
        "flexjob_approved": _("Flex job approved"),
        "flexjob_approved_on": _("Flex job approved on"),
        "flexjob_mental_health_basis": _("Mental health basis"),
        "created_at": _("Created"),
        "updated_at": _("Last changed"),
        "contact_person": _("Contact person"),
        "on": _("Date"),
        "at": _("Time"),
        "channel": _("How it was handed over"),
        "expires_at": _("Expires"),
        "used_at": _("Used"),
        "revoked_at": _("Withdrawn"),
        "language": _("Language"),
        "last_login_at": _("Last log-in"),
        "user_name": _("Who"),
        "action": _("What"),
        "object_type": _("Kind of record"),
        "object_id": _("Record number"),
        "details": _("Details"),
    }
    return Part(
        "core",
        "broen",
        [
            DataSection("citizen", _("The citizen's record"), [record], labels),
            DataSection("status_history", _("Status history"), history, labels),
            DataSection("invitations", _("Invitations to the participant pages"), invitations, labels),
            DataSection("login", _("Log-in to the participant pages"), login, labels),
            DataSection("audit", _("Who has seen and changed the record (audit log)"), trail, labels),
        ],
    )


def citizen_parts(
    db: Database, plugins: PluginRegistry, citizen: Citizen, language: str = "da"
) -> list[Part]:
    """Everything broen holds about `citizen`: the core's part, then each installed plugin's that holds any."""
    parts = [_core_part(db, citizen)]
    for name, sections in plugins.call_each("broen_citizen_data", citizen=citizen):
        sections = list(sections or [])
        if not all(isinstance(s, DataSection) for s in sections):
            raise TypeError(f"plugin {name!r}: broen_citizen_data must return DataSection items")
        if any(s.records for s in sections):
            parts.append(Part(name, plugins.info[name].title(language), sections))
    return parts


def export_citizen(
    db: Database, plugins: PluginRegistry, citizen: Citizen, by: User, language: str = "da"
) -> tuple[dict[str, Any], list[Part]]:
    """The citizen's data as a JSON-able mapping (and the parts, for the readable summary); audited."""
    parts = citizen_parts(db, plugins, citizen, language)
    exported = {
        "broen_citizen_export": EXPORT_VERSION,
        "exported_at": utcnow().isoformat(),
        "municipality": citizen.municipality.name,
        "parts": {part.source: {section.key: section.records for section in part.sections} for part in parts},
    }
    audit.record(
        db,
        audit.EXPORT,
        "citizen",
        citizen.id,
        by=by,
        municipality_id=citizen.municipality_id,
        what="all data",
        parts=sorted(part.source for part in parts),
    )
    db.session.commit()
    return exported, parts


def erase_citizen(
    db: Database, plugins: PluginRegistry, citizen: Citizen, by: User | None
) -> Mapping[str, int]:
    """Erase the citizen's data everywhere, in one transaction: each plugin's part through its hook, the
    core's log-in, invitations and login failures, and the record's personal fields. The status history
    stays (anonymous numbers for the reports); the citizen's course is ended if it was not. Returns the
    number of records each holder had, which is what the audit entry keeps."""
    if citizen.erased_at is not None:
        return {}
    counts = {part.source: part.records for part in citizen_parts(db, plugins, citizen)}
    try:
        plugins.call_each("broen_erase_citizen", citizen=citizen, by=by)
        db.session.flush()
        _erase_core(db, citizen, by)
        audit.record(
            db,
            audit.ERASE,
            "citizen",
            citizen.id,
            by=by,
            municipality_id=citizen.municipality_id,
            records=counts,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def _erase_core(db: Database, citizen: Citizen, by: User | None) -> None:
    db.session.execute(delete(Invitation).where(Invitation.citizen_id == citizen.id))
    emails = {citizen.email} - {None}
    if citizen.user_id is not None:
        user = db.session.get_one(User, citizen.user_id)
        citizen.user_id = None
        emails.add(user.email)
        memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
        if all(m.role == Role.PARTICIPANT for m in memberships):
            # A log-in that was only ever the citizen's: it goes, and the audit log forgets its name.
            db.session.execute(
                update(AuditEntry)
                .where(AuditEntry.user_id == user.id)
                .values(user_id=None, user_name=ERASED_NAME, remote_addr=None)
            )
            db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
            db.session.flush()
            db.session.delete(user)
    if emails:
        db.session.execute(delete(LoginFailure).where(LoginFailure.email.in_(emails)))
    if citizen.status != CitizenStatus.ENDED:
        today = date.today()
        citizen.status, citizen.status_since = CitizenStatus.ENDED, today
        citizen.status_changes.append(
            CitizenStatusChange(status=CitizenStatus.ENDED, on=today, by_id=by.id if by else None)
        )
    citizen.name = ERASED_NAME
    citizen.search_name = ERASED_NAME.casefold()
    citizen.email = citizen.phone = citizen.address = None
    citizen.contact_person_id = None
    citizen.erased_at = utcnow()


# --- retention -------------------------------------------------------------------------------------------

#: The years a municipality may keep ended citizens' records (its admin chooses; 5 unless they did).
RETENTION_YEARS = range(1, 31)


def retention_cutoff(municipality: Municipality, today: date) -> date:
    """Citizens whose course ended on or before this day are due for erasure."""
    return add_months(today, -12 * municipality.retention_years)


def due_for_erasure(db: Database, municipality: Municipality, today: date) -> list[Citizen]:
    """The municipality's citizens whose course ended longer ago than it keeps records, not erased yet."""
    return list(
        db.session.scalars(
            select(Citizen)
            .where(
                Citizen.municipality_id == municipality.id,
                Citizen.status == CitizenStatus.ENDED,
                Citizen.status_since <= retention_cutoff(municipality, today),
                Citizen.erased_at.is_(None),
            )
            .order_by(Citizen.status_since, Citizen.id)
        )
    )


def enforce_retention(
    db: Database,
    plugins: PluginRegistry,
    today: date,
    echo: Callable[[str], object] = print,
    *,
    dry_run: bool = False,
) -> int:
    """Erase every municipality's citizens who are due (`due_for_erasure`), each in its own transaction, and
    say what was done; safe to run daily and twice (an erased citizen is not due again). Returns how many."""
    erased = 0
    for municipality in db.session.scalars(select(Municipality).order_by(Municipality.name)).all():
        due = due_for_erasure(db, municipality, today)
        cutoff = retention_cutoff(municipality, today)
        echo(
            f"{municipality.name}: records are kept {municipality.retention_years} years after the course "
            f"ended; {len(due)} ended on or before {cutoff.isoformat()}"
            + (" (dry run: nothing erased)" if dry_run and due else "")
        )
        if dry_run:
            continue
        for n, citizen in enumerate(due, 1):
            erase_citizen(db, plugins, citizen, None)
            erased += 1
            if n % 100 == 0 or n == len(due):
                echo(f"  erased {n} of {len(due)}")
    return erased
