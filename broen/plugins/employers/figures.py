"""The employers plugin's figures of the outcome report (`broen_outcome_figures`), for a period (both ends
included):

- employers.flexjob / .ordinary_job / .education: distinct citizens with a placement of that kind that
  started in the period;
- employers.paid_hours: the hours a week of the flex jobs and ordinary jobs running on the period's last
  day (started on or before it, not ended on or before it);
- employers.retention_3m / .retention_6m: of the flex jobs, ordinary jobs and educations whose start plus
  three (six) calendar months falls in the period, those not ended before that day.

One statement (the columns of the municipality's placements started by the period's end), computed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from broen import api
from broen.plugins.employers.models import FOLLOWED_UP, PAID, Placement, PlacementKind

_l = api.lazy_gettext
Row = tuple[int, PlacementKind, date, Decimal | None, date | None]


def placements(municipality: api.Municipality, end: date) -> list[Row]:
    """(citizen id, kind, start, hours a week, ended on) of every placement started by `end`."""
    rows = api.db().session.execute(
        select(
            Placement.citizen_id,
            Placement.kind,
            Placement.start_on,
            Placement.hours_per_week,
            Placement.ended_on,
        ).where(Placement.municipality_id == municipality.id, Placement.start_on <= end)
    )
    return [(c, k, s, h, e) for c, k, s, h, e in rows]


def _started(rows: Iterable[Row], kind: PlacementKind, start: date, end: date) -> int:
    return len({citizen for citizen, k, on, _h, _e in rows if k == kind and start <= on <= end})


def _retention(rows: Iterable[Row], months: int, start: date, end: date) -> tuple[int, int]:
    """(still there on the day, of those whose day falls in the period)."""
    kept = of = 0
    for _c, kind, on, _h, ended in rows:
        if kind not in FOLLOWED_UP:
            continue
        day = api.add_months(on, months)
        if start <= day <= end:
            of += 1
            kept += ended is None or ended >= day
    return kept, of


def outcome_figures(municipality: api.Municipality, start: date, end: date) -> list[api.OutcomeFigure]:
    rows = placements(municipality, end)
    hours = sum(
        (
            h or Decimal(0)
            for _c, k, on, h, ended in rows
            if k in PAID and on <= end and (ended is None or ended > end)
        ),
        Decimal(0),
    )
    kept3, of3 = _retention(rows, 3, start, end)
    kept6, of6 = _retention(rows, 6, start, end)

    def people(key: str, kind: PlacementKind, label: str, note: str, order: int) -> api.OutcomeFigure:
        return api.OutcomeFigure(
            key=key,
            label=label,
            value=_started(rows, kind, start, end),
            kind="people",
            chart="work",
            note=note,
            order=order,
        )

    return [
        people(
            "employers.flexjob",
            PlacementKind.FLEXJOB,
            str(_l("Into a flex job")),
            str(_l("Citizens with a flex job that started in the period.")),
            110,
        ),
        people(
            "employers.ordinary_job",
            PlacementKind.ORDINARY_JOB,
            str(_l("Into an ordinary job")),
            str(_l("Citizens with an ordinary job that started in the period.")),
            120,
        ),
        people(
            "employers.education",
            PlacementKind.EDUCATION,
            str(_l("Into an education")),
            str(_l("Citizens with an education that started in the period.")),
            130,
        ),
        api.OutcomeFigure(
            key="employers.paid_hours",
            label=str(_l("Paid hours a week")),
            value=float(hours),
            kind="total",
            unit=str(_l("hours a week")),
            chart="work",
            note=str(
                _l(
                    "The hours a week of the flex jobs and ordinary jobs running on the last day of the period."
                )
            ),
            order=140,
        ),
        api.OutcomeFigure(
            key="employers.retention_3m",
            label=str(_l("Still there after 3 months")),
            value=kept3,
            of=of3,
            kind="share",
            chart="retention",
            note=str(
                _l(
                    "Of the flex jobs, ordinary jobs and educations that reached 3 months in the period, those "
                    "that had not ended before."
                )
            ),
            order=210,
        ),
        api.OutcomeFigure(
            key="employers.retention_6m",
            label=str(_l("Still there after 6 months")),
            value=kept6,
            of=of6,
            kind="share",
            chart="retention",
            note=str(
                _l(
                    "Of the flex jobs, ordinary jobs and educations that reached 6 months in the period, those "
                    "that had not ended before."
                )
            ),
            order=220,
        ),
    ]
