"""The café plugin's operations: the one door for writes (views, admin, CLI, demo data and tests alike).

Each function is one transaction: it checks the rules, writes, adds the audit entries and commits.
A rule that is broken raises `CafeError(field, message)`, with a message fit to show the user.

Sign-ups are safe against a crowd pressing the button at once: `sign_up` and `leave` first lock the
course row (PostgreSQL: `SELECT ... FOR UPDATE`; SQLite: an `UPDATE` of the course row as the first
statement of the transaction, which takes SQLite's write lock, waiting up to the core's busy timeout),
and only then count seats and waitlist places, so two sign-ups never take the same seat or position.

E-mail goes out after the commit (mail cannot be rolled back), through `notify`: a moved, re-placed,
cancelled or reinstated session is told at once to its course's confirmed participants, and a seat from
the waitlist to the one who got it. A mail that fails never undoes the change: the result says how
many were told and how many could not be (`Told`), so a page can say so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from broen import api
from broen.plugins.cafe import notify
from broen.plugins.cafe.models import Course, Session, Signup, SignupStatus
from broen.plugins.cafe.notify import Told

NAME = "cafe"


_ = api.gettext


class CafeError(ValueError):
    """A café rule was broken; `field` names the form field it belongs to, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- courses and sessions --------------------------------------------------------------------------------


