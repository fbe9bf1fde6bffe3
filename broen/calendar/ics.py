"""Building an iCalendar (.ics) file from `CalendarEvent`s with icalendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from icalendar import Calendar, Event

from broen.calendar.events import CalendarEvent


def build_ics(name: str, events: Iterable[CalendarEvent]) -> bytes:
    """A VCALENDAR with one VEVENT per event, times in UTC, in a stable order (same data, same bytes)."""
    cal = Calendar()
    cal.add("prodid", "-//broen//broen calendar//DA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    for ev in sorted(events, key=lambda e: (e.start, e.uid)):
        vevent = Event()
        vevent.add("uid", ev.uid)
        vevent.add("dtstamp", ev.last_modified.astimezone(UTC))
        vevent.add("last-modified", ev.last_modified.astimezone(UTC))
        vevent.add("dtstart", ev.start.astimezone(UTC))
        vevent.add("dtend", ev.end.astimezone(UTC))
        vevent.add("sequence", ev.sequence)
        vevent.add("summary", ev.summary)
        vevent.add("status", "CANCELLED" if ev.cancelled else "CONFIRMED")
        if ev.location:
            vevent.add("location", ev.location)
        if ev.description:
            vevent.add("description", ev.description)
        if ev.url:
            vevent.add("url", ev.url)
        cal.add_component(vevent)
    body: bytes = cal.to_ical()
    return body
