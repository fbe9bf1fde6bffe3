"""Serving an .ics feed the way calendar apps poll it: conditional GET with a strong ETag and Last-Modified.

Phones ask for a subscribed calendar every few minutes to hours; most of the time nothing changed, and a
304 saves the body. The ETag is the SHA-256 of the body, so it changes exactly when the feed does (an
event added, changed or gone). Last-Modified is for clients that only send If-Modified-Since: it is the
newest of the events' last changes and of the moments the feed's composition last changed that broen
knows of (a plugin turned on or off, the token made), so an event that leaves the feed because its plugin
was turned off moves it forward too. Feeds are sent uncompressed: some calendar clients mishandle gzip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from flask import Request, Response
from werkzeug.http import http_date, parse_date, parse_etags

from broen.calendar.events import CalendarEvent

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: How long a calendar app may keep a copy before asking again (it then asks conditionally).
PERSONAL_MAX_AGE = 15 * 60
PUBLIC_MAX_AGE = 60 * 60
#: Last-Modified of a feed with nothing else to date it: a fixed instant, so the answer is stable.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def last_modified(events: Iterable[CalendarEvent], *changed_at: datetime | None) -> datetime:
    """The newest of the events' `last_modified` and the given composition changes, to whole seconds."""
    moments = [e.last_modified for e in events] + [c for c in changed_at if c is not None]
    newest = max((m.astimezone(UTC) for m in moments), default=EPOCH)
    return newest.replace(microsecond=0)


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def not_modified(request: Request, etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when it is present; only without it does If-Modified-Since.

    A garbage If-Modified-Since date is ignored (the full feed is sent), as the RFC asks.
    """
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        # Weak comparison, as the RFC prescribes for If-None-Match.
        return parse_etags(if_none_match).contains_weak(etag)
    since = parse_date(request.headers.get("If-Modified-Since"))
    if since is None:
        return False
    return modified <= since.astimezone(UTC)


def feed_response(request: Request, body: bytes, modified: datetime, *, private: bool) -> Response:
    """A 200 with the feed, or a bodiless 304 when the client's copy is current; same caching headers."""
    etag = etag_of(body)
    if not_modified(request, etag, modified):
        response = Response(status=304)
        del response.headers["Content-Type"]  # a 304 has no body to describe
    else:
        response = Response(body, status=200, content_type=CONTENT_TYPE)
    response.set_etag(etag)  # strong: quoted, no W/
    response.headers["Last-Modified"] = http_date(modified)
    if private:
        response.headers["Cache-Control"] = f"private, max-age={PERSONAL_MAX_AGE}"
    else:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


__all__ = ["CONTENT_TYPE", "EPOCH", "etag_of", "feed_response", "last_modified", "not_modified"]
