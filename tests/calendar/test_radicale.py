"""Every kind of feed goes into a real CalDAV server (Radicale, which parses with vobject) and comes
back out with the same events at the same UTC times."""

from __future__ import annotations

from datetime import UTC

import pytest
import vobject

from broen.calendar.ics import build_ics
from tests.calendar import SAMPLES, Sample
from tests.fixtures.radicale import Radicale


@pytest.mark.parametrize(("kind", "sample"), SAMPLES.items(), ids=SAMPLES.keys())
def test_radicale_takes_the_feed_and_gives_the_same_events_back(
    radicale: Radicale, kind: str, sample: Sample
) -> None:
    path = f"/alice/{kind}/"
    put = radicale.put_calendar(path, build_ics(sample.name, sample.events))
    assert put.status_code == 201, put.get_data(as_text=True)

    got = radicale.get(path)
    assert got.status_code == 200
    assert got.mimetype == "text/calendar"
    cal = vobject.readOne(got.get_data(as_text=True), validate=True)
    cal.validate(raiseException=True)
    events = cal.vevent_list
    assert len(events) == len(sample.events)
    assert {ve.uid.value: ve.dtstart.value.astimezone(UTC) for ve in events} == sample.utc_starts
    for ev in sample.events:
        ve = next(v for v in events if v.uid.value == ev.uid)
        assert ve.dtend.value.astimezone(UTC) == ev.end.astimezone(UTC)
        assert ve.status.value == ("CANCELLED" if ev.cancelled else "CONFIRMED")
        assert ve.summary.value.startswith("AFLYST: ") == ev.cancelled


def test_radicale_refuses_what_is_not_a_calendar(radicale: Radicale) -> None:
    """The check above means something: Radicale does refuse a broken feed."""
    broken = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n"
    assert radicale.put_calendar("/alice/broken/", broken).status_code == 400
