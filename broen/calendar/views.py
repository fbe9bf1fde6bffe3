"""Calendar pages and feeds: the staff calendar and a municipality's public feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from broen.calendar.events import CalendarEvent
from broen.calendar.ics import build_ics
from broen.core.models import Municipality, User
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, current_municipality, require_role

bp = Blueprint("calendar", __name__)

#: Feeds that may be read without logging in. They must never name a participant.
PUBLIC_FEEDS = ("public",)
PAST = timedelta(days=31)
FUTURE = timedelta(days=366)


def events_for(municipality: Municipality, feed: str, viewer: User | None) -> list[CalendarEvent]:
    """All events every enabled plugin has for this feed, from a month ago to a year ahead."""
    now = datetime.now(UTC)
    return registry().call_flat(
        "broen_calendar_events",
        municipality,
        municipality=municipality,
        feed=feed,
        viewer=viewer,
        start=now - PAST,
        end=now + FUTURE,
    )


@bp.route("/<municipality>/calendar/")
@require_role(*STAFF_ROLES)
def staff() -> ResponseReturnValue:
    municipality = current_municipality()
    now = datetime.now(UTC)
    tz = ZoneInfo(municipality.timezone)
    events = sorted(
        (e for e in events_for(municipality, "staff", current_user) if e.end >= now),
        key=lambda e: e.start,
    )
    return render_template("calendar/staff.html", events=events, tz=tz)


@bp.route("/<municipality>/public/calendar/<feed>.ics")
def public_feed(feed: str) -> ResponseReturnValue:
    if feed not in PUBLIC_FEEDS:
        abort(404)
    municipality = current_municipality()
    body = build_ics(municipality.name, events_for(municipality, feed, None))
    return Response(body, content_type="text/calendar; charset=utf-8")
