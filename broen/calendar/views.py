"""Calendar pages and feeds: the staff calendar, a municipality's public feed, and personal feeds.

A personal feed (`/feeds/<token>.ics`) is what a participant subscribes to from a phone: calendar apps
cannot log in, so the secret token in the link is the key (see `broen.calendar.tokens`). An unknown,
revoked or inactive user's token gets the same bare 404, so the answer says nothing about which links
once existed. The links are made and stopped on `/me`.

Feeds are served from a cache checked with one query per request (`broen.calendar.cache`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from broen.calendar import tokens
from broen.calendar.cache import build_feed, feed_view, local_today, municipality_feed, personal_state, serve
from broen.calendar.cache import window as feed_window
from broen.calendar.events import CalendarEvent
from broen.calendar.feeds import not_found
from broen.core.db import current_db
from broen.core.links import absolute_url, qr_data_uri
from broen.core.models import Municipality, User
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, current_municipality, require_role

bp = Blueprint("calendar", __name__)

#: Feeds that may be read without logging in. They must never name a participant.
PUBLIC_FEEDS = ("public",)
#: The feed a plugin is asked for when a user's own calendar subscription is built (viewer = that user).
PERSONAL_FEED = "personal"


def events_for(
    municipality: Municipality,
    feed: str,
    viewer: User | None,
    window: tuple[datetime, datetime] | None = None,
) -> list[CalendarEvent]:
    """All events every enabled plugin has for this feed in `window` (default: today's, see
    `broen.calendar.cache.window`: from local midnight a month ago to a year ahead)."""
    if window is None:
        window = feed_window(local_today(municipality.timezone), municipality.timezone)
    start, end = window
    return registry().call_flat(
        "broen_calendar_events",
        municipality,
        municipality=municipality,
        feed=feed,
        viewer=viewer,
        start=start,
        end=end,
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
@feed_view
def public_feed(feed: str) -> ResponseReturnValue:
    if feed not in PUBLIC_FEEDS:
        return not_found()
    return municipality_feed(feed, lambda m, start, end: (m.name, events_for(m, feed, None, (start, end))))


@bp.route("/feeds/<token>.ics")
def personal_feed(token: str) -> ResponseReturnValue:
    db = current_db()
    default_timezone = current_app.config["BROEN"].broen.default_timezone
    state = personal_state(db, tokens.hash_token(token), default_timezone)
    if state is None:
        return not_found()

    def body() -> bytes | None:
        user = db.session.get(User, state.user_id)
        if user is None:
            return None
        mine = {m.municipality_id: m.municipality for m in user.memberships}
        municipalities = [mine[i] for i in state.municipality_ids if i in mine]
        window = feed_window(state.day, state.timezone)
        events = [e for m in municipalities for e in events_for(m, PERSONAL_FEED, user, window)]
        name = " · ".join(["broen", *(m.name for m in municipalities)])
        return build_feed(name, events, state)

    return serve(state, body, private=True)


# --- the calendar link on /me ----------------------------------------------------------------------------


@bp.app_template_global("has_calendar_link")
def has_calendar_link() -> bool:
    """Whether the logged-in user has a live calendar link (for the box on /me)."""
    if not current_user.is_authenticated:
        return False
    return tokens.live_token(current_db(), current_user._get_current_object()) is not None


def feed_links(token: str) -> dict[str, Any]:
    """The https:// and webcal:// links of a token's feed, and a QR code of the https link (data: URI)."""
    https = absolute_url("calendar.personal_feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1], "qr": qr_data_uri(https)}


@bp.route("/me/calendar-link", methods=["POST"])
@login_required
def make_link() -> ResponseReturnValue:
    """Make a calendar link (ending any earlier one) and show it, once: only its hash is kept."""
    token = tokens.issue(current_db(), current_user._get_current_object())
    return render_template("calendar/link_made.html", links=feed_links(token))


@bp.route("/me/calendar-link/new")
@login_required
def confirm_new_link() -> ResponseReturnValue:
    return render_template("calendar/confirm_link.html", action="new")


@bp.route("/me/calendar-link/stop", methods=["GET", "POST"])
@login_required
def stop_link() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("calendar/confirm_link.html", action="stop")
    tokens.revoke(current_db(), current_user._get_current_object())
    flash(_("Your calendar link is stopped. Calendars that used it get no more updates."), "success")
    return redirect(url_for("auth.account"))
