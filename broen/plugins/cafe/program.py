"""What happens at the sessions: attendance, and the agenda (topics proposed, placed, guest talks).

Each function is one transaction, like those in `services`: it checks, writes, audits and commits, and
raises `CafeError(field, message)` for a broken rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from broen import api
from broen.plugins.cafe.models import (
    AgendaItem,
    Attendance,
    Course,
    GuestKind,
    Session,
    Signup,
    SignupStatus,
)
from broen.plugins.cafe.services import CafeError, _

TITLE_MAX = 200
NOTE_MAX = 2000
#: The course's short texts (title, venue) and its longer ones (facilitators, description).
SHORT_MAX = 200
FACILITATORS_MAX = 1000
DESCRIPTION_MAX = 5000
GUEST_NAME_MAX = 200


def propose_topic(
    db: api.Database,
    course: Course,
    citizen: api.Citizen | None,
    by: api.User | None,
    *,
    title: str,
    note: str = "",
) -> AgendaItem:
    """A topic proposed for a course's agenda, by a participant (`citizen`) or by staff (`citizen` None).

    It waits, unplaced, until the coordinator puts it on a session (or sets it aside).
    """
    title, note = title.strip(), note.strip()
    if not title:
        raise CafeError("title", _("Write the topic."))
    if len(title) > TITLE_MAX:
        raise CafeError("title", _("The topic can be at most %(n)d characters.") % {"n": TITLE_MAX})
    if len(note) > NOTE_MAX:
        raise CafeError("note", _("The note can be at most %(n)d characters.") % {"n": NOTE_MAX})
    item = AgendaItem(
        municipality_id=course.municipality_id,
        course_id=course.id,
        title=title,
        note=note,
        proposed_by_citizen_id=citizen.id if citizen is not None else None,
        created_by_id=by.id if by is not None else None,
        position=0,
        dismissed=False,
    )
    db.session.add(item)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        "cafe_agenda_item",
        item.id,
        by=by,
        municipality_id=course.municipality_id,
        course_id=course.id,
        citizen_id=item.proposed_by_citizen_id,
    )
    db.session.commit()
    return item


def proposals_by(
    db: api.Database, citizen: api.Citizen, course_ids: list[int]
) -> dict[int, list[AgendaItem]]:
    """{course id: the topics `citizen` proposed for it, oldest first} for these courses, in one query (a
    participant sees only their own)."""
    found: dict[int, list[AgendaItem]] = {course_id: [] for course_id in course_ids}
    if course_ids:
        for item in db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.course_id.in_(course_ids), AgendaItem.proposed_by_citizen_id == citizen.id)
            .order_by(AgendaItem.id)
        ):
            found[item.course_id].append(item)
    return found


# --- the course's details --------------------------------------------------------------------------------


def _too_long(field_name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise CafeError(field_name, _("At most %(n)d characters.") % {"n": limit})


def check_course_details(
    *,
    title: str | None = None,
    venue: str | None = None,
    facilitators: str | None = None,
    description: str | None = None,
) -> dict[str, str]:
    """The given details stripped and checked (`CafeError` names the first bad field); None: not given."""
    values = {
        name: value.strip()
        for name, value in (
            ("title", title),
            ("venue", venue),
            ("facilitators", facilitators),
            ("description", description),
        )
        if value is not None
    }
    if "title" in values and not values["title"]:
        raise CafeError("title", _("A course needs a title."))
    for name, limit in (
        ("title", SHORT_MAX),
        ("venue", SHORT_MAX),
        ("facilitators", FACILITATORS_MAX),
        ("description", DESCRIPTION_MAX),
    ):
        if name in values:
            _too_long(name, values[name], limit)
    return values


def update_course(
    db: api.Database,
    course: Course,
    by: api.User | None,
    *,
    title: str | None = None,
    venue: str | None = None,
    facilitators: str | None = None,
    description: str | None = None,
) -> list[str]:
    """Change a course's details (None: leave as is); returns the names of the fields that changed.

    The calendars must hear of it: a new venue is a new place for every session without a location of
    its own (their SEQUENCE grows), and a new title changes every session's summary (LAST-MODIFIED).
    Capacity is not changed here: `services.change_capacity` moves the waitlist along with it.
    """
    values = check_course_details(
        title=title, venue=venue, facilitators=facilitators, description=description
    )
    changed = [name for name, value in values.items() if getattr(course, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(course, name, values[name])
    now = api.utcnow()
    for session in course.sessions:
        if "venue" in changed and not session.location:
            session.sequence += 1
            session.last_modified = now
        elif "title" in changed:
            session.last_modified = now
    api.audit.record(
        db, "update", "cafe_course", course.id, by=by, municipality_id=course.municipality_id, fields=changed
    )
    db.session.commit()
    return changed


# --- attendance ------------------------------------------------------------------------------------------


def _confirmed_ids(db: api.Database, course_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Signup.citizen_id).where(
                Signup.course_id == course_id, Signup.status == SignupStatus.CONFIRMED
            )
        )
    )


def mark_attendance(
    db: api.Database, session: Session, by: api.User | None, marks: Mapping[int, bool]
) -> list[int]:
    """Record who came (True) and who did not (False), by citizen id; returns the ids whose mark changed.

    Only participants with a seat on the course can be marked, and not on a cancelled session. One
    transaction: either every mark is saved or none.
    """
    if not marks:
        return []
    if session.cancelled:
        raise CafeError("attendance", _("The session is cancelled: there is no attendance to mark."))
    if set(marks) - _confirmed_ids(db, session.course_id):
        raise CafeError("attendance", _("Only participants with a seat on the course can be marked."))
    for attempt in (1, 2):
        try:
            changed = _write_marks(db, session, by, marks)
            if changed:
                api.audit.record(
                    db,
                    "update",
                    "cafe_attendance",
                    session.id,
                    by=by,
                    municipality_id=session.municipality_id,
                    session_id=session.id,
                    citizen_ids=changed,
                )
            db.session.commit()
            return changed
        except IntegrityError:
            # Someone else marked the same citizen at the same moment: read their row and try again.
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write_marks(
    db: api.Database, session: Session, by: api.User | None, marks: Mapping[int, bool]
) -> list[int]:
    rows = {
        row.citizen_id: row
        for row in db.session.scalars(
            select(Attendance).where(
                Attendance.session_id == session.id, Attendance.citizen_id.in_(list(marks))
            )
        )
    }
    now = api.utcnow()
    changed = []
    for citizen_id, present in sorted(marks.items()):
        row = rows.get(citizen_id)
        if row is not None and row.present == present:
            continue
        if row is None:
            row = Attendance(
                municipality_id=session.municipality_id, session_id=session.id, citizen_id=citizen_id
            )
            db.session.add(row)
        row.present, row.marked_at = present, now
        row.marked_by_id = by.id if by is not None else None
        changed.append(citizen_id)
    db.session.flush()
    return changed


def attendance_marks(db: api.Database, session_ids: list[int]) -> dict[tuple[int, int], bool]:
    """{(session id, citizen id): present} for the given sessions (no key: not marked)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Attendance.session_id, Attendance.citizen_id, Attendance.present).where(
            Attendance.session_id.in_(session_ids)
        )
    )
    return {(s, c): present for s, c, present in rows}


