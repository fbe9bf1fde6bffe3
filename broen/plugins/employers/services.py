"""The employers plugin's operations: companies, a citizen's interests, contacts on a citizen's behalf,
placements and their follow-up (retention check-ins and the handover at six months). The one door for
writes: pages, demo data and tests alike.

Each write is one transaction: it checks the rules, writes, adds the audit entries (field names and ids,
never values) and commits. A broken rule raises `EmployerError(field, message)` before anything is
written, with a message fit to show the user next to the field it names.

A placement of a kind that is followed up (flex job, ordinary job, education) gets its check-ins at the
municipality's weeks after the start (setting `checkin_weeks`) and a handover to the retention consultant
six calendar months after it. Moving the start moves the open ones; ending the placement (or a check-in's
"no, not there any more") cancels the open ones: they stay, marked cancelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from broen import api
from broen.plugins.employers.blueprint import NAME
from broen.plugins.employers.models import (
    FOLLOWED_UP,
    Company,
    Contact,
    Interest,
    Outcome,
    Placement,
    PlacementKind,
    Task,
    TaskKind,
    TaskStatus,
)

_ = api.gettext

COMPANY = "employers_company"
INTEREST = "employers_interest"
CONTACT = "employers_contact"
PLACEMENT = "employers_placement"
TASK = "employers_task"

MAX_TEXT = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_NOTE = 2000
MAX_SHORT_NOTE = 500
MAX_REASON = 300
MAX_HOURS = Decimal(37)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
#: The default weeks after a placement's start of its retention check-ins.
DEFAULT_WEEKS = "2, 4, 8, 13, 17, 22"
#: How many months after the start a placement is handed over to the retention consultant.
HANDOVER_MONTHS = 6

local_today = api.local_today


class EmployerError(ValueError):
    """A rule was broken; `field` names the form field it belongs to, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- dates -----------------------------------------------------------------------------------------------


def parse_weeks(text: str) -> list[int]:
    """The check-in weeks of the setting `checkin_weeks` ("2, 4, 8"), sorted and unique; ValueError with a
    message fit for the admin when a part is not a whole number of weeks from 1 to 25."""
    weeks: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 25:
            raise ValueError(
                _("Write whole numbers of weeks from 1 to 25, separated by commas, e.g. 2, 4, 8, 13.")
            )
        weeks.add(int(part))
    return sorted(weeks)


def checkin_weeks(municipality: api.Municipality) -> list[int]:
    """The municipality's check-in weeks (the default's when its setting cannot be read)."""
    try:
        return parse_weeks(str(api.plugin_settings(NAME, municipality).get("checkin_weeks", DEFAULT_WEEKS)))
    except ValueError:
        return parse_weeks(DEFAULT_WEEKS)


# --- companies -------------------------------------------------------------------------------------------


@dataclass
class CompanyData:
    """A company's facts, as a form gives them."""

    name: str
    cvr: str = ""
    address: str = ""
    industry: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    note: str = ""