def session_times(
    timezone: str, first_date: date, start: time, count: int, minutes: int, every_days: int = 7
) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of `count` sessions `every_days` apart, each starting at `start` local time.

    The local wall-clock time is kept across a daylight-saving change (17:00 stays 17:00 in
    Copenhagen, so its UTC instant moves by an hour); the length is real elapsed time.
    """
    zone = ZoneInfo(timezone)
    times = []
    for n in range(count):
        local = datetime.combine(first_date + timedelta(days=n * every_days), start, tzinfo=zone)
        begins = local.astimezone(UTC)
        times.append((begins, begins + timedelta(minutes=minutes)))
    return times


def _first_on_weekday(day: date, weekday: int | None) -> date:
    """`day`, or the first day after it that is `weekday` (Monday 0 ... Sunday 6)."""
    if weekday is None:
        return day
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def create_course(
    db: api.Database,
    municipality: api.Municipality,
    by: api.User | None,
    *,
    title: str,
    first_date: date,
    start: time,
    weekday: int | None = None,
    count: int | None = None,
    minutes: int | None = None,
    capacity: int | None = None,
    every_days: int = 7,
    venue: str = "",
    facilitators: str = "",
    description: str = "",
    commit: bool = True,
) -> Course:
    """A course with its sessions, weekly from `first_date` (or the first `weekday` on or after it).

    `count`, `minutes` and `capacity` default to the municipality's café settings. With `commit=False`
    the caller writes more in the same transaction (e.g. the course's own fields) and commits.
    """
    settings = api.plugin_settings(NAME, municipality)
    count = settings["default_session_count"] if count is None else count
    minutes = settings["default_session_minutes"] if minutes is None else minutes
    capacity = settings["default_capacity"] if capacity is None else capacity
    title = title.strip()
    if not title:
        raise CafeError("title", _("A course needs a title."))
    if count < 1:
        raise CafeError("count", _("A course needs at least one session."))
    if minutes < 1:
        raise CafeError("minutes", _("A session must last at least a minute."))
    if capacity < 1:
        raise CafeError("capacity", _("A course needs at least one seat."))
    if weekday is not None and not 0 <= weekday <= 6:
        raise CafeError("weekday", _("Choose a day of the week."))
    course = Course(
        municipality_id=municipality.id,
        title=title,
        venue=venue.strip(),
        facilitators=facilitators.strip(),
        capacity=capacity,
        description=description.strip(),
        timezone=municipality.timezone,
    )
    now = api.utcnow()
    first = _first_on_weekday(first_date, weekday)
    for begins, ends in session_times(course.timezone, first, start, count, minutes, every_days):
        course.sessions.append(
            Session(
                municipality_id=municipality.id,
                starts_at=begins,
                ends_at=ends,
                location="",
                cancelled=False,
                sequence=0,
                last_modified=now,
                uid=uuid.uuid4().hex,
            )
        )
    db.session.add(course)
    db.session.flush()
    api.audit.record(
        db, "create", "cafe_course", course.id, by=by, municipality_id=municipality.id, sessions=count
    )
    if commit:
        db.session.commit()
    return course


@dataclass(frozen=True)
class SessionChange:
    """What a change of a session did: which fields changed, and who was told by e-mail."""

    session: Session
    fields: list[str]
    told: Told

    @property
    def changed(self) -> bool:
        return bool(self.fields)


def _changed(db: api.Database, session: Session, by: api.User | None, fields: list[str]) -> None:
    """Bump the session's sequence and last change, audit, commit (nothing at all if nothing changed)."""
    if not fields:
        return
    session.sequence += 1
    session.last_modified = api.utcnow()
    api.audit.record(
        db,
        "update",
        "cafe_session",
        session.id,
        by=by,
        municipality_id=session.municipality_id,
        fields=fields,
    )
    db.session.commit()


def move_session(
    db: api.Database,
    session: Session,
    by: api.User | None,
    *,
    day: date,
    start: time,
    minutes: int | None = None,
) -> SessionChange:
    """Move a session to `day` at `start` local time (the course's time zone), keeping its length
    unless `minutes` is given. The course's confirmed participants are e-mailed at once (not for a
    session that is over)."""
    was = session.starts_at
    length = timedelta(minutes=minutes) if minutes is not None else session.ends_at - session.starts_at
    if length <= timedelta(0):
        raise CafeError("minutes", _("A session must last at least a minute."))
    ((begins, _end),) = session_times(session.course.timezone, day, start, 1, 1)
    fields = []
    if begins != session.starts_at:
        session.starts_at = begins
        fields.append("starts_at")
    if begins + length != session.ends_at:
        session.ends_at = begins + length
        fields.append("ends_at")
    _changed(db, session, by, fields)
    told = notify.session_changed(db, session, notify.MOVED, was=was) if fields else Told()
    return SessionChange(session, fields, told)


def edit_session(db: api.Database, session: Session, by: api.User | None, *, location: str) -> SessionChange:
    """Set a session's own location (empty: the course's venue). A new place is e-mailed at once, as a
    move is."""
    location = location.strip()
    was = session.place
    fields = ["location"] if location != session.location else []
    session.location = location
    _changed(db, session, by, fields)
    changed_place = bool(fields) and session.place != was
    told = notify.session_changed(db, session, notify.NEW_PLACE, was_place=was) if changed_place else Told()
    return SessionChange(session, fields, told)


def cancel_session(
    db: api.Database, session: Session, by: api.User | None, *, cancelled: bool = True
) -> SessionChange:
    """Cancel a session (it stays in the calendars, marked cancelled), or with `cancelled=False` undo it.
    Either is e-mailed at once to the course's confirmed participants (not for a session that is over);
    a session that takes place after all is recorded as a MOVED notice (its status changed back)."""
    fields = ["cancelled"] if session.cancelled != cancelled else []
    session.cancelled = cancelled
    _changed(db, session, by, fields)
    told = Told()
    if fields:
        told = notify.session_changed(db, session, notify.CANCELLED if cancelled else notify.REINSTATED)
    return SessionChange(session, fields, told)


# --- sign-ups --------------------------------------------------------------------------------------------


def _lock_course(db: api.Database, course_id: int) -> None:
    """Take the course's write lock before anything is counted (see the module docstring)."""
    api.lock_row(db, Course, course_id)


def eligibility_problem(citizen: api.Citizen, municipality: api.Municipality) -> str | None:
    """Why `citizen` may not join a café in `municipality`, or None if they may.

    Café meetings are for citizens granted a flex job on the basis of mental illness or psychological
    vulnerability. A municipality can relax this in the café settings
    (`require_mental_health_flexjob` off): then every citizen of the municipality may join.
    """
    if citizen.municipality_id != municipality.id:
        return _("The citizen belongs to another municipality.")
    if not api.plugin_settings(NAME, municipality)["require_mental_health_flexjob"]:
        return None
    if not citizen.flexjob_approved:
        return _("Café meetings are only for citizens approved for a flex job.")
    if not citizen.flexjob_mental_health_basis:
        return _(
            "Café meetings are only for citizens whose flex job was granted on the basis of mental "
            "illness or psychological vulnerability."
        )
    return None


def _signup(db: api.Database, course_id: int, citizen_id: int) -> Signup | None:
    return db.session.scalar(
        select(Signup)
        .where(Signup.course_id == course_id, Signup.citizen_id == citizen_id)
        .execution_options(populate_existing=True)
    )


def _waiting(db: api.Database, course_id: int) -> list[Signup]:
    return list(
        db.session.scalars(
            select(Signup)
            .where(Signup.course_id == course_id, Signup.status == SignupStatus.WAITLISTED)
            .order_by(Signup.position, Signup.id)
            .execution_options(populate_existing=True)
        )
    )


def _confirmed_count(db: api.Database, course_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.course_id == course_id, Signup.status == SignupStatus.CONFIRMED)
        )
        or 0
    )