@dataclass
class GridRow:
    """One participant's line of the attendance grid: a mark per session (None: not marked)."""

    citizen: api.Citizen
    #: False for someone who has left the course since they were marked: their marks stay.
    on_course: bool
    marks: list[bool | None]

    @property
    def present(self) -> int:
        return sum(1 for m in self.marks if m is True)

    @property
    def absent(self) -> int:
        return sum(1 for m in self.marks if m is False)


@dataclass
class Grid:
    """Participants by sessions, with totals per participant (on the rows) and per session."""

    sessions: list[Session]
    rows: list[GridRow] = field(default_factory=list)

    def present(self, column: int) -> int:
        return sum(1 for row in self.rows if row.marks[column] is True)

    def absent(self, column: int) -> int:
        return sum(1 for row in self.rows if row.marks[column] is False)

    @property
    def citizen_ids(self) -> list[int]:
        return [row.citizen.id for row in self.rows]


def attendance_grid(db: api.Database, course: Course) -> Grid:
    """The course's attendance: its confirmed participants (in order of signing up), then anyone who was
    marked and has left since. A fixed number of queries, however many sessions and people."""
    sessions = list(
        db.session.scalars(
            select(Session).where(Session.course_id == course.id).order_by(Session.starts_at, Session.id)
        )
    )
    marks = attendance_marks(db, [s.id for s in sessions])
    confirmed = list(
        db.session.execute(
            select(Signup.citizen_id, api.Citizen)
            .join(api.Citizen, api.Citizen.id == Signup.citizen_id)
            .where(Signup.course_id == course.id, Signup.status == SignupStatus.CONFIRMED)
            .order_by(Signup.id)
        )
    )
    seen = {citizen_id for citizen_id, _citizen in confirmed}
    gone_ids = {citizen_id for _session_id, citizen_id in marks} - seen
    gone = (
        list(
            db.session.scalars(
                select(api.Citizen)
                .where(api.Citizen.id.in_(gone_ids), api.Citizen.municipality_id == course.municipality_id)
                .order_by(api.Citizen.search_name, api.Citizen.id)
            )
        )
        if gone_ids
        else []
    )
    grid = Grid(sessions)
    for citizen, on_course in [*((c, True) for _id, c in confirmed), *((c, False) for c in gone)]:
        grid.rows.append(GridRow(citizen, on_course, [marks.get((s.id, citizen.id)) for s in sessions]))
    return grid


# --- the agenda ------------------------------------------------------------------------------------------


def _check_item(title: str, note: str) -> tuple[str, str]:
    title, note = title.strip(), note.strip()
    if not title:
        raise CafeError("title", _("Write the topic."))
    _too_long("title", title, TITLE_MAX)
    _too_long("note", note, NOTE_MAX)
    return title, note