def _one_line(value: str, field: str, label: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(value.split())
    if len(text) > limit:
        raise EmployerError(
            field, _("%(what)s can be at most %(num)d characters long.", what=label, num=limit)
        )
    return text


def _clean_company(
    db: api.Database, municipality: api.Municipality, data: CompanyData, own_id: int | None
) -> dict[str, Any]:
    name = _one_line(data.name, "name", _("The name"))
    if not name:
        raise EmployerError("name", _("Write the company's name."))
    cvr = "".join(data.cvr.split())
    if cvr and (len(cvr) != 8 or not cvr.isdigit()):
        raise EmployerError(
            "cvr", _("A CVR number has 8 digits, e.g. 12345678. Leave it empty if you do not know it.")
        )
    if cvr:
        clash = db.session.scalar(
            api.scoped(Company, municipality).where(Company.cvr == cvr, Company.id != (own_id or 0)).limit(1)
        )
        if clash is not None:
            raise EmployerError("cvr", _("Another company has this CVR number: %(name)s.", name=clash.name))
    email = data.email.strip()
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        raise EmployerError(
            "email", _("Write a valid e-mail address, e.g. name@example.dk, or leave it empty.")
        )
    phone = " ".join(data.phone.split())
    digits = sum(c.isdigit() for c in phone)
    if phone and (len(phone) > MAX_PHONE or not PHONE.match(phone) or not 6 <= digits <= 15):
        raise EmployerError("phone", _("Write a phone number, e.g. 12 34 56 78, or leave it empty."))
    note = data.note.strip()
    if len(note) > MAX_NOTE:
        raise EmployerError("note", _("The note can be at most %(num)d characters long.", num=MAX_NOTE))
    return {
        "name": name,
        "search_name": name.casefold(),
        "cvr": cvr or None,
        "address": _one_line(data.address, "address", _("The address")),
        "industry": _one_line(data.industry, "industry", _("What they do")),
        "contact_name": _one_line(data.contact_name, "contact_name", _("The contact person's name")),
        "phone": phone,
        "email": email,
        "note": note,
    }


def create_company(
    db: api.Database,
    municipality: api.Municipality,
    by: api.User | None,
    data: CompanyData,
    *,
    commit: bool = True,
) -> Company:
    """Add a company to the municipality's shared list."""
    values = _clean_company(db, municipality, data, None)
    company = Company(municipality_id=municipality.id, **values)
    db.session.add(company)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        COMPANY,
        company.id,
        by=by,
        municipality_id=municipality.id,
        fields=[k for k, v in values.items() if v and k != "search_name"],
    )
    if commit:
        db.session.commit()
    return company


def update_company(db: api.Database, company: Company, by: api.User | None, data: CompanyData) -> list[str]:
    """Change a company's facts; returns the names of the changed fields."""
    municipality = db.session.get_one(api.Municipality, company.municipality_id)
    values = _clean_company(db, municipality, data, company.id)
    fields = [k for k, v in values.items() if getattr(company, k) != v and k != "search_name"]
    if not fields:
        return []
    for key, value in values.items():
        setattr(company, key, value)
    api.audit.record(
        db, "update", COMPANY, company.id, by=by, municipality_id=company.municipality_id, fields=fields
    )
    db.session.commit()
    return fields


def _same_municipality(company: Company, citizen: api.Citizen) -> None:
    if company.municipality_id != citizen.municipality_id:
        raise EmployerError("company_id", _("Choose one of the municipality's companies."))


def _note(value: str, limit: int = MAX_NOTE, field: str = "note") -> str:
    note = value.strip()
    if len(note) > limit:
        raise EmployerError(field, _("The note can be at most %(num)d characters long.", num=limit))
    return note


def _past_date(value: date | None, field: str, today: date, what: str) -> date:
    if value is None:
        raise EmployerError(field, _("Choose the date."))
    if value > today:
        raise EmployerError(field, _("%(what)s cannot be in the future.", what=what))
    return value


# --- interests -------------------------------------------------------------------------------------------


def add_interest(
    db: api.Database,
    citizen: api.Citizen,
    by: api.User | None,
    company: Company | None,
    note: str = "",
    new_company: CompanyData | None = None,
) -> Interest:
    """Record a company `citizen` can see themselves in: an existing one, or `new_company`, made on the
    spot (in the same transaction)."""
    clean_note = _note(note, MAX_SHORT_NOTE)
    try:
        if company is None:
            if new_company is None or not new_company.name.strip():
                raise EmployerError("company_id", _("Choose a company, or write the name of a new one."))
            try:
                company = create_company(db, citizen.municipality, by, new_company, commit=False)
            except EmployerError as err:
                raise EmployerError("new_company", err.message) from None
        _same_municipality(company, citizen)
        exists = db.session.scalar(
            select(Interest.id).where(Interest.citizen_id == citizen.id, Interest.company_id == company.id)
        )
        if exists is not None:
            raise EmployerError(
                "company_id", _("The citizen's interest in this company is recorded already.")
            )
        interest = Interest(
            municipality_id=citizen.municipality_id,
            citizen_id=citizen.id,
            company_id=company.id,
            note=clean_note,
            created_by_id=by.id if by else None,
        )
        db.session.add(interest)
        db.session.flush()
        fields = ["company_id", *(["note"] if clean_note else [])]
        api.audit.record(
            db,
            "create",
            INTEREST,
            interest.id,
            by=by,
            municipality_id=citizen.municipality_id,
            citizen_id=citizen.id,
            fields=fields,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return interest


def remove_interest(db: api.Database, interest: Interest, by: api.User | None) -> None:
    api.audit.record(
        db,
        "delete",
        INTEREST,
        interest.id,
        by=by,
        municipality_id=interest.municipality_id,
        citizen_id=interest.citizen_id,
    )
    db.session.delete(interest)
    db.session.commit()


# --- contacts --------------------------------------------------------------------------------------------


def record_contact(
    db: api.Database,
    citizen: api.Citizen,
    by: api.User | None,
    company: Company,
    on: date | None,
    outcome: Outcome | str | None,
    note: str = "",
) -> Contact:
    """Record a contact made with `company` on `citizen`'s behalf (not on a day in the future)."""
    _same_municipality(company, citizen)
    day = _past_date(on, "on", local_today(citizen.municipality), _("The date of the contact"))
    try:
        result = Outcome(outcome or "")
    except ValueError:
        raise EmployerError("outcome", _("Choose what came of the contact.")) from None
    clean_note = _note(note)
    contact = Contact(
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        company_id=company.id,
        on=day,
        outcome=result,
        note=clean_note,
        created_by_id=by.id if by else None,
    )
    db.session.add(contact)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        CONTACT,
        contact.id,
        by=by,
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        fields=["company_id", "on", "outcome", *(["note"] if clean_note else [])],
    )
    db.session.commit()
    return contact


