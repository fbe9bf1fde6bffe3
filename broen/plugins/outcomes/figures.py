"""The outcomes plugin's own figures of the report: the course of the municipality's citizens (enrolled,
active, completed, ended early), from the core's dated status history (`CitizenStatusChange`).

One statement reads the history's columns for the municipality (every change on or before the period's
end); the counting is done here in Python, so the number of statements does not grow with the citizens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from broen import api

_ = api.gettext

Status = api.CitizenStatus
#: Being in one of these before ending makes an ending a completion.
PLACED = (Status.IN_WORK, Status.IN_EDUCATION)


@dataclass(frozen=True)
class Change:
    """One row of a citizen's status history: the parts the figures need."""

    citizen_id: int
    status: api.CitizenStatus
    on: date
    id: int


@dataclass(frozen=True)
class CourseCounts:
    enrolled: int = 0
    active: int = 0
    completed: int = 0
    ended_early: int = 0


def count_course(changes: Iterable[Change], start: date, end: date) -> CourseCounts:
    """The four course figures for `start`..`end` (both included) from status changes (any order).

    A citizen's start is the day of their earliest change; their status on a day is that of the latest
    change on or before it (ties: the highest id). Changes after `end` are ignored.
    """
    by_citizen: dict[int, list[Change]] = {}
    for change in changes:
        if change.on <= end:
            by_citizen.setdefault(change.citizen_id, []).append(change)
    enrolled = active = completed = ended_early = 0
    for history in by_citizen.values():
        history.sort(key=lambda c: (c.on, c.id))
        if start <= history[0].on <= end:
            enrolled += 1
        if history[-1].status != Status.ENDED:
            active += 1
            continue
        # The change to the ENDED status they have on `end`: the first of the trailing run of ENDED.
        n = len(history) - 1
        while n > 0 and history[n - 1].status == Status.ENDED:
            n -= 1
        if not start <= history[n].on <= end:
            continue
        if any(c.status in PLACED for c in history[:n]):
            completed += 1
        else:
            ended_early += 1
    return CourseCounts(enrolled, active, completed, ended_early)


def changes_until(municipality: api.Municipality, end: date) -> list[Change]:
    """Every status change of the municipality's citizens on or before `end`: one statement."""
    history = api.CitizenStatusChange
    rows = api.db().session.execute(
        select(history.citizen_id, history.status, history.on, history.id)
        .join(api.Citizen, api.Citizen.id == history.citizen_id)
        .where(api.Citizen.municipality_id == municipality.id, history.on <= end)
    )
    return [Change(citizen_id, status, on, id_) for citizen_id, status, on, id_ in rows]


def course_figures(municipality: api.Municipality, start: date, end: date) -> list[api.OutcomeFigure]:
    """The outcomes.* figures (`broen_outcome_figures`) of `municipality` for `start`..`end`."""
    counts = count_course(changes_until(municipality, end), start, end)
    return [
        api.OutcomeFigure(
            "outcomes.enrolled",
            _("Enrolled"),
            counts.enrolled,
            chart="course",
            order=10,
            note=_("Citizens whose course started in the period (the day of their first status)."),
        ),
        api.OutcomeFigure(
            "outcomes.active",
            _("Active"),
            counts.active,
            chart="course",
            order=20,
            note=_("Citizens who had started by the end of the period and had not ended on its last day."),
        ),
        api.OutcomeFigure(
            "outcomes.completed",
            _("Completed"),
            counts.completed,
            chart="course",
            order=30,
            note=_(
                "Citizens whose course ended in the period and who were in work or education at some "
                "time before it ended."
            ),
        ),
        api.OutcomeFigure(
            "outcomes.ended_early",
            _("Ended early"),
            counts.ended_early,
            chart="course",
            order=40,
            note=_(
                "Citizens whose course ended in the period without their having been in work or "
                "education before it ended."
            ),
        ),
    ]