def _check_guest(kind: GuestKind | str | None, name: str) -> tuple[GuestKind | None, str]:
    """A guest talk's kind and who gives it: a kind needs a name; no kind, no name."""
    if kind in (None, ""):
        return None, ""
    try:
        kind = GuestKind(kind)
    except ValueError:
        raise CafeError("guest_kind", _("Choose what kind of guest talk it is.")) from None
    name = name.strip()
    if not name:
        raise CafeError("guest_name", _("Write who gives the guest talk."))
    _too_long("guest_name", name, GUEST_NAME_MAX)
    return kind, name


def _check_session(item_course_id: int, session: Session | None) -> None:
    if session is not None and session.course_id != item_course_id:
        raise CafeError("session", _("Choose a session of this course."))


def _last_position(db: api.Database, session: Session | None) -> int:
    if session is None:
        return 0
    highest = db.session.scalar(
        select(func.max(AgendaItem.position)).where(AgendaItem.session_id == session.id)
    )
    return (highest or 0) + 1


def _audit_item(
    db: api.Database, item: AgendaItem, by: api.User | None, action: str, fields: list[str]
) -> None:
    api.audit.record(
        db,
        action,
        "cafe_agenda_item",
        item.id,
        by=by,
        municipality_id=item.municipality_id,
        course_id=item.course_id,
        fields=fields,
    )


def add_item(
    db: api.Database,
    course: Course,
    by: api.User | None,
    *,
    title: str,
    note: str = "",
    session: Session | None = None,
    guest_kind: GuestKind | str | None = None,
    guest_name: str = "",
) -> AgendaItem:
    """An agenda item the coordinator adds: on `session` (at the end of its agenda), or unplaced."""
    title, note = _check_item(title, note)
    _check_session(course.id, session)
    kind, name = _check_guest(guest_kind, guest_name)
    item = AgendaItem(
        municipality_id=course.municipality_id,
        course_id=course.id,
        session_id=session.id if session is not None else None,
        title=title,
        note=note,
        proposed_by_citizen_id=None,
        created_by_id=by.id if by is not None else None,
        guest_kind=kind,
        guest_name=name,
        position=_last_position(db, session),
        dismissed=False,
    )
    db.session.add(item)
    db.session.flush()
    _audit_item(db, item, by, "create", ["title", "note", "session", "guest"])
    db.session.commit()
    return item


def place_item(
    db: api.Database, item: AgendaItem, session: Session | None, by: api.User | None
) -> AgendaItem:
    """Put an item on `session`'s agenda (last), or with None back among the unplaced proposals (an item
    set aside comes back this way too)."""
    _check_session(item.course_id, session)
    new_id = session.id if session is not None else None
    if item.session_id == new_id and not item.dismissed:
        return item
    item.session_id, item.dismissed = new_id, False
    item.position = _last_position(db, session)
    _audit_item(db, item, by, "update", ["session"])
    db.session.commit()
    return item


def set_aside(db: api.Database, item: AgendaItem, by: api.User | None) -> AgendaItem:
    """Decide not to take an item up (it can be placed again later)."""
    if item.dismissed:
        return item
    item.session_id, item.dismissed, item.position = None, True, 0
    _audit_item(db, item, by, "update", ["dismissed"])
    db.session.commit()
    return item


def set_guest(
    db: api.Database, item: AgendaItem, by: api.User | None, kind: GuestKind | str | None, name: str = ""
) -> AgendaItem:
    """Mark an item as a guest talk (by a company, or a person with lived experience) or, with None, not."""
    new_kind, new_name = _check_guest(kind, name)
    if (item.guest_kind, item.guest_name) == (new_kind, new_name):
        return item
    item.guest_kind, item.guest_name = new_kind, new_name
    _audit_item(db, item, by, "update", ["guest"])
    db.session.commit()
    return item


@dataclass(frozen=True)
class AgendaEntry:
    """An item with its proposer's name, for staff only (never shown to other participants)."""

    item: AgendaItem
    proposer: str | None


@dataclass
class Agenda:
    """A course's agenda: proposals waiting to be placed, items per session in order, items set aside."""

    proposals: list[AgendaEntry] = field(default_factory=list)
    by_session: dict[int, list[AgendaEntry]] = field(default_factory=dict)
    set_aside: list[AgendaEntry] = field(default_factory=list)

    @property
    def proposer_ids(self) -> list[int]:
        entries = [*self.proposals, *self.set_aside, *(e for es in self.by_session.values() for e in es)]
        return sorted(
            {e.item.proposed_by_citizen_id for e in entries if e.item.proposed_by_citizen_id is not None}
        )


def agenda(db: api.Database, course: Course) -> Agenda:
    """The course's agenda for the coordinator, in one query."""
    rows = db.session.execute(
        select(AgendaItem, api.Citizen.name)
        .outerjoin(api.Citizen, api.Citizen.id == AgendaItem.proposed_by_citizen_id)
        .where(AgendaItem.course_id == course.id)
        .order_by(AgendaItem.position, AgendaItem.id)
    )
    out = Agenda()
    for item, name in rows:
        entry = AgendaEntry(item, name)
        if item.dismissed:
            out.set_aside.append(entry)
        elif item.session_id is None:
            out.proposals.append(entry)
        else:
            out.by_session.setdefault(item.session_id, []).append(entry)
    return out
