"""The mentor plugin's operations: the one door for writes (pages, CLI, demo data and tests alike).

Each function is one transaction: it checks the rules, writes, adds the audit entries and commits.
A broken rule raises `MentorError(field, message)` before anything is written, with a message fit to
show the user. Anything about a citizen (their wishes, their matches) is audited under object_type
"citizen" with the citizen's id; details hold field names and ids, never the values.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.mentors.models import (
    ALL_CONTACT_FORMS,
    ALL_SLOTS,
    OPEN_STATUSES,
    Background,
    CitizenWishes,
    ContactForm,
    Match,
    MatchStatus,
    Meeting,
    Mentor,
    MentorStatus,
    MentorStatusChange,
)

NAME = "mentors"
MAX_TAGS = 30
MAX_TAG_LENGTH = 50
MAX_CAPACITY = 20
MAX_SHARED = 2000
MAX_NOTE = 500
MIN_DURATION, MAX_DURATION = 5, 600
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


_ = api.gettext


class MentorError(ValueError):
    """A mentor rule was broken; `field` names the form field it belongs to, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_tags(tags: str | Iterable[str]) -> list[str]:
    """Interests as matching compares them: trimmed, lower-cased, inner spaces collapsed, no repeats,
    in the order given. A string is split on commas (and semicolons)."""
    if isinstance(tags, str):
        tags = re.split(r"[,;\n]", tags)
    seen: list[str] = []
    for tag in tags:
        clean = " ".join(tag.split()).casefold()
        if clean and clean not in seen:
            seen.append(clean)
    if len(seen) > MAX_TAGS:
        raise MentorError("interests", _("Give at most 30 interests."))
    if any(len(tag) > MAX_TAG_LENGTH for tag in seen):
        raise MentorError("interests", _("An interest can be at most 50 characters long."))
    return seen


def _check_masks(availability: int, contact_forms: int) -> None:
    if not 0 <= availability <= ALL_SLOTS:
        raise MentorError("availability", _("Choose times from the weekly grid."))
    if not 0 <= contact_forms <= ALL_CONTACT_FORMS:
        raise MentorError("contact_forms", _("Choose among walk, coffee, phone and online."))


# --- mentors ---------------------------------------------------------------------------------------------


@dataclass
class MentorData:
    """A mentor's details, as a form gives them."""

    name: str
    background: Background | str
    email: str = ""
    phone: str = ""
    work_experience: str = ""
    interests: str | list[str] = field(default_factory=list)
    area: str = ""
    availability: int = 0
    capacity: int = 1
    contact_forms: int = 0


def clean_profile(
    *,
    phone: str,
    background: Background | str,
    area: str,
    interests: str | list[str],
    availability: int,
    contact_forms: int,
) -> dict[str, Any]:
    """The checks a mentor and a volunteer's application share: phone, background, area, interests and the
    weekly times and contact forms; the cleaned values by field name."""
    phone = phone.strip()
    if len(phone) > 40:
        raise MentorError("phone", _("The phone number can be at most 40 characters long."))
    try:
        background = Background(background)
    except ValueError:
        raise MentorError("background", _("Choose employed, student or retired.")) from None
    area = " ".join(area.split())
    if len(area) > 100:
        raise MentorError("area", _("The area can be at most 100 characters long."))
    _check_masks(availability, contact_forms)
    return {
        "phone": phone,
        "background": background,
        "area": area,
        "interests": normalise_tags(interests),
        "availability": availability,
        "contact_forms": contact_forms,
    }


def _clean(data: MentorData) -> dict[str, Any]:
    name = data.name.strip()
    if not name:
        raise MentorError("name", _("Write the mentor's name."))
    if len(name) > 200:
        raise MentorError("name", _("The name can be at most 200 characters long."))
    email = data.email.strip()
    if email and (len(email) > 254 or not EMAIL.match(email)):
        raise MentorError("email", _("Write a valid e-mail address, or leave it empty."))
    profile = clean_profile(
        phone=data.phone,
        background=data.background,
        area=data.area,
        interests=data.interests,
        availability=data.availability,
        contact_forms=data.contact_forms,
    )
    if not 0 <= data.capacity <= MAX_CAPACITY:
        raise MentorError("capacity", _("A mentor can take from 0 to 20 mentees."))
    return {
        "name": name,
        "email": email,
        "work_experience": data.work_experience.strip(),
        "capacity": data.capacity,
        **profile,
    }