# --- placements ------------------------------------------------------------------------------------------


def parse_hours(value: str | Decimal | float | None, kind: PlacementKind) -> Decimal | None:
    """Hours a week: more than 0 and at most 37 (a decimal comma is fine); optional for an education."""
    text = str(value).strip().replace(",", ".") if value is not None else ""
    if not text:
        if kind == PlacementKind.EDUCATION:
            return None
        raise EmployerError("hours_per_week", _("Write the hours a week, e.g. 12 or 7,5."))
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise EmployerError(
            "hours_per_week", _("Write the hours a week as a number, e.g. 12 or 7,5.")
        ) from None
    if not hours.is_finite() or not Decimal(0) < hours <= MAX_HOURS:
        raise EmployerError("hours_per_week", _("The hours a week must be more than 0 and at most 37."))
    if hours != hours.quantize(Decimal("0.01")):
        raise EmployerError("hours_per_week", _("Write the hours with at most two decimals."))
    return hours.quantize(Decimal("0.01"))


@dataclass
class PlacementData:
    """A placement, as a form gives it."""

    kind: PlacementKind | str | None
    start_on: date | None
    hours_per_week: str | Decimal | None = None
    note: str = ""
    #: The contact it came from.
    contact_id: int | None = None


def _kind(value: PlacementKind | str | None) -> PlacementKind:
    try:
        return PlacementKind(value or "")
    except ValueError:
        raise EmployerError("kind", _("Choose what the citizen was placed in.")) from None


def _schedule(placement: Placement, weeks: list[int]) -> list[Task]:
    """The follow-up tasks of a new placement of a followed-up kind."""
    if placement.kind not in FOLLOWED_UP:
        return []
    tasks = [
        Task(
            municipality_id=placement.municipality_id,
            kind=TaskKind.CHECKIN,
            week=week,
            due_on=placement.start_on + timedelta(weeks=week),
            status=TaskStatus.OPEN,
        )
        for week in weeks
    ]
    tasks.append(
        Task(
            municipality_id=placement.municipality_id,
            kind=TaskKind.HANDOVER,
            due_on=api.add_months(placement.start_on, HANDOVER_MONTHS),
            status=TaskStatus.OPEN,
        )
    )
    return tasks


