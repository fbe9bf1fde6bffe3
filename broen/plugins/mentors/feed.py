"""Planned mentor meetings in the mentor's personal calendar feed (placeholder: being built)."""

from __future__ import annotations

from datetime import datetime

from broen import api


def events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    return []