def add_mentor(
    db: api.Database,
    municipality: api.Municipality,
    by: api.User | None,
    data: MentorData,
    *,
    status: MentorStatus = MentorStatus.INTERVIEWED,
    since: date | None = None,
) -> Mentor:
    """A new mentor in the pool, with the first entry of their status history and its audit entry, in the
    caller's transaction (not committed: `create_mentor` commits)."""
    values = _clean(data)
    since = since or date.today()
    mentor = Mentor(municipality_id=municipality.id, status=status, status_since=since, **values)
    mentor.history.append(
        MentorStatusChange(
            municipality_id=municipality.id,
            status=status,
            since=since,
            changed_by_id=by.id if by is not None else None,
        )
    )
    db.session.add(mentor)
    db.session.flush()
    api.audit.record(
        db, "create", "mentors_mentor", mentor.id, by=by, municipality_id=municipality.id, status=status
    )
    return mentor


def create_mentor(
    db: api.Database,
    municipality: api.Municipality,
    by: api.User | None,
    data: MentorData,
    *,
    status: MentorStatus = MentorStatus.INTERVIEWED,
    since: date | None = None,
) -> Mentor:
    """A new mentor in the pool (`add_mentor`), committed."""
    mentor = add_mentor(db, municipality, by, data, status=status, since=since)
    db.session.commit()
    return mentor


def update_mentor(db: api.Database, mentor: Mentor, by: api.User | None, data: MentorData) -> list[str]:
    """Change a mentor's details (not the status: `set_status`). Returns the names of changed fields."""
    values = _clean(data)
    fields = [name for name, value in values.items() if getattr(mentor, name) != value]
    if not fields:
        return []
    for name in fields:
        setattr(mentor, name, values[name])
    api.audit.record(
        db,
        "update",
        "mentors_mentor",
        mentor.id,
        by=by,
        municipality_id=mentor.municipality_id,
        fields=fields,
    )
    db.session.commit()
    return fields


def set_status(
    db: api.Database,
    mentor: Mentor,
    by: api.User | None,
    status: MentorStatus | str,
    since: date | None = None,
) -> bool:
    """Move a mentor to `status` from `since` (today), recorded in their history. False if unchanged."""
    try:
        status = MentorStatus(status)
    except ValueError:
        raise MentorError("status", _("Choose a status.")) from None
    since = since or date.today()
    if since < mentor.status_since:
        raise MentorError("since", _("The date cannot be before the current status began."))
    if status == mentor.status:
        return False
    mentor.status = status
    mentor.status_since = since
    mentor.history.append(
        MentorStatusChange(
            municipality_id=mentor.municipality_id,
            status=status,
            since=since,
            changed_by_id=by.id if by is not None else None,
        )
    )
    api.audit.record(
        db,
        "update",
        "mentors_mentor",
        mentor.id,
        by=by,
        municipality_id=mentor.municipality_id,
        fields=["status"],
        status=status,
    )
    db.session.commit()
    return True


def open_matches(db: api.Database, mentor: Mentor) -> int:
    """How many of the mentor's places are taken (proposed and active matches)."""
    return int(
        db.session.scalar(
            select(func.count(Match.id)).where(Match.mentor_id == mentor.id, Match.status.in_(OPEN_STATUSES))
        )
        or 0
    )


# --- the citizen's wishes --------------------------------------------------------------------------------


def wishes_of(db: api.Database, citizen: api.Citizen, by: api.User | None) -> CitizenWishes | None:
    """The citizen's wishes (None if none recorded yet); the read is audited and committed."""
    wishes = db.session.scalar(
        select(CitizenWishes).where(
            CitizenWishes.citizen_id == citizen.id,
            CitizenWishes.municipality_id == citizen.municipality_id,
        )
    )
    api.audit.record(
        db,
        "view",
        "citizen",
        citizen.id,
        by=by,
        municipality_id=citizen.municipality_id,
        what="mentors_wishes",
    )
    db.session.commit()
    return wishes


