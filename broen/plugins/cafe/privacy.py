"""A citizen's café data: its part of the export (GDPR art. 15) and of the erasure (art. 17).

What the café holds about a citizen: their sign-ups, attendance marks, the topics they proposed and the
e-mails they were sent. On erasure the sign-ups and attendance stay as anonymous numbers (they hold no text:
a course's head count and attendance survive); a seat on a course that is still running is given up (the
waitlist moves up, as when someone leaves); the topics they proposed (their own words) and the record of
mails sent go.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from broen import api
from broen.plugins.cafe import services
from broen.plugins.cafe.models import (
    AgendaItem,
    Attendance,
    Course,
    SentNotice,
    Session,
    Signup,
    SignupStatus,
)

_ = api.gettext


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """Everything the café holds about `citizen`: one section per kind of row, four queries."""
    session = api.db().session
    signups = [
        {
            "id": row.id,
            "course_id": row.course_id,
            "course": row.title,
            "status": row.status.value,
            "waitlist_position": row.position,
            "signed_up_at": _iso(row.created_at),
            "changed_at": _iso(row.changed_at),
            "promoted_at": _iso(row.promoted_at),
            "promotion_seen": row.promotion_seen,
        }
        for row in session.execute(
            select(
                Signup.id,
                Signup.course_id,
                Course.title,
                Signup.status,
                Signup.position,
                Signup.created_at,
                Signup.changed_at,
                Signup.promoted_at,
                Signup.promotion_seen,
            )
            .join(Course, Course.id == Signup.course_id)
            .where(Signup.citizen_id == citizen.id)
            .order_by(Signup.id)
        )
    ]
    attendance = [
        {
            "id": row.id,
            "session_id": row.session_id,
            "course": row.title,
            "session_starts_at": _iso(row.starts_at),
            "present": row.present,
            "marked_at": _iso(row.marked_at),
            "marked_by": row.name,
        }
        for row in session.execute(
            select(
                Attendance.id,
                Attendance.session_id,
                Course.title,
                Session.starts_at,
                Attendance.present,
                Attendance.marked_at,
                api.User.name,
            )
            .join(Session, Session.id == Attendance.session_id)
            .join(Course, Course.id == Session.course_id)
            .outerjoin(api.User, api.User.id == Attendance.marked_by_id)
            .where(Attendance.citizen_id == citizen.id)
            .order_by(Session.starts_at, Attendance.id)
        )
    ]
    placed = aliased(Session)
    topics = [
        {
            "id": row.id,
            "course": row.course,
            "title": row.item_title,
            "note": row.note,
            "on_session_starting_at": _iso(row.starts_at),
            "set_aside": row.dismissed,
            "guest_kind": row.guest_kind.value if row.guest_kind is not None else None,
            "guest_name": row.guest_name,
            "proposed_at": _iso(row.created_at),
        }
        for row in session.execute(
            select(
                AgendaItem.id,
                Course.title.label("course"),
                AgendaItem.title.label("item_title"),
                AgendaItem.note,
                placed.starts_at,
                AgendaItem.dismissed,
                AgendaItem.guest_kind,
                AgendaItem.guest_name,
                AgendaItem.created_at,
            )
            .join(Course, Course.id == AgendaItem.course_id)
            .outerjoin(placed, placed.id == AgendaItem.session_id)
            .where(AgendaItem.proposed_by_citizen_id == citizen.id)
            .order_by(AgendaItem.id)
        )
    ]
    notices = [
        {
            "id": row.id,
            "course": row.title,
            "session_starts_at": _iso(row.starts_at),
            "kind": row.kind.value,
            "sent_at": _iso(row.sent_at),
        }
        for row in session.execute(
            select(SentNotice.id, Course.title, Session.starts_at, SentNotice.kind, SentNotice.sent_at)
            .join(Course, Course.id == SentNotice.course_id)
            .outerjoin(Session, Session.id == SentNotice.session_id)
            .where(SentNotice.citizen_id == citizen.id)
            .order_by(SentNotice.sent_at, SentNotice.id)
        )
    ]
    return [
        api.DataSection("cafe_signups", _("Sign-ups for café courses"), signups),
        api.DataSection("cafe_attendance", _("Attendance at café meetings"), attendance),
        api.DataSection("cafe_topics", _("Topics proposed for café meetings"), topics),
        api.DataSection("cafe_notices", _("E-mails sent about café meetings"), notices),
    ]


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Erase the citizen's café data in the caller's transaction (never committed here).

    Kept, anonymous: sign-ups (course, status, dates) and attendance marks (session, present). A seat or
    waitlist place on a course that has not ended is given up: the sign-up is marked as left, the first on
    the waitlist gets the seat (shown on their page; no e-mail is sent from inside the erasure) and the
    queue closes up. Deleted: the topics the citizen proposed and the record of e-mails sent to them.
    """
    db = api.db()
    now = api.utcnow()
    running = (
        select(Signup.course_id)
        .join(Session, Session.course_id == Signup.course_id)
        .where(Signup.citizen_id == citizen.id, Signup.status != SignupStatus.LEFT)
        .group_by(Signup.course_id)
        .having(func.max(Session.ends_at) > now)
        .order_by(Signup.course_id)
    )
    for course_id in list(db.session.scalars(running)):
        _give_up_seat(db, course_id, citizen.id, by, now)
    db.session.execute(delete(AgendaItem).where(AgendaItem.proposed_by_citizen_id == citizen.id))
    db.session.execute(delete(SentNotice).where(SentNotice.citizen_id == citizen.id))
    db.session.flush()


def _give_up_seat(
    db: api.Database, course_id: int, citizen_id: int, by: api.User | None, now: datetime
) -> None:
    """`services.leave` without its commit and e-mail: the citizen's place goes to the next in the queue."""
    services._lock_course(db, course_id)
    course = db.session.get_one(Course, course_id, populate_existing=True)
    signup = services._signup(db, course_id, citizen_id)
    if signup is None or signup.status == SignupStatus.LEFT:
        return
    signup.status, signup.position, signup.changed_at = SignupStatus.LEFT, None, now
    services._audit_signup(db, signup, by, "update")
    db.session.flush()
    waiting = services._waiting(db, course_id)
    if waiting and services._confirmed_count(db, course_id) < course.capacity:
        services._promote(db, waiting.pop(0), by, now)
    services._close_up(waiting, now)
