"""The contacts plugin's figures of the outcome report: wellbeing (WHO-5) of the citizens measured again
in the period.

The cohort: citizens with a measurement in the period that is not their first ever. For each, their first
measurement ever and their latest in the period (by day, then by the order they were recorded) are
compared. The cohort is exactly those whose latest measurement in the period is not their first ever (if
any measurement in the period is a later one, the latest in the period is too). One statement, computed
by the database, however many measurements there are.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, select

from broen import api
from broen.plugins.contacts.models import Who5

#: A gain of this many WHO-5 points or more is clinically significant.
SIGNIFICANT_GAIN = 10

_ = api.gettext


def who5_cohort(
    db: api.Database, municipality: api.Municipality, start: date, end: date
) -> tuple[int, int, int, int]:
    """(citizens in the cohort, of them with a significant gain, sum of first scores, sum of latest
    scores in the period)."""
    # One pass over the municipality's measurements up to `end`: each ranked from the first ever (nf) and
    # from the latest in the period (nl; those in the period first), then one row per citizen.
    in_period = case((Who5.on >= start, 1), else_=0)
    ranked = (
        select(
            Who5.citizen_id,
            Who5.score,
            in_period.label("p"),
            func.row_number().over(partition_by=Who5.citizen_id, order_by=(Who5.on, Who5.id)).label("nf"),
            func.row_number()
            .over(partition_by=Who5.citizen_id, order_by=(in_period.desc(), Who5.on.desc(), Who5.id.desc()))
            .label("nl"),
        )
        .where(Who5.municipality_id == municipality.id, Who5.on <= end)
        .subquery()
    )
    latest_row = and_(ranked.c.nl == 1, ranked.c.p == 1)
    per_citizen = (
        select(
            func.max(case((ranked.c.nf == 1, ranked.c.score))).label("first"),
            func.max(case((latest_row, ranked.c.score))).label("latest"),
            func.max(case((and_(latest_row, ranked.c.nf == 1), 1), else_=0)).label("latest_is_first"),
        )
        .group_by(ranked.c.citizen_id)
        .subquery()
    )
    gain = case((per_citizen.c.latest - per_citizen.c.first >= SIGNIFICANT_GAIN, 1), else_=0)
    stmt = select(
        func.count(),
        func.coalesce(func.sum(gain), 0),
        func.coalesce(func.sum(per_citizen.c.first), 0),
        func.coalesce(func.sum(per_citizen.c.latest), 0),
    ).where(per_citizen.c.latest.is_not(None), per_citizen.c.latest_is_first == 0)
    row = db.session.execute(stmt).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def outcome_figures(municipality: api.Municipality, start: date, end: date) -> list[api.OutcomeFigure]:
    """contacts.who5_gain (share), contacts.who5_start and contacts.who5_latest (means) for the period."""
    people, gained, first_sum, latest_sum = who5_cohort(api.db(), municipality, start, end)
    cohort = _(
        "Citizens with a WHO-5 measurement in the period that is not their first; their latest in the "
        "period is compared with their first ever."
    )
    return [
        api.OutcomeFigure(
            key="contacts.who5_gain",
            label=_("Clinically significant gain in wellbeing (WHO-5, 10 points or more)"),
            value=gained,
            kind="share",
            of=people,
            chart="wellbeing",
            note=cohort
            + " "
            + _("A gain of 10 points or more on the 0–100 scale is clinically significant."),
            order=310,
        ),
        api.OutcomeFigure(
            key="contacts.who5_start",
            label=_("Wellbeing at the start (WHO-5, mean score 0–100)"),
            value=first_sum,
            kind="mean",
            of=people,
            unit=_("points"),
            chart="wellbeing",
            note=cohort + " " + _("The mean of their first scores."),
            order=320,
        ),
        api.OutcomeFigure(
            key="contacts.who5_latest",
            label=_("Wellbeing now (WHO-5, mean score 0–100)"),
            value=latest_sum,
            kind="mean",
            of=people,
            unit=_("points"),
            chart="wellbeing",
            note=cohort + " " + _("The mean of their latest scores in the period."),
            order=330,
        ),
    ]