def set_wishes(
    db: api.Database,
    citizen: api.Citizen,
    by: api.User | None,
    *,
    interests: str | Iterable[str] = "",
    contact_forms: int = 0,
    area: str = "",
    availability: int = 0,
    note: str = "",
) -> CitizenWishes:
    """Record (or replace) what the citizen wishes from a mentor."""
    tags = normalise_tags(interests)
    _check_masks(availability, contact_forms)
    area = " ".join(area.split())
    if len(area) > 100:
        raise MentorError("area", _("The area can be at most 100 characters long."))
    wishes = db.session.scalar(select(CitizenWishes).where(CitizenWishes.citizen_id == citizen.id))
    values = {
        "interests": tags,
        "contact_forms": contact_forms,
        "area": area,
        "availability": availability,
        "note": note.strip(),
    }
    if wishes is None:
        wishes = CitizenWishes(municipality_id=citizen.municipality_id, citizen_id=citizen.id, **values)
        db.session.add(wishes)
        fields = [name for name, value in values.items() if value]
        action = "create"
    else:
        fields = [name for name, value in values.items() if getattr(wishes, name) != value]
        for name in fields:
            setattr(wishes, name, values[name])
        action = "update"
    api.audit.record(
        db,
        action,
        "citizen",
        citizen.id,
        by=by,
        municipality_id=citizen.municipality_id,
        what="mentors_wishes",
        fields=fields,
    )
    db.session.commit()
    return wishes


# --- matches ---------------------------------------------------------------------------------------------


def _audit_match(
    db: api.Database,
    match: Match,
    by: api.User | None,
    action: str,
    what: str = "mentors_match",
    **details: Any,
) -> None:
    api.audit.record(
        db,
        action,
        "citizen",
        match.citizen_id,
        by=by,
        municipality_id=match.municipality_id,
        what=what,
        match_id=match.id,
        mentor_id=match.mentor_id,
        **details,
    )


def propose(db: api.Database, mentor: Mentor, citizen: api.Citizen, by: api.User | None) -> Match:
    """Propose `mentor` to `citizen`: an approved mentor of the same municipality with a free place,
    and no open match of the two already. Safe when coordinators propose the same mentor at once: the
    mentor's row is locked before the places are counted."""
    mentor_id, citizen_id = mentor.id, citizen.id
    api.lock_row(db, Mentor, mentor_id)
    try:
        mentor = db.session.get_one(Mentor, mentor_id, populate_existing=True)
        if mentor.municipality_id != citizen.municipality_id:
            raise MentorError("mentor", _("The mentor is not in this municipality's pool."))
        if mentor.status != MentorStatus.APPROVED:
            raise MentorError("mentor", _("Only an approved mentor can be proposed."))
        existing = db.session.scalar(
            select(Match.id).where(
                Match.mentor_id == mentor_id,
                Match.citizen_id == citizen_id,
                Match.status != MatchStatus.ENDED,
            )
        )
        if existing is not None:
            raise MentorError("mentor", _("This mentor and citizen are already matched."))
        if open_matches(db, mentor) >= mentor.capacity:
            raise MentorError("mentor", _("The mentor has no free place."))
        match = Match(
            municipality_id=citizen.municipality_id,
            mentor_id=mentor_id,
            citizen_id=citizen_id,
            status=MatchStatus.PROPOSED,
        )
        db.session.add(match)
        db.session.flush()
        _audit_match(db, match, by, "create", status=match.status)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return match


CITIZEN = "citizen"
MENTOR = "mentor"


def agree(db: api.Database, match: Match, by: api.User | None, party: str) -> None:
    """Record that `party` ("citizen" or "mentor") agreed to the proposed match."""
    if match.status != MatchStatus.PROPOSED:
        raise MentorError("status", _("Only a proposed match can be agreed to."))
    if party not in (CITIZEN, MENTOR):
        raise MentorError("party", _("Say who agreed: the citizen or the mentor."))
    attribute = f"{party}_agreed_at"
    if getattr(match, attribute) is not None:
        return
    now = api.utcnow()
    setattr(match, attribute, now)
    match.changed_at = now
    _audit_match(db, match, by, "update", fields=[attribute])
    db.session.commit()