def _audit_signup(db: api.Database, signup: Signup, by: api.User | None, action: str) -> None:
    api.audit.record(
        db,
        action,
        "cafe_signup",
        signup.id,
        by=by,
        municipality_id=signup.municipality_id,
        course_id=signup.course_id,
        citizen_id=signup.citizen_id,
        status=signup.status.value,
    )


def sign_up(db: api.Database, course: Course, citizen: api.Citizen, by: api.User | None) -> Signup:
    """Sign a citizen up: a seat if one is free and no one is waiting, otherwise the next waitlist place.

    Raises `CafeError` for a citizen who may not join (the message says why) or who is already on
    the course. A citizen who left may sign up again (at the back of the queue if it is full).
    """
    course_id, citizen_id = course.id, citizen.id
    _lock_course(db, course_id)
    try:
        course = db.session.get_one(Course, course_id, populate_existing=True)
        municipality = db.session.get_one(api.Municipality, course.municipality_id)
        problem = eligibility_problem(citizen, municipality)
        if problem is not None:
            raise CafeError("citizen", problem)
        signup = _signup(db, course_id, citizen_id)
        if signup is not None and signup.status != SignupStatus.LEFT:
            raise CafeError("citizen", _("The citizen is already signed up for this course."))
        waiting = _waiting(db, course_id)
        seat_free = not waiting and _confirmed_count(db, course_id) < course.capacity
        now = api.utcnow()
        if signup is None:
            signup = Signup(
                municipality_id=course.municipality_id,
                course_id=course_id,
                citizen_id=citizen_id,
                created_at=now,
            )
            db.session.add(signup)
        if seat_free:
            signup.status, signup.position = SignupStatus.CONFIRMED, None
        else:
            signup.status, signup.position = SignupStatus.WAITLISTED, len(waiting) + 1
        signup.changed_at = now
        db.session.flush()
        _audit_signup(db, signup, by, "create")
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return signup


@dataclass(frozen=True)
class LeaveResult:
    """Who left, and who got their seat (told on their page and, with an address, by e-mail), if anyone."""

    left: Signup
    promoted: Signup | None
    told: Told = field(default_factory=Told)


def _promote(db: api.Database, signup: Signup, by: api.User | None, now: datetime) -> None:
    """A waitlisted sign-up gets a seat, shown on the citizen's page until they have seen it."""
    signup.status, signup.position, signup.changed_at = SignupStatus.CONFIRMED, None, now
    signup.promoted_at, signup.promotion_seen = now, False
    _audit_signup(db, signup, by, "update")


def _close_up(waiting: list[Signup], now: datetime) -> None:
    """Number the queue 1, 2, 3 ... again (after someone left it or moved up)."""
    for place, row in enumerate(waiting, start=1):
        if row.position != place:
            row.position, row.changed_at = place, now


