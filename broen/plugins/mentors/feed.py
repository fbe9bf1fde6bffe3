"""Planned mentor meetings in the mentor's personal calendar feed, as `CalendarEvent`s.

Only the mentor's own feed has them: a planned (not yet logged) meeting of one of their active matches.
An event says "Mentor meeting with <first name>" and how they meet ("Walk"), nothing else: never the
meeting's note, what the citizen shared, or anything about health. The public and staff feeds get none.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from broen import api
from broen.plugins.mentors.mentor_pages import first_name
from broen.plugins.mentors.models import Match, MatchStatus, Meeting, Mentor, MentorStatus
from broen.plugins.mentors.services import _
from broen.plugins.mentors.staff_forms import contact_label


def calendar_events(
    db: api.Database, municipality: api.Municipality, user: api.User, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    """The planned meetings of the active matches of `user`'s mentor record in `municipality` that overlap
    [start, end), soonest first, in `user`'s language.

    One query, read as plain columns (the note and what was shared are not even read). The answer
    depends on the data and the window alone: feeds are cached under their data's version (Meeting, Match,
    Mentor and Citizen are calendar sources) and date (see broen/calendar/cache.py)."""
    zone = ZoneInfo(municipality.timezone)
    # A meeting lasts at most 10 hours, so one that began the day before the window may still be in it.
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    rows = db.session.execute(
        select(
            Meeting.uid,
            Meeting.on,
            Meeting.at,
            Meeting.duration_minutes,
            Meeting.contact_form,
            Meeting.sequence,
            Meeting.updated_at,
            api.Citizen.name,
        )
        .join(Match, Match.id == Meeting.match_id)
        .join(Mentor, Mentor.id == Match.mentor_id)
        .join(api.Citizen, api.Citizen.id == Match.citizen_id)
        .where(
            Meeting.municipality_id == municipality.id,
            Match.municipality_id == municipality.id,
            Mentor.municipality_id == municipality.id,
            Mentor.user_id == user.id,
            Mentor.status != MentorStatus.LEFT,
            Match.status == MatchStatus.ACTIVE,
            Meeting.held.is_(False),
            Meeting.at.is_not(None),
            Meeting.on >= first_day,
            Meeting.on <= last_day,
        )
        .order_by(Meeting.on, Meeting.at, Meeting.id)
    )
    found = []
    with api.force_locale(api.language_of(user)):
        for r in rows:
            begins = datetime.combine(r.on, r.at, tzinfo=zone)
            ends = begins + timedelta(minutes=r.duration_minutes)
            if not (begins < end and ends > start):
                continue
            how = contact_label(r.contact_form)
            found.append(
                api.CalendarEvent(
                    uid=f"mentors-meeting-{r.uid}@broen",
                    start=begins,
                    end=ends,
                    summary=_("Mentor meeting with %(name)s") % {"name": first_name(r.name)},
                    description=how,
                    last_modified=r.updated_at,
                    sequence=r.sequence,
                )
            )
    return found


def events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    """`personal`: the viewer's planned mentor meetings, if they are a mentor here; other feeds: none."""
    if feed != "personal" or viewer is None or viewer.role_in(municipality.id) != api.Role.MENTOR:
        return []
    return calendar_events(api.db(), municipality, viewer, start, end)