def activate(
    db: api.Database,
    match: Match,
    by: api.User | None,
    *,
    frequency_days: int,
    contact_form: int,
    shared: str = "",
) -> None:
    """Start a proposed match, once citizen and mentor both agreed, with the frequency and the contact
    form they agreed on, and what the citizen agreed to share with the mentor."""
    if match.status != MatchStatus.PROPOSED:
        raise MentorError("status", _("Only a proposed match can be started."))
    if match.citizen_agreed_at is None:
        raise MentorError("citizen_agreed", _("The citizen has not agreed yet."))
    if match.mentor_agreed_at is None:
        raise MentorError("mentor_agreed", _("The mentor has not agreed yet."))
    if not 1 <= frequency_days <= 365:
        raise MentorError("frequency_days", _("Meet every 1 to 365 days."))
    if contact_form not in {int(form) for form in ContactForm}:
        raise MentorError("contact_form", _("Choose how you meet."))
    shared = shared.strip()
    if len(shared) > MAX_SHARED:
        raise MentorError("shared", _("What is shared can be at most 2000 characters long."))
    now = api.utcnow()
    match.status = MatchStatus.ACTIVE
    match.frequency_days = frequency_days
    match.contact_form = contact_form
    match.shared = shared
    match.started_at = now
    match.changed_at = now
    _audit_match(
        db,
        match,
        by,
        "update",
        fields=["status", "frequency_days", "contact_form", "shared"],
        status=match.status,
    )
    db.session.commit()


def pause(db: api.Database, match: Match, by: api.User | None) -> None:
    """Pause an active match (its place is free meanwhile)."""
    if match.status != MatchStatus.ACTIVE:
        raise MentorError("status", _("Only an active match can be paused."))
    match.status = MatchStatus.PAUSED
    match.changed_at = api.utcnow()
    _audit_match(db, match, by, "update", fields=["status"], status=match.status)
    db.session.commit()


def resume(db: api.Database, match: Match, by: api.User | None) -> None:
    """Take up a paused match again, if the mentor has a free place (counted under the mentor's lock)."""
    match_id, mentor_id = match.id, match.mentor_id
    api.lock_row(db, Mentor, mentor_id)
    try:
        match = db.session.get_one(Match, match_id, populate_existing=True)
        mentor = db.session.get_one(Mentor, mentor_id, populate_existing=True)
        if match.status != MatchStatus.PAUSED:
            raise MentorError("status", _("Only a paused match can be resumed."))
        if open_matches(db, mentor) >= mentor.capacity:
            raise MentorError("mentor", _("The mentor has no free place."))
        match.status = MatchStatus.ACTIVE
        match.changed_at = api.utcnow()
        _audit_match(db, match, by, "update", fields=["status"], status=match.status)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def end(db: api.Database, match: Match, by: api.User | None, reason: str) -> None:
    """End a match (proposed, active or paused), saying why."""
    if match.status == MatchStatus.ENDED:
        raise MentorError("status", _("The match has already ended."))
    reason = reason.strip()
    if not reason:
        raise MentorError("end_reason", _("Write why the match ends."))
    if len(reason) > 1000:
        raise MentorError("end_reason", _("The reason can be at most 1000 characters long."))
    match.status = MatchStatus.ENDED
    match.end_reason = reason
    match.changed_at = api.utcnow()
    _audit_match(db, match, by, "update", fields=["status", "end_reason"], status=match.status)
    db.session.commit()


def set_shared(db: api.Database, match: Match, by: api.User | None, shared: str) -> bool:
    """Change what the citizen agreed to share with the mentor. False if unchanged."""
    shared = shared.strip()
    if len(shared) > MAX_SHARED:
        raise MentorError("shared", _("What is shared can be at most 2000 characters long."))
    if shared == match.shared:
        return False
    match.shared = shared
    match.changed_at = api.utcnow()
    _audit_match(db, match, by, "update", fields=["shared"])
    db.session.commit()
    return True


# --- meetings --------------------------------------------------------------------------------------------


local_today = api.local_today


@dataclass
class MeetingData:
    """A meeting as a form gives it: the day, the local time (planned meetings), how long, how, a note."""

    on: date
    duration_minutes: int
    contact_form: int
    at: time | None = None
    note: str = ""


