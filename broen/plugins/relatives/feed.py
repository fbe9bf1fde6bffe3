"""The group courses for relatives in the calendar feeds, as `CalendarEvent`s.

The municipality's public feed and the staff calendar have every session of its courses: the course's
title, its venue, its description and who leads it, and whether the session is cancelled. Nothing about
who is referred to a course or comes to it is even read: no relative's or citizen's data can reach a
feed. Personal feeds get none (a relative has no log-in).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from broen import api
from broen.plugins.relatives.models import GroupCourse, GroupSession

#: The feeds the sessions are in.
FEEDS = ("public", "staff")


_ = api.gettext


def uid(session_id: int) -> str:
    """A session's calendar UID: the same for as long as the session exists, whatever happens to it."""
    return f"relatives-session-{session_id}@broen"


def describe(description: str, led_by: str) -> str:
    """The event's description: the course's description, then who leads it."""
    parts = [description.strip()] if description.strip() else []
    if led_by.strip():
        parts.append(_("Led by %(name)s", name=led_by.strip()))
    return "\n\n".join(parts)


def calendar_events(
    db: api.Database, municipality: api.Municipality, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    """The sessions of the municipality's courses overlapping [start, end), cancelled ones included (a
    calendar keeps a cancelled event, marked cancelled), soonest first.

    One query, read as plain columns of the course and session tables only. The answer depends on the
    data, the window and the language alone, never on the time of day: feeds are cached under their
    data's version and date (GroupCourse and GroupSession are calendar sources; see broen/calendar/cache.py).
    """
    rows = db.session.execute(
        select(
            GroupSession.id,
            GroupSession.starts_at,
            GroupSession.ends_at,
            GroupSession.cancelled,
            GroupSession.sequence,
            GroupSession.last_modified,
            GroupCourse.title,
            GroupCourse.venue,
            GroupCourse.description,
            GroupCourse.led_by,
        )
        .join(GroupCourse, GroupCourse.id == GroupSession.course_id)
        .where(
            GroupSession.municipality_id == municipality.id,
            GroupCourse.municipality_id == municipality.id,
            GroupSession.starts_at < end,
            GroupSession.ends_at > start,
        )
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    return [
        api.CalendarEvent(
            uid=uid(r.id),
            start=r.starts_at,
            end=r.ends_at,
            summary=r.title,
            location=r.venue,
            description=describe(r.description, r.led_by),
            last_modified=r.last_modified,
            cancelled=r.cancelled,
            sequence=r.sequence,
        )
        for r in rows
    ]


def events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    """`public` and `staff`: every session of the municipality's courses, in the viewer's language (the
    installation's for the public feed, so its cached copy is the same for everyone); other feeds: none."""
    if feed not in FEEDS:
        return []
    with api.force_locale(api.language_of(viewer)):
        return calendar_events(api.db(), municipality, start, end)
