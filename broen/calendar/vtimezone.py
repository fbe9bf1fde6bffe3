"""A rule-based VTIMEZONE derived from zoneinfo.

icalendar's `add_missing_timezones()` writes a zone as long lists of RDATEs, which vobject (hence
Radicale) and Outlook misread. Here a zone is written the way calendar clients write it themselves:
one STANDARD and (for a zone with daylight saving time) one DAYLIGHT sub-component, each with a
yearly RRULE such as `FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU` (the last Sunday of March).

The rule is read off zoneinfo: the transitions of the next few years must follow one yearly
"n-th (or last) weekday of a month at a fixed local time" pattern, else `ValueError`. Each
sub-component's DTSTART is the first transition (in local time before it, as RFC 5545 wants) of the
unbroken run of years that follow the current rule, so the output does not depend on today's date
as long as the zone's rules do not change.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_CHECK_YEARS = 8  # how many years from this one must follow the rule
_OLDEST_YEAR = 1970  # how far back the DTSTART of the current rule is looked for
_DAY_ABBR = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class _Transition:
    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name_to: str

    @property
    def local(self) -> datetime:
        """The wall-clock time of the transition, in the offset before it (naive)."""
        return (self.at + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class _Rule:
    """One yearly transition: month, weekday, which one (1..5 or -1 for the last) and local time."""

    offset_from: timedelta
    offset_to: timedelta
    name: str
    month: int
    weekday: int
    nth: frozenset[int]
    time: tuple[int, int, int]

    def matches(self, t: _Transition) -> bool:
        local = t.local
        return (
            (t.offset_from, t.offset_to, t.name_to) == (self.offset_from, self.offset_to, self.name)
            and (local.month, local.weekday()) == (self.month, self.weekday)
            and (local.hour, local.minute, local.second) == self.time
            and bool(self.nth & _which(local))
        )


def _state(zone: ZoneInfo, at: datetime) -> tuple[timedelta, str]:
    local = at.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.tzname() or ""


def _transitions(zone: ZoneInfo, year: int) -> list[_Transition]:
    """Every change of UTC offset or abbreviation during `year` (UTC), to the second."""
    found = []
    start = datetime(year, 1, 1, tzinfo=UTC)
    days = 366 if calendar.isleap(year) else 365
    previous = _state(zone, start)
    for day in range(1, days + 1):
        at = start + timedelta(days=day)
        state = _state(zone, at)
        if state == previous:
            continue
        low, high = at - timedelta(days=1), at  # state(low) == previous, state(high) != previous
        while high - low > timedelta(seconds=1):
            mid = low + (high - low) / 2
            mid = mid.replace(microsecond=0)
            if _state(zone, mid) == previous:
                low = mid
            else:
                high = mid
        to_state = _state(zone, high)
        found.append(_Transition(high, previous[0], to_state[0], to_state[1]))
        previous = state
    return found


def _which(local: datetime) -> frozenset[int]:
    """Which weekday of its month `local` is: 1..5, and -1 if it is also the last one."""
    nth = {(local.day - 1) // 7 + 1}
    if local.day + 7 > calendar.monthrange(local.year, local.month)[1]:
        nth.add(-1)
    return frozenset(nth)


def _rule(transitions: list[_Transition], key: str) -> _Rule:
    """The one yearly rule that all `transitions` (one per year) follow, or ValueError."""
    first = transitions[0]
    local = first.local
    rule = _Rule(
        first.offset_from,
        first.offset_to,
        first.name_to,
        local.month,
        local.weekday(),
        _which(local),
        (local.hour, local.minute, local.second),
    )
    for t in transitions:
        if not rule.matches(t):
            raise ValueError(f"time zone {key!r}: its transitions do not follow one yearly rule")
        rule = _Rule(**{**rule.__dict__, "nth": rule.nth & _which(t.local)})
    return rule


def _observance(
    kind: type[TimezoneStandard] | type[TimezoneDaylight],
    name: str,
    start: datetime,
    offset_from: timedelta,
    offset_to: timedelta,
) -> TimezoneStandard | TimezoneDaylight:
    component = kind()
    component.add("dtstart", start)
    component.add("tzoffsetfrom", offset_from)
    component.add("tzoffsetto", offset_to)
    if name:
        component.add("tzname", name)
    return component


@lru_cache(maxsize=32)
def _vtimezone_ical(key: str, this_year: int) -> bytes:
    try:
        zone = ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {key!r}") from error
    years = range(this_year, this_year + _CHECK_YEARS)
    per_year = [_transitions(zone, year) for year in years]
    tz = Timezone()
    tz.add("tzid", key)

    if not any(per_year):
        # No daylight saving time: one STANDARD from the zone's last change (or 1970).
        offset, name = _state(zone, datetime(this_year, 1, 1, tzinfo=UTC))
        start, offset_from = datetime(_OLDEST_YEAR, 1, 1), offset
        for year in range(this_year - 1, _OLDEST_YEAR - 1, -1):
            found = _transitions(zone, year)
            if found:
                start, offset_from = found[-1].local, found[-1].offset_from
                break
        tz.add_component(_observance(TimezoneStandard, name, start, offset_from, offset))
        return bytes(tz.to_ical())

    if any(len(found) != 2 for found in per_year):
        raise ValueError(f"time zone {key!r}: not two transitions a year, so no yearly rule")
    # Sort each year's pair so that index 0 is the change to the larger offset (daylight).
    pairs = [sorted(found, key=lambda t: t.offset_to, reverse=True) for found in per_year]
    daylight = _rule([p[0] for p in pairs], key)
    standard = _rule([p[1] for p in pairs], key)
    if daylight.offset_to <= standard.offset_to or (
        (daylight.offset_from, standard.offset_from) != (standard.offset_to, daylight.offset_to)
    ):
        raise ValueError(f"time zone {key!r}: its transitions do not alternate between two offsets")

    # Walk back to the first year of the unbroken run that follows both rules.
    for year in range(this_year - 1, _OLDEST_YEAR - 1, -1):
        found = sorted(_transitions(zone, year), key=lambda t: t.offset_to, reverse=True)
        if len(found) != 2 or not (daylight.matches(found[0]) and standard.matches(found[1])):
            break
        pairs.insert(0, found)

    first = pairs[0]
    for kind, rule, transition in (
        (TimezoneStandard, standard, first[1]),
        (TimezoneDaylight, daylight, first[0]),
    ):
        component = _observance(kind, rule.name, transition.local, rule.offset_from, rule.offset_to)
        nth = -1 if -1 in rule.nth else min(rule.nth)
        component.add(
            "rrule",
            {"freq": "yearly", "bymonth": rule.month, "byday": f"{nth}{_DAY_ABBR[rule.weekday]}"},
        )
        tz.add_component(component)
    return bytes(tz.to_ical())


def vtimezone(key: str, *, this_year: int | None = None) -> Timezone:
    """A VTIMEZONE for the IANA zone `key` with yearly rules; ValueError if it has none.

    `this_year` (default: the current year, UTC) is where the check of the rules starts.
    """
    year = datetime.now(UTC).year if this_year is None else this_year
    component = Timezone.from_ical(_vtimezone_ical(key, year))
    assert isinstance(component, Timezone)
    return component