def _check_meeting(match: Match, data: MeetingData, *, planned: bool, today: date) -> str:
    """The rules of a meeting; returns the cleaned note."""
    if data.contact_form not in {int(form) for form in ContactForm}:
        raise MentorError("contact_form", _("Choose how you meet."))
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        raise MentorError("duration_minutes", _("A meeting lasts from 5 to 600 minutes."))
    note = data.note.strip()
    if len(note) > MAX_NOTE:
        raise MentorError("note", _("The note can be at most 500 characters long."))
    if planned:
        if data.at is None:
            raise MentorError("at", _("Choose the time."))
        if data.on < today:
            raise MentorError("on", _("A planned meeting cannot be in the past."))
    else:
        if data.on > today:
            raise MentorError("on", _("A meeting can be logged only once it has happened. Plan it instead."))
        started = match.started_at
        if started is not None and data.on < started.astimezone(ZoneInfo(match.municipality.timezone)).date():
            raise MentorError("on", _("The date is before the match started."))
    return note


def _audit_meeting(
    db: api.Database, meeting: Meeting, by: api.User | None, action: str, **details: Any
) -> None:
    _audit_match(db, meeting.match, by, action, meeting_id=meeting.id, **details)


def plan_meeting(
    db: api.Database, match: Match, by: api.User | None, data: MeetingData, *, today: date | None = None
) -> Meeting:
    """Plan a meeting of an active match; it shows in the mentor's calendar feed until it is logged."""
    if match.status != MatchStatus.ACTIVE:
        raise MentorError("status", _("Meetings can be planned for an active match only."))
    note = _check_meeting(match, data, planned=True, today=today or local_today(match.municipality))
    meeting = Meeting(
        municipality_id=match.municipality_id,
        match=match,
        on=data.on,
        at=data.at,
        duration_minutes=data.duration_minutes,
        contact_form=data.contact_form,
        note=note,
        held=False,
        uid=str(uuid.uuid4()),
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(meeting)
    db.session.flush()
    _audit_meeting(db, meeting, by, "create", what="mentors_meeting", planned=True)
    db.session.commit()
    return meeting


def log_meeting(
    db: api.Database,
    match: Match,
    by: api.User | None,
    data: MeetingData,
    *,
    planned: Meeting | None = None,
    today: date | None = None,
) -> Meeting:
    """Log a meeting that took place (of an active or paused match): a new one, or the `planned` one,
    which then leaves the calendar feed."""
    if match.status not in (MatchStatus.ACTIVE, MatchStatus.PAUSED):
        raise MentorError("status", _("Meetings can be logged for an active or paused match only."))
    if planned is not None and (planned.match_id != match.id or planned.held):
        raise MentorError("meeting", _("This meeting is logged already."))
    note = _check_meeting(match, data, planned=False, today=today or local_today(match.municipality))
    now = api.utcnow()
    meeting = planned or Meeting(
        municipality_id=match.municipality_id,
        match=match,
        uid=str(uuid.uuid4()),
        created_by_id=by.id if by is not None else None,
    )
    meeting.on = data.on
    meeting.at = data.at if data.at is not None else meeting.at
    meeting.duration_minutes = data.duration_minutes
    meeting.contact_form = data.contact_form
    meeting.note = note
    meeting.held = True
    meeting.logged_at = now
    meeting.logged_by_id = by.id if by is not None else None
    db.session.add(meeting)
    db.session.flush()
    _audit_meeting(
        db,
        meeting,
        by,
        "update" if planned is not None else "create",
        what="mentors_meeting",
        fields=["on", "duration_minutes", "contact_form", "note", "held"],
    )
    db.session.commit()
    return meeting


def cancel_meeting(db: api.Database, meeting: Meeting, by: api.User | None) -> None:
    """Call off a planned meeting: it is deleted, and leaves the calendar feed."""
    if meeting.held:
        raise MentorError("meeting", _("A logged meeting cannot be called off."))
    _audit_meeting(db, meeting, by, "delete", what="mentors_meeting")
    db.session.delete(meeting)
    db.session.commit()


def last_held(db: api.Database, match_ids: Iterable[int]) -> dict[int, date]:
    """The day of each match's latest logged meeting (matches without one are left out). One query."""
    ids = list(match_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Meeting.match_id, func.max(Meeting.on))
        .where(Meeting.match_id.in_(ids), Meeting.held.is_(True))
        .group_by(Meeting.match_id)
    )
    return {match_id: on for match_id, on in rows}


