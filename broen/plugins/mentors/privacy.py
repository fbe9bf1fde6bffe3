"""A citizen's mentor data: its part of the export (GDPR art. 15) and of the erasure (art. 17).

What the plugin holds about a citizen: their wishes for a mentor, their matches with mentors, and the
meetings of those matches. On erasure the wishes go; a match stays as anonymous numbers (its mentor, status,
dates, frequency and contact form: the mentor's history and the scheme's figures survive) without what was
shared or why it ended, and ends if it was open; held meetings stay (date, length, how) without their note,
planned ones go (they leave the mentor's calendar feed).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.orm import aliased

from broen import api
from broen.plugins.mentors.models import (
    PARTS_OF_DAY,
    CitizenWishes,
    ContactForm,
    Match,
    MatchStatus,
    Meeting,
    Mentor,
    slots_of,
)

_ = api.gettext

#: Stable, untranslated weekday names for the export's availability slots.
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _iso(value: date | datetime | time | None) -> str | None:
    return value.isoformat() if value is not None else None


def _forms(mask: int | None) -> list[str]:
    """The names of the `ContactForm`s in a bitmask ("walk", "coffee", ...)."""
    return [str(form.name).lower() for form in ContactForm if mask and mask & form]


def _form(bit: int | None) -> str | None:
    forms = _forms(bit)
    return forms[0] if forms else None


def _slots(mask: int) -> list[str]:
    return [f"{_DAYS[day]} {PARTS_OF_DAY[part]}" for day, part in slots_of(mask)]


def citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    """Everything the plugin holds about `citizen`: one section per kind of row, three queries."""
    session = api.db().session
    wishes = [
        {
            "interests": list(row.interests or []),
            "contact_forms": _forms(row.contact_forms),
            "area": row.area,
            "availability": _slots(row.availability),
            "note": row.note,
            "updated_at": _iso(row.updated_at),
        }
        for row in session.execute(
            select(
                CitizenWishes.interests,
                CitizenWishes.contact_forms,
                CitizenWishes.area,
                CitizenWishes.availability,
                CitizenWishes.note,
                CitizenWishes.updated_at,
            ).where(CitizenWishes.citizen_id == citizen.id)
        )
    ]
    matches = [
        {
            "id": row.id,
            "mentor": row.name,
            "status": row.status.value,
            "citizen_agreed_at": _iso(row.citizen_agreed_at),
            "mentor_agreed_at": _iso(row.mentor_agreed_at),
            "frequency_days": row.frequency_days,
            "contact_form": _form(row.contact_form),
            "shared_with_mentor": row.shared,
            "started_at": _iso(row.started_at),
            "end_reason": row.end_reason,
            "created_at": _iso(row.created_at),
            "changed_at": _iso(row.changed_at),
        }
        for row in session.execute(
            select(
                Match.id,
                Mentor.name,
                Match.status,
                Match.citizen_agreed_at,
                Match.mentor_agreed_at,
                Match.frequency_days,
                Match.contact_form,
                Match.shared,
                Match.started_at,
                Match.end_reason,
                Match.created_at,
                Match.changed_at,
            )
            .join(Mentor, Mentor.id == Match.mentor_id)
            .where(Match.citizen_id == citizen.id)
            .order_by(Match.id)
        )
    ]
    logged_by = aliased(api.User)
    meetings = [
        {
            "id": row.id,
            "match_id": row.match_id,
            "on": _iso(row.on),
            "at": _iso(row.at),
            "duration_minutes": row.duration_minutes,
            "contact_form": _form(row.contact_form),
            "note": row.note,
            "held": row.held,
            "logged_at": _iso(row.logged_at),
            "logged_by": row.logged_by,
        }
        for row in session.execute(
            select(
                Meeting.id,
                Meeting.match_id,
                Meeting.on,
                Meeting.at,
                Meeting.duration_minutes,
                Meeting.contact_form,
                Meeting.note,
                Meeting.held,
                Meeting.logged_at,
                logged_by.name.label("logged_by"),
            )
            .join(Match, Match.id == Meeting.match_id)
            .outerjoin(logged_by, logged_by.id == Meeting.logged_by_id)
            .where(Match.citizen_id == citizen.id)
            .order_by(Meeting.on, Meeting.id)
        )
    ]
    return [
        api.DataSection("mentor_wishes", _("Wishes for a mentor"), wishes),
        api.DataSection("mentor_matches", _("Matches with volunteer mentors"), matches),
        api.DataSection("mentor_meetings", _("Meetings with a mentor"), meetings),
    ]


def erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    """Erase the citizen's mentor data in the caller's transaction (never committed here).

    Deleted: the wishes, and planned meetings (through the ORM, so the calendar version moves). Kept,
    anonymous: the matches (what was shared and the end reason blanked; an open match is ended, which frees
    the mentor's place) and the held meetings (their note blanked).
    """
    db = api.db()
    db.session.execute(delete(CitizenWishes).where(CitizenWishes.citizen_id == citizen.id))
    now = api.utcnow()
    for match in db.session.scalars(select(Match).where(Match.citizen_id == citizen.id)):
        if match.status != MatchStatus.ENDED:
            match.status, match.changed_at = MatchStatus.ENDED, now
        match.shared = match.end_reason = ""
    meetings = db.session.scalars(
        select(Meeting).join(Match, Match.id == Meeting.match_id).where(Match.citizen_id == citizen.id)
    )
    for meeting in meetings:
        if meeting.held:
            meeting.note = ""
        else:
            db.session.delete(meeting)
    db.session.flush()
