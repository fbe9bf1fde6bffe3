"""The café's part of the calendar feeds: which sessions go into which feed, as `CalendarEvent`s.

A café feed names the course and its place only, never a participant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from broen import api
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Session, Signup, SignupStatus


def calendar_events(
    db: api.Database,
    municipality: api.Municipality,
    start: datetime,
    end: datetime,
    citizen_ids: list[int] | None = None,
    course_id: int | None = None,
) -> list[api.CalendarEvent]:
    """Sessions of the municipality's courses overlapping [start, end), cancelled ones included (the
    calendar keeps a cancelled event until its date has passed); with `citizen_ids`, only those of
    courses where one of them is confirmed; with `course_id`, only that course's. Summary: the course's
    title; place: the session's or else the course's venue.

    The answer depends on the data and the window alone, never on the time of day: feeds are cached
    under their data's version and date (see broen/calendar/cache.py). Read as plain columns: a feed may
    have thousands of sessions, and building ORM objects for them would cost more than the query."""
    query = select(
        Session.uid,
        Session.starts_at,
        Session.ends_at,
        Session.location,
        Session.cancelled,
        Session.sequence,
        Session.last_modified,
        Course.title,
        Course.venue,
    ).join(Course, Course.id == Session.course_id)
    query = query.where(
        Session.municipality_id == municipality.id,
        Session.starts_at < end,
        Session.ends_at > start,
    )
    if course_id is not None:
        query = query.where(Session.course_id == course_id)
    if citizen_ids is not None:
        confirmed = select(Signup.course_id).where(
            Signup.citizen_id.in_(citizen_ids), Signup.status == SignupStatus.CONFIRMED
        )
        query = query.where(Session.course_id.in_(confirmed))
    rows = db.session.execute(query.order_by(Session.starts_at, Session.id))
    return [
        api.CalendarEvent(
            uid=f"cafe-session-{r.uid}@broen",
            start=r.starts_at,
            end=r.ends_at,
            summary=r.title,
            location=r.location or r.venue,
            last_modified=r.last_modified,
            cancelled=r.cancelled,
            sequence=r.sequence,
        )
        for r in rows
    ]


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
        return calendar_events(db, municipality, start, end, citizen_ids)
    if feed in ("public", "staff"):
        return calendar_events(db, municipality, start, end)
    return []
