"""Calendar pages and feeds: the staff calendar, a municipality's public feed, and personal feeds.

A personal feed (`/feeds/<token>.ics`) is what a participant subscribes to from a phone: calendar apps
cannot log in, so the secret token in the link is the key (see `broen.calendar.tokens`). An unknown,
revoked or inactive user's token gets the same bare 404, so the answer says nothing about which links
once existed. The links are made and stopped on `/me`.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import qrcode  # type: ignore[import-untyped]  # no type hints shipped
import qrcode.image.svg  # type: ignore[import-untyped]
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from broen.calendar import tokens
from broen.calendar.events import CalendarEvent
from broen.calendar.feeds import feed_response, last_modified
from broen.calendar.ics import build_ics
from broen.core.db import Database
from broen.core.models import Municipality, PluginState, User
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, current_municipality, require_role

bp = Blueprint("calendar", __name__)

#: Feeds that may be read without logging in. They must never name a participant.
PUBLIC_FEEDS = ("public",)
#: The feed a plugin is asked for when a user's own calendar subscription is built (viewer = that user).
PERSONAL_FEED = "personal"
PAST = timedelta(days=31)
FUTURE = timedelta(days=366)


def _db() -> Database:
    db: Database = current_app.extensions["broen.db"]
    return db


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


def _plugins_changed_at(municipality_ids: list[int]) -> datetime | None:
    """When a plugin was last turned on or off (or its settings saved) in these municipalities."""
    if not municipality_ids:
        return None
    # The newest row's column (not max()): SQLite's max() would return text, not an aware datetime.
    changed: datetime | None = _db().session.scalar(
        select(PluginState.changed_at)
        .where(PluginState.municipality_id.in_(municipality_ids))
        .order_by(PluginState.changed_at.desc())
        .limit(1)
    )
    return changed


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
    events = events_for(municipality, feed, None)
    body = build_ics(municipality.name, events, timezone=municipality.timezone)
    modified = last_modified(events, municipality.created_at, _plugins_changed_at([municipality.id]))
    return feed_response(request, body, modified, private=False)


def _not_found() -> Response:
    """The one answer for every token that does not open a feed: nothing about why."""
    response = Response(b"", status=404, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/feeds/<token>.ics")
def personal_feed(token: str) -> ResponseReturnValue:
    row = tokens.find(_db(), token)
    if row is None:
        return _not_found()
    user = row.user
    municipalities = [m.municipality for m in sorted(user.memberships, key=lambda m: m.id)]
    events = [e for m in municipalities for e in events_for(m, PERSONAL_FEED, user)]
    timezone = (
        municipalities[0].timezone if municipalities else current_app.config["BROEN"].broen.default_timezone
    )
    name = " · ".join(["broen", *(m.name for m in municipalities)])
    body = build_ics(name, events, timezone=timezone)
    modified = last_modified(events, row.created_at, _plugins_changed_at([m.id for m in municipalities]))
    return feed_response(request, body, modified, private=True)


# --- the calendar link on /me ----------------------------------------------------------------------------


@bp.app_template_global("has_calendar_link")
def has_calendar_link() -> bool:
    """Whether the logged-in user has a live calendar link (for the box on /me)."""
    if not current_user.is_authenticated:
        return False
    return tokens.live_token(_db(), current_user._get_current_object()) is not None


def feed_links(token: str) -> dict[str, Any]:
    """The https:// and webcal:// links of a token's feed, and a QR code of the https link (data: URI)."""
    base = current_app.config["BROEN"].broen.base_url.rstrip("/")
    https = base + url_for("calendar.personal_feed", token=token)
    webcal = "webcal://" + https.split("://", 1)[1]
    svg = qrcode.make(https, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string()
    qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return {"https": https, "webcal": webcal, "qr": qr}


@bp.route("/me/calendar-link", methods=["POST"])
@login_required
def make_link() -> ResponseReturnValue:
    """Make a calendar link (ending any earlier one) and show it, once: only its hash is kept."""
    token = tokens.issue(_db(), current_user._get_current_object())
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
    tokens.revoke(_db(), current_user._get_current_object())
    flash(_("Your calendar link is stopped. Calendars that used it get no more updates."), "success")
    return redirect(url_for("auth.account"))
