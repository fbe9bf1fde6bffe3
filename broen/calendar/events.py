"""`CalendarEvent`: what a plugin gives the calendar; the calendar service turns it into feeds and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CalendarEvent:
    """One event in a feed. Times are time-zone aware; `uid` never changes for the same event.

    `sequence` grows whenever the time, place or status changes, and `last_modified` is the moment
    of the last change, so the same data always gives the same feed.
    """

    uid: str
    start: datetime
    end: datetime
    summary: str
    last_modified: datetime
    location: str = ""
    description: str = ""
    cancelled: bool = False
    sequence: int = 0
    url: str = ""

    def __post_init__(self) -> None:
        for name in ("start", "end", "last_modified"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"CalendarEvent.{name} must be time-zone aware (no floating times)")
        if self.end < self.start:
            raise ValueError("CalendarEvent.end is before its start")
