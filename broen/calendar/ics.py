"""Building an iCalendar (.ics) feed from `CalendarEvent`s with icalendar.

The feed is what Google Calendar, Outlook and iPhones subscribe to, so it is written the way they
read best: no METHOD (a published feed, not an invitation), one rule-based VTIMEZONE
(see `vtimezone.py`), DTSTART/DTEND as local wall-clock time with a TZID, and DTSTAMP =
LAST-MODIFIED = the event's own `last_modified`, so the same data always gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration, vText

from broen.calendar.events import CalendarEvent
from broen.calendar.vtimezone import vtimezone

PRODID = "-//broen//broen calendar//DA"
CANCELLED_PREFIX = "AFLYST: "

# Characters that some parsers (e.g. Python's str.splitlines) take for a line break: they become
# "\n", which icalendar escapes. Other control characters are not allowed in iCalendar TEXT at all.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
# Characters kept as they are in a URL; anything else (spaces, controls, non-ASCII) is %-encoded.
_URL_SAFE = "!#$&'()*+,-./:;=?@[]_~%"


def clean_text(value: str) -> str:
    """Free text as one iCalendar TEXT value: line breaks as "\\n", no other control characters."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))


def _when(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` as wall-clock time in `zone`, or in UTC when that wall-clock time is the second
    occurrence of a repeated hour (when clocks go back), which a TZID cannot express."""
    local = moment.astimezone(zone)
    if local.replace(fold=0).astimezone(UTC) != moment.astimezone(UTC):
        return moment.astimezone(UTC)
    return local


def build_ics(
    name: str,
    events: Iterable[CalendarEvent],
    *,
    timezone: str = "Europe/Copenhagen",
    refresh: timedelta = timedelta(hours=1),
) -> bytes:
    """A VCALENDAR with one VEVENT per event in a stable order (same data, same bytes).

    Raises ValueError for a `timezone` that has no yearly rule (see `vtimezone.vtimezone`).
    """
    zone_component = vtimezone(timezone)
    zone = ZoneInfo(timezone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # icalendar does not know NAME and X-WR-CALNAME as TEXT (so would not escape them); a calendar's
    # name is one line.
    title = " ".join(clean_text(name).split("\n"))
    cal.add("name", vText(title))
    cal.add("x-wr-calname", vText(title))
    cal.add("x-wr-timezone", timezone)
    cal.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(refresh))
    cal.add_component(zone_component)
    for ev in sorted(events, key=lambda e: (e.start, e.uid)):
        vevent = Event()
        vevent.add("uid", ev.uid)
        vevent.add("dtstamp", ev.last_modified.astimezone(UTC))
        vevent.add("last-modified", ev.last_modified.astimezone(UTC))
        vevent.add("dtstart", _when(ev.start, zone))
        vevent.add("dtend", _when(ev.end, zone))
        vevent.add("sequence", ev.sequence)
        summary = clean_text(ev.summary)
        vevent.add("summary", CANCELLED_PREFIX + summary if ev.cancelled else summary)
        vevent.add("status", "CANCELLED" if ev.cancelled else "CONFIRMED")
        if ev.location:
            vevent.add("location", clean_text(ev.location))
        if ev.description:
            vevent.add("description", clean_text(ev.description))
        if ev.url:
            vevent.add("url", quote(ev.url, safe=_URL_SAFE))
        cal.add_component(vevent)
    body: bytes = cal.to_ical()
    return body
