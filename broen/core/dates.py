"""Date arithmetic the plugins share: calendar months and the end of a week."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months (may be negative), clamped to the month's last day:
    31 January + 1 month is 28 (or 29) February."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def week_end(day: date) -> date:
    """The Sunday that ends `day`'s week (weeks run Monday to Sunday)."""
    return day + timedelta(days=6 - day.weekday())
