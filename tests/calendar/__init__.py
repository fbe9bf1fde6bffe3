"""Sample feeds shared by the .ics tests and the Radicale tests.

Each sample has its events and, written out by hand, the UTC start every client must see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from broen.calendar.events import CalendarEvent

CPH = ZoneInfo("Europe/Copenhagen")
CHANGED = datetime(2026, 2, 1, 9, 30, tzinfo=CPH)  # 08:30Z


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def event(uid: str, start: datetime, hours: float = 2, **kwargs: object) -> CalendarEvent:
    values: dict[str, object] = {"summary": f"Café {uid}", "last_modified": CHANGED, **kwargs}
    return CalendarEvent(uid=uid, start=start, end=start + timedelta(hours=hours), **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Sample:
    name: str
    events: list[CalendarEvent]
    utc_starts: dict[str, datetime]  # uid -> the UTC start, worked out by hand


NORMAL = Sample(
    "Café Silkeborg",
    [
        event(
            "cafe-1@broen.example.dk",
            datetime(2026, 3, 3, 10, tzinfo=CPH),
            location="Medborgerhuset, Drewsensvej 1, Silkeborg",
            description="Kaffe og en snak om ugen.\nAlle er velkomne.",
            url="https://broen.example.dk/kalender/cafe-1",
            sequence=1,
        ),
        event("cafe-2@broen.example.dk", datetime(2026, 6, 9, 14, 30, tzinfo=CPH), hours=1.5),
        # Given in UTC: the feed still writes Copenhagen wall-clock time (13:00 in summer).
        event("cafe-3@broen.example.dk", utc(2026, 8, 4, 11), location="Søhøjlandet"),
    ],
    {
        "cafe-1@broen.example.dk": utc(2026, 3, 3, 9),
        "cafe-2@broen.example.dk": utc(2026, 6, 9, 12, 30),
        "cafe-3@broen.example.dk": utc(2026, 8, 4, 11),
    },
)

CANCELLED = Sample(
    "Café Norddjurs",
    [
        event("nd-1@broen.example.dk", datetime(2026, 5, 5, 17, tzinfo=CPH)),
        event("nd-2@broen.example.dk", datetime(2026, 5, 12, 17, tzinfo=CPH), cancelled=True, sequence=3),
        event("nd-3@broen.example.dk", datetime(2026, 12, 1, 17, tzinfo=CPH), cancelled=True, sequence=1),
    ],
    {
        "nd-1@broen.example.dk": utc(2026, 5, 5, 15),
        "nd-2@broen.example.dk": utc(2026, 5, 12, 15),
        "nd-3@broen.example.dk": utc(2026, 12, 1, 16),
    },
)

# A course of weekly Tuesday sessions at 17:00 Copenhagen time across both changes of 2026
# (29 March: to summer time, 25 October: back): 17:00 stays 17:00 on the wall clock, so it is
# 16:00Z in winter and 15:00Z in summer. One session is cancelled.
_SPRING = [datetime(2026, 3, 17, 17, tzinfo=CPH) + timedelta(weeks=i) for i in range(4)]
_AUTUMN = [datetime(2026, 10, 13, 17, tzinfo=CPH) + timedelta(weeks=i) for i in range(4)]
COURSE = Sample(
    "Forløb: Tilbage til hverdagen",
    [
        event(f"course-{s:%m%d}@broen.example.dk", s, cancelled=s.day == 20, sequence=0)
        for s in _SPRING + _AUTUMN
    ],
    {
        "course-0317@broen.example.dk": utc(2026, 3, 17, 16),
        "course-0324@broen.example.dk": utc(2026, 3, 24, 16),
        "course-0331@broen.example.dk": utc(2026, 3, 31, 15),
        "course-0407@broen.example.dk": utc(2026, 4, 7, 15),
        "course-1013@broen.example.dk": utc(2026, 10, 13, 15),
        "course-1020@broen.example.dk": utc(2026, 10, 20, 15),
        "course-1027@broen.example.dk": utc(2026, 10, 27, 16),
        "course-1103@broen.example.dk": utc(2026, 11, 3, 16),
    },
)

# Free text as coordinators may type (or paste) it: attempts to start new lines, properties and
# components, every character some parser takes for a line break, and long Danish text that has
# to be folded in the middle of multi-byte characters.
HOSTILE_TEXT = (
    "Café\r\nBEGIN:VEVENT\r\nUID:evil@example.com\r\nEND:VEVENT",
    "Lokale 2\nATTENDEE;CN=Evil:mailto:evil@example.com",
    "Linje 1\rLinje 2\x0bLinje 3\x0cLinje 4\x1c\x1d\x1e\x85\u2028\u2029END:VCALENDAR\x00\x07"
    + " Æblegrød på Østergade, ærligt; komma, semikolon; back\\slash. " * 4,
)
HOSTILE = Sample(
    "Café\r\nX-EVIL:1",
    [
        event(
            "hostile-1@broen.example.dk",
            datetime(2026, 9, 1, 10, tzinfo=CPH),
            summary=HOSTILE_TEXT[0],
            location=HOSTILE_TEXT[1],
            description=HOSTILE_TEXT[2],
        ),
        event(
            "hostile-2@broen.example.dk",
            datetime(2026, 9, 8, 10, tzinfo=CPH),
            summary=HOSTILE_TEXT[1],
            cancelled=True,
            url="https://broen.example.dk/a b/ø?x=1\r\nATTENDEE:mailto:evil@example.com",
        ),
    ],
    {
        "hostile-1@broen.example.dk": utc(2026, 9, 1, 8),
        "hostile-2@broen.example.dk": utc(2026, 9, 8, 8),
    },
)

# The night clocks go back (25 October 2026): 02:30 happens twice. The first is 00:30Z (summer
# time), the second 01:30Z, which a TZID cannot say, so the feed writes that one in UTC.
CLOCK_CHANGE = Sample(
    "Nattevagt",
    [
        event("night-1@broen.example.dk", utc(2026, 10, 25, 0, 30), hours=0.5),
        event("night-2@broen.example.dk", utc(2026, 10, 25, 1, 30), hours=0.5),
        event("night-3@broen.example.dk", utc(2026, 3, 29, 0, 30), hours=1.5),
    ],
    {
        "night-1@broen.example.dk": utc(2026, 10, 25, 0, 30),
        "night-2@broen.example.dk": utc(2026, 10, 25, 1, 30),
        "night-3@broen.example.dk": utc(2026, 3, 29, 0, 30),
    },
)

SAMPLES = {
    "normal": NORMAL,
    "cancelled": CANCELLED,
    "course": COURSE,
    "hostile": HOSTILE,
    "clock-change": CLOCK_CHANGE,
}
