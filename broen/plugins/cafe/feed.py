"""The café's part of the calendar feeds: which sessions go into which feed, as `CalendarEvent`s.

A café feed names the course and its place only, never a participant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Session, Signup, SignupStatus


def event(session: Session) -> api.CalendarEvent:
    """A session as a calendar event: the course's title and place only."""
    return api.CalendarEvent(
        uid=f"cafe-session-{session.uid}@broen",
        start=session.starts_at,
        end=session.ends_at,
        summary=session.course.title,
        location=session.place,
        last_modified=session.last_modified,
        cancelled=session.cancelled,
        sequence=session.sequence,
    )


def calendar_sessions(
    db: api.Database,
    municipality: api.Municipality,
    start: datetime,
    end: datetime,
    citizen_ids: list[int] | None = None,
) -> list[Session]:
    """Sessions of the municipality's courses overlapping [start, end); with `citizen_ids`, only those of
    courses where one of them is confirmed. A cancelled session is left out once it has ended."""
    query = (
        select(Session)
        .options(joinedload(Session.course))  # each event's summary is its course's title
        .where(
            Session.municipality_id == municipality.id,
            Session.starts_at < end,
            Session.ends_at > start,
            or_(Session.cancelled.is_(False), Session.ends_at > api.utcnow()),
        )
    )
    if citizen_ids is not None:
        confirmed = select(Signup.course_id).where(
            Signup.citizen_id.in_(citizen_ids), Signup.status == SignupStatus.CONFIRMED
        )
        query = query.where(Session.course_id.in_(confirmed))
    return list(db.session.scalars(query.order_by(Session.starts_at, Session.id)))


def events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    """`personal`: the sessions of the courses the viewer (as a citizen) has a seat on; `public` and
    `staff`: every session of the municipality's courses."""
    db = api.db()
    if feed == "personal":
        if viewer is None:
            return []
        citizen_ids = services.linked_citizen_ids(db, municipality, viewer)
        if not citizen_ids:
            return []
        sessions = calendar_sessions(db, municipality, start, end, citizen_ids)
    elif feed in ("public", "staff"):
        sessions = calendar_sessions(db, municipality, start, end)
    else:
        return []
    return [event(s) for s in sessions]
