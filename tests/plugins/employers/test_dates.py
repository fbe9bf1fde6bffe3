"""The weeks of the check-ins after a hire: the setting's weeks, sorted, unique and from 1 to 25."""

from __future__ import annotations

import pytest

from broen.plugins.employers.services import parse_weeks


def test_the_check_in_weeks_are_sorted_unique_and_from_1_to_25() -> None:
    assert parse_weeks("2, 4, 8, 13, 17, 22") == [2, 4, 8, 13, 17, 22]
    assert parse_weeks("8,2, 2 ,25,1") == [1, 2, 8, 25]
    for bad in ("0", "26", "2, x", "3.5", "-1"):
        with pytest.raises(ValueError, match="from 1 to 25"):
            parse_weeks(bad)
