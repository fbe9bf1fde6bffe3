"""Calendar months clamped to the month's end, and the Sunday of a week (`api.add_months`, `api.week_end`)."""

from __future__ import annotations

from datetime import date

import pytest

from broen import api


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 31), 3, date(2026, 6, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 31), 6, date(2027, 6, 30)),
        (date(2026, 5, 15), 12, date(2027, 5, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
    ],
)
def test_months_after_a_date_are_calendar_months_clamped_to_the_months_end(
    day: date, months: int, expected: date
) -> None:
    assert api.add_months(day, months) == expected


def test_a_week_ends_on_its_sunday() -> None:
    assert api.week_end(date(2026, 11, 23)) == date(2026, 11, 29)  # a Monday
    assert api.week_end(date(2026, 11, 29)) == date(2026, 11, 29)  # the Sunday itself
    assert api.week_end(date(2026, 12, 31)) == date(2027, 1, 3)
