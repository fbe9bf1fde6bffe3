"""Serving an .ics feed the way calendar apps poll it: conditional GET with a strong ETag and Last-Modified.

Phones ask for a subscribed calendar every few minutes to hours; most of the time nothing changed, and a
304 saves the body. The validators come from the feed's cache key (see `broen.calendar.cache`), not from
the body, so a 304 is answered without building or even fetching the feed: the ETag is a hash of the key,
which changes whenever the feed's data or date does; Last-Modified is for clients that only send
If-Modified-Since. Feeds are sent uncompressed: some calendar clients mishandle gzip.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Request, Response
from werkzeug.http import http_date, parse_date, parse_etags

from broen.core import metrics

CONTENT_TYPE = "text/calendar; charset=utf-8"
#: How long a calendar app may keep a copy before asking again (it then asks conditionally).
PERSONAL_MAX_AGE = 15 * 60
PUBLIC_MAX_AGE = 60 * 60
PERSONAL_CACHE_CONTROL = f"private, max-age={PERSONAL_MAX_AGE}"
PUBLIC_CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE}"


def now() -> datetime:
    """The current instant; the feeds' one clock (tests replace it to move the date)."""
    return datetime.now(UTC)


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


def feed_response(body: bytes | None, etag: str | None, modified: datetime, *, private: bool) -> Response:
    """A 200 with the feed, or a bodiless 304 (`body` None); the same caching headers on both.

    Last-Modified is never later than now (RFC 9110 §8.8.2.1): a `modified` that runs ahead of the clock
    (see `broen.calendar.versions`) is sent as now, and stays unmatched by If-Modified-Since until then.
    Without an `etag` (a feed that is not to be kept: a plugin failed) there are no validators and the
    client is told not to reuse the copy.
    """
    metrics.feed_served(200 if body is not None else 304)
    if body is None:
        response = Response(status=304)
        del response.headers["Content-Type"]  # a 304 has no body to describe
    else:
        response = Response(body, status=200, content_type=CONTENT_TYPE)
    headers = response.headers
    if etag is None:
        headers["Cache-Control"] = "no-cache"
        return response
    headers["ETag"] = f'"{etag}"'  # strong: quoted, no W/
    headers["Last-Modified"] = http_date(min(modified, now()))
    headers["Cache-Control"] = PERSONAL_CACHE_CONTROL if private else PUBLIC_CACHE_CONTROL
    return response


def not_found() -> Response:
    """The one answer for every feed that does not exist (or is not to be shown): nothing about why."""
    response = Response(b"", status=404, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["CONTENT_TYPE", "feed_response", "not_found", "not_modified", "now"]