def leave(db: api.Database, course: Course, citizen: api.Citizen, by: api.User | None) -> LeaveResult:
    """Take a citizen off a course; a freed seat goes to the first on the waitlist (returned as
    `promoted`; they are e-mailed after the commit if they have an address), and the queue closes up
    behind."""
    course_id, citizen_id = course.id, citizen.id
    _lock_course(db, course_id)
    try:
        course = db.session.get_one(Course, course_id, populate_existing=True)
        signup = _signup(db, course_id, citizen_id)
        if signup is None or signup.status == SignupStatus.LEFT:
            raise CafeError("citizen", _("The citizen is not signed up for this course."))
        now = api.utcnow()
        signup.status, signup.position, signup.changed_at = SignupStatus.LEFT, None, now
        _audit_signup(db, signup, by, "update")
        db.session.flush()
        waiting = _waiting(db, course_id)
        promoted = None
        if waiting and _confirmed_count(db, course_id) < course.capacity:
            promoted = waiting.pop(0)
            _promote(db, promoted, by, now)
        _close_up(waiting, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    told = notify.promoted(db, [promoted]) if promoted is not None else Told()
    return LeaveResult(signup, promoted, told)


def change_capacity(db: api.Database, course: Course, by: api.User | None, capacity: int) -> list[Signup]:
    """Set the number of seats. Fewer than the participants who have a seat is refused (`CafeError` on
    "capacity"); more seats go to the first on the waitlist, in order (each e-mailed after the commit if
    they have an address), and the queue closes up. Returns the sign-ups that got a seat."""
    course_id = course.id
    _lock_course(db, course_id)
    try:
        course = db.session.get_one(Course, course_id, populate_existing=True)
        if capacity < 1:
            raise CafeError("capacity", _("A course needs at least one seat."))
        confirmed = _confirmed_count(db, course_id)
        if capacity < confirmed:
            raise CafeError(
                "capacity",
                _(
                    "%(n)d participants have a seat, so the course needs at least %(n)d seats. "
                    "Take someone off the course first."
                )
                % {"n": confirmed},
            )
        if capacity == course.capacity:
            db.session.rollback()
            return []
        course.capacity = capacity
        now = api.utcnow()
        waiting = _waiting(db, course_id)
        promoted = waiting[: max(0, capacity - confirmed)]
        for signup in promoted:
            _promote(db, signup, by, now)
        _close_up(waiting[len(promoted) :], now)
        api.audit.record(
            db,
            "update",
            "cafe_course",
            course_id,
            by=by,
            municipality_id=course.municipality_id,
            fields=["capacity"],
            promoted=[s.citizen_id for s in promoted],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if promoted:
        notify.promoted(db, promoted)
    return promoted


def signups(db: api.Database, course: Course) -> list[Signup]:
    """The course's confirmed and waitlisted sign-ups: confirmed first (in order of signing up), then
    the waitlist in queue order."""
    rows = db.session.scalars(
        select(Signup)
        .where(Signup.course_id == course.id, Signup.status != SignupStatus.LEFT)
        .order_by(Signup.position.is_not(None), Signup.position, Signup.id)
    )
    return list(rows)


# --- who a participant is --------------------------------------------------------------------------------


def linked_citizen_ids(db: api.Database, municipality: api.Municipality, user: api.User) -> list[int]:
    """The citizen records of `municipality` that are `user` (a participant's own account): those whose
    `user_id` is the user's, as accepting an invitation sets it. At most one (the table's unique
    constraint); a list, so a feed can take it as it is. An e-mail address alone links nothing."""
    rows = db.session.scalars(
        select(api.Citizen.id).where(
            api.Citizen.municipality_id == municipality.id, api.Citizen.user_id == user.id
        )
    )
    return list(rows)


def own_citizen(db: api.Database, municipality: api.Municipality, user: api.User) -> api.Citizen | None:
    """The citizen record of `municipality` linked to `user`'s log-in, or None."""
    return db.session.scalar(
        select(api.Citizen).where(
            api.Citizen.municipality_id == municipality.id, api.Citizen.user_id == user.id
        )
    )