def record_placement(
    db: api.Database, citizen: api.Citizen, by: api.User | None, company: Company, data: PlacementData
) -> Placement:
    """Record a hire of `citizen` at `company`. A flex job, ordinary job or education gets its check-ins and
    its handover to the retention consultant; an internship gets none."""
    _same_municipality(company, citizen)
    kind = _kind(data.kind)
    if data.start_on is None:
        raise EmployerError("start_on", _("Choose the start date."))
    hours = parse_hours(data.hours_per_week, kind)
    note = _note(data.note)
    contact_id = None
    if data.contact_id is not None:
        contact_id = db.session.scalar(
            select(Contact.id).where(Contact.id == data.contact_id, Contact.citizen_id == citizen.id)
        )
    placement = Placement(
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        company_id=company.id,
        kind=kind,
        start_on=data.start_on,
        hours_per_week=hours,
        note=note,
        contact_id=contact_id,
        created_by_id=by.id if by else None,
    )
    placement.tasks = _schedule(placement, checkin_weeks(citizen.municipality))
    db.session.add(placement)
    db.session.flush()
    fields = [
        "company_id",
        "kind",
        "start_on",
        *(["hours_per_week"] if hours else []),
        *(["note"] if note else []),
    ]
    api.audit.record(
        db,
        "create",
        PLACEMENT,
        placement.id,
        by=by,
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        fields=fields,
        tasks=len(placement.tasks),
    )
    db.session.commit()
    return placement


def _lock(db: api.Database, placement_id: int) -> Placement:
    """Lock the placement's row (the transaction's first statement) and read it and its tasks afresh: two
    changes of the same placement (a check-in's "no" and an edit) run one after the other."""
    api.lock_row(db, Placement, placement_id)
    return db.session.scalars(
        select(Placement)
        .where(Placement.id == placement_id)
        .options(selectinload(Placement.tasks))
        .execution_options(populate_existing=True)
    ).one()


def _check_running(placement: Placement) -> None:
    if placement.ended_on is not None:
        raise EmployerError("placement", _("The placement has ended. It can no longer be changed."))


