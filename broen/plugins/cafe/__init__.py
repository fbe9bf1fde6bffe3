"""Café meetings (cafémøder): courses of group meetings for citizens granted a flex job on the basis of
mental illness or psychological vulnerability, their sessions, sign-ups and waitlist.

This first step has the data, the rules (`services`) and the calendar; pages come later.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from broen import api
from broen.plugins.cafe import services
from broen.plugins.cafe.forms import DEFAULTS, SettingsForm
from broen.plugins.cafe.models import Session

NAME = services.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Cafémøder",
        title_en="Café meetings",
        description="Courses of café meetings: sessions, sign-ups and waitlist.",
        version="0.1",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


def _event(session: Session) -> api.CalendarEvent:
    # The course's title and place only: a café feed never names a participant.
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


@api.hookimpl
def broen_calendar_events(
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
        sessions = services.calendar_sessions(db, municipality, start, end, citizen_ids)
    elif feed in ("public", "staff"):
        sessions = services.calendar_sessions(db, municipality, start, end)
    else:
        return []
    return [_event(s) for s in sessions]