# --- the coordinator's overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """An active match without a logged meeting for longer than the agreed frequency."""

    match: Match
    #: The day of the last logged meeting, or None if there has been none since the match started.
    last: date | None
    #: The day a meeting was due (the last meeting or the start, plus the frequency).
    due: date
    days_overdue: int


def _overdue(
    db: api.Database, municipality: api.Municipality, today: date
) -> list[tuple[int, date | None, date]]:
    """(match id, day of the last logged meeting or None, day a meeting was due) of the municipality's
    overdue active matches. One query of plain columns."""
    zone = ZoneInfo(municipality.timezone)
    rows = db.session.execute(
        select(Match.id, Match.frequency_days, Match.started_at, func.max(Meeting.on))
        .outerjoin(Meeting, (Meeting.match_id == Match.id) & Meeting.held.is_(True))
        .where(Match.municipality_id == municipality.id, Match.status == MatchStatus.ACTIVE)
        .group_by(Match.id, Match.frequency_days, Match.started_at)
    )
    out: list[tuple[int, date | None, date]] = []
    for match_id, every, started_at, last in rows:
        if last is not None:
            since = last
        elif started_at is not None:
            since = started_at.astimezone(zone).date()
        else:
            continue
        if not every:
            continue
        due = since + timedelta(days=every)
        if due < today:
            out.append((match_id, last, due))
    return out


def overdue_count(db: api.Database, municipality: api.Municipality, today: date | None = None) -> int:
    """How many of the municipality's active matches are overdue (see `overdue_matches`). One query."""
    return len(_overdue(db, municipality, today or local_today(municipality)))


def overdue_matches(
    db: api.Database, municipality: api.Municipality, today: date | None = None
) -> list[Overdue]:
    """The municipality's active matches whose last logged meeting (or start, if none) is longer ago than
    their agreed frequency, most overdue first. Two queries (which are overdue, then those matches with
    their mentor and citizen)."""
    today = today or local_today(municipality)
    found = _overdue(db, municipality, today)
    if not found:
        return []
    matches = {
        match.id: match
        for match in db.session.scalars(
            api.scoped(Match, municipality)
            .where(Match.id.in_([match_id for match_id, _last, _due in found]))
            .options(joinedload(Match.mentor), joinedload(Match.citizen))
        )
    }
    out = [Overdue(matches[match_id], last, due, (today - due).days) for match_id, last, due in found]
    out.sort(key=lambda o: (-o.days_overdue, o.match.id))
    return out


@dataclass(frozen=True)
class Load:
    """An approved mentor's places: taken (proposed and active matches) of their capacity."""

    mentor: Mentor
    taken: int

    @property
    def over(self) -> bool:
        return self.taken > self.mentor.capacity

    @property
    def idle(self) -> bool:
        return self.taken == 0


def mentor_loads(db: api.Database, municipality: api.Municipality) -> list[Load]:
    """The municipality's approved mentors who are over capacity or idle (no proposed or active match),
    over capacity first, then by name. One query."""
    taken = (
        select(Match.mentor_id, func.count(Match.id).label("taken"))
        .where(Match.municipality_id == municipality.id, Match.status.in_(OPEN_STATUSES))
        .group_by(Match.mentor_id)
        .subquery()
    )
    n_taken = func.coalesce(taken.c.taken, 0)
    rows = db.session.execute(
        api.scoped(Mentor, municipality)
        .add_columns(n_taken)
        .outerjoin(taken, taken.c.mentor_id == Mentor.id)
        .where(Mentor.status == MentorStatus.APPROVED, (n_taken == 0) | (n_taken > Mentor.capacity))
        .order_by(func.lower(Mentor.name), Mentor.id)
    ).all()
    loads = [Load(mentor, int(n)) for mentor, n in rows]
    return sorted(loads, key=lambda load: not load.over)