def update_placement(
    db: api.Database,
    placement: Placement,
    by: api.User | None,
    company: Company,
    start_on: date | None,
    hours_per_week: str | Decimal | None,
    note: str = "",
) -> list[str]:
    """Change a running placement's company, start, hours or note. A new start moves its open check-ins
    and handover with it. Returns the names of the changed fields."""
    if company.municipality_id != placement.municipality_id:
        raise EmployerError("company_id", _("Choose one of the municipality's companies."))
    if start_on is None:
        raise EmployerError("start_on", _("Choose the start date."))
    hours = parse_hours(hours_per_week, placement.kind)
    clean_note = _note(note)
    try:
        placement = _lock(db, placement.id)
        _check_running(placement)
        done = [
            t for t in placement.tasks if t.status == TaskStatus.DONE and t.done_on and t.done_on < start_on
        ]
        if start_on != placement.start_on and done:
            raise EmployerError(
                "start_on", _("A check-in was done before this date. The start cannot be after it.")
            )
        values = {"company_id": company.id, "start_on": start_on, "hours_per_week": hours, "note": clean_note}
        fields = [k for k, v in values.items() if getattr(placement, k) != v]
        if not fields:
            db.session.rollback()
            return []
        moved = 0
        if "start_on" in fields:
            for task in placement.tasks:
                if task.status != TaskStatus.OPEN:
                    continue
                if task.kind == TaskKind.CHECKIN and task.week is not None:
                    task.due_on = start_on + timedelta(weeks=task.week)
                else:
                    task.due_on = api.add_months(start_on, HANDOVER_MONTHS)
                moved += 1
        for key, value in values.items():
            setattr(placement, key, value)
        api.audit.record(
            db,
            "update",
            PLACEMENT,
            placement.id,
            by=by,
            municipality_id=placement.municipality_id,
            citizen_id=placement.citizen_id,
            fields=fields,
            tasks_moved=moved,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return fields


def _cancel_open(db: api.Database, placement: Placement, on: date, keep: int | None = None) -> list[int]:
    """Cancel the placement's open tasks (but `keep`); returns their ids."""
    ids = []
    for task in placement.tasks:
        if task.status == TaskStatus.OPEN and task.id != keep:
            task.status = TaskStatus.CANCELLED
            task.cancelled_on = on
            ids.append(task.id)
    return ids


def _end(
    db: api.Database,
    placement: Placement,
    by: api.User | None,
    on: date,
    reason: str,
    keep: int | None = None,
) -> int:
    placement.ended_on = on
    placement.end_reason = reason
    cancelled = _cancel_open(db, placement, on, keep)
    api.audit.record(
        db,
        "update",
        PLACEMENT,
        placement.id,
        by=by,
        municipality_id=placement.municipality_id,
        citizen_id=placement.citizen_id,
        fields=["ended_on", "end_reason"],
        tasks_cancelled=len(cancelled),
    )
    if cancelled:
        api.audit.record_each(
            db,
            "update",
            TASK,
            cancelled,
            by=by,
            municipality_id=placement.municipality_id,
            citizen_id=placement.citizen_id,
            fields=["status"],
        )
    return len(cancelled)


def end_placement(
    db: api.Database, placement: Placement, by: api.User | None, on: date | None, reason: str
) -> int:
    """End a running placement on `on` (not before its start, not in the future) with a reason; its open
    check-ins and handover are cancelled. Returns how many."""
    municipality = db.session.get_one(api.Municipality, placement.municipality_id)
    day = _past_date(on, "ended_on", local_today(municipality), _("The end date"))
    text = _one_line(reason, "end_reason", _("The reason"), MAX_REASON)
    if not text:
        raise EmployerError("end_reason", _("Write why the placement ended."))
    try:
        placement = _lock(db, placement.id)
        _check_running(placement)
        if day < placement.start_on:
            raise EmployerError("ended_on", _("The end date cannot be before the start."))
        cancelled = _end(db, placement, by, day, text)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return cancelled


def _lock_task(db: api.Database, task: Task) -> tuple[Placement, Task]:
    placement = _lock(db, task.placement_id)
    fresh = next(t for t in placement.tasks if t.id == task.id)
    if fresh.status != TaskStatus.OPEN:
        raise EmployerError("task", _("This is done or cancelled already."))
    _check_running(placement)
    return placement, fresh


def _done(
    db: api.Database,
    placement: Placement,
    task: Task,
    by: api.User | None,
    day: date,
    note: str,
    **answers: Any,
) -> None:
    """Mark a locked task done on `day` with its note and answers (columns of the task), audited by field."""
    task.status, task.done_on, task.note = TaskStatus.DONE, day, note
    task.done_by_id = by.id if by else None
    for name, value in answers.items():
        setattr(task, name, value)
    api.audit.record(
        db,
        "update",
        TASK,
        task.id,
        by=by,
        municipality_id=task.municipality_id,
        citizen_id=placement.citizen_id,
        fields=["status", "done_on", *answers, *(["note"] if note else [])],
    )


def complete_checkin(
    db: api.Database,
    task: Task,
    by: api.User | None,
    on: date | None,
    still_there: bool | None,
    note: str = "",
) -> int:
    """Record a check-in: the day, a note and whether the citizen is still in the job or education. "No"
    ends the placement on that day and cancels its other open tasks; returns how many were cancelled."""
    if task.kind != TaskKind.CHECKIN:
        raise EmployerError("task", _("This is not a check-in."))
    municipality = db.session.get_one(api.Municipality, task.municipality_id)
    day = _past_date(on, "done_on", local_today(municipality), _("The date of the check-in"))
    if still_there is None:
        raise EmployerError("still_there", _("Answer whether the citizen is still in the job or education."))
    clean_note = _note(note)
    try:
        placement, fresh = _lock_task(db, task)
        if day < placement.start_on:
            raise EmployerError("done_on", _("The check-in cannot be before the placement started."))
        _done(db, placement, fresh, by, day, clean_note, still_there=still_there)
        cancelled = 0
        if not still_there:
            reason = _(
                "Not in the job or education any more at the check-in in week %(week)d.", week=fresh.week or 0
            )
            cancelled = _end(db, placement, by, day, reason, keep=fresh.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return cancelled


def complete_handover(
    db: api.Database, task: Task, by: api.User | None, on: date | None, handed_to: str, note: str = ""
) -> None:
    """Record the handover to the retention consultant: the day and to whom."""
    if task.kind != TaskKind.HANDOVER:
        raise EmployerError("task", _("This is not a handover."))
    municipality = db.session.get_one(api.Municipality, task.municipality_id)
    day = _past_date(on, "done_on", local_today(municipality), _("The date of the handover"))
    receiver = _one_line(handed_to, "handed_to", _("To whom"), MAX_REASON)
    if not receiver:
        raise EmployerError("handed_to", _("Write to whom the citizen was handed over."))
    clean_note = _note(note)
    try:
        placement, fresh = _lock_task(db, task)
        _done(db, placement, fresh, by, day, clean_note, handed_to=receiver)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
