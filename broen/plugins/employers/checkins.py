"""The follow-up of placements as work to do: the start page's panel "Check-ins after a hire" (the user's
own citizens' overdue check-ins and handovers, most overdue first, and those due this week) and the
worklist of every open check-in and handover (mine or everyone's in the municipality), by due date.

Citizens whose course has ended are left out. Each list is a fixed number of statements, however many
tasks there are; the names they show are recorded in the audit log (a "list" entry for each citizen, as on every list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, case, func, select

from broen import api
from broen.plugins.employers import services
from broen.plugins.employers.blueprint import STAFF, bp
from broen.plugins.employers.models import Company, Placement, PlacementKind, Task, TaskKind, TaskStatus
from broen.plugins.employers.staff import due_text

_ = api.gettext

#: At most this many rows in each list of the start page's panel.
PANEL_ROWS = 10
MINE = "mine"
EVERYONE = "everyone"
OVERDUE = "overdue"
THIS_WEEK = "week"


@dataclass(frozen=True)
class TaskRow:
    """An open check-in or handover with what a list shows of it."""

    task_id: int
    kind: TaskKind
    week: int | None
    due_on: date
    placement_id: int
    placement_kind: PlacementKind
    company_name: str
    citizen_id: int
    citizen_name: str
    contact_person: str | None

    @property
    def label(self) -> str:
        if self.kind == TaskKind.CHECKIN:
            return _("Check-in, week %(week)d", week=self.week or 0)
        return _("Hand over to the municipality's retention consultant")


def open_tasks(municipality: api.Municipality, contact_person_id: int | None) -> Any:
    """The open tasks of the municipality's citizens who have not ended (of one contact person's citizens
    when given), by due date."""
    stmt: Any = (
        select(
            Task.id,
            Task.kind,
            Task.week,
            Task.due_on,
            Placement.id,
            Placement.kind,
            Company.name,
            api.Citizen.id,
            api.Citizen.name,
            api.User.name,
        )
        .join(Placement, Placement.id == Task.placement_id)
        .join(Company, Company.id == Placement.company_id)
        .join(api.Citizen, api.Citizen.id == Placement.citizen_id)
        .outerjoin(api.User, api.User.id == api.Citizen.contact_person_id)
        .where(
            Task.municipality_id == municipality.id,
            Task.status == TaskStatus.OPEN,
            api.Citizen.status != api.CitizenStatus.ENDED,
        )
        .order_by(Task.due_on, Task.id)
    )
    if contact_person_id is not None:
        stmt = stmt.where(api.Citizen.contact_person_id == contact_person_id)
    return stmt


def _rows(stmt: Select[Any]) -> list[TaskRow]:
    return [TaskRow(*row) for row in api.db().session.execute(stmt)]


def home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    """ "Check-ins after a hire": the user's own citizens' overdue check-ins and handovers (most overdue
    first) and those due the rest of this week, at most `PANEL_ROWS` each with a link to all of them.
    Nothing when there is nothing. Four statements (and the audit entry) however many there are."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    db = api.db()
    today = services.local_today(municipality)
    sunday = api.week_end(today)
    mine = open_tasks(municipality, user.id)
    counts = _counts(mine, today, sunday)
    overdue_count, week_count = counts
    if not overdue_count and not week_count:
        return []
    overdue = _rows(mine.where(Task.due_on < today).limit(PANEL_ROWS)) if overdue_count else []
    this_week = (
        _rows(mine.where(Task.due_on >= today, Task.due_on <= sunday).limit(PANEL_ROWS)) if week_count else []
    )
    shown = [r.citizen_id for r in overdue + this_week]
    api.audit.record_each(
        db,
        "list",
        "citizen",
        sorted(set(shown)),
        by=user,
        municipality_id=municipality.id,
        what="employers_home",
    )
    db.session.commit()
    html = render_template(
        "employers/_home.html",
        overdue=overdue,
        overdue_count=overdue_count,
        this_week=this_week,
        week_count=week_count,
        today=today,
        due_text=due_text,
        overdue_url=url_for("employers.checkins", municipality=municipality.slug, who=MINE, due=OVERDUE),
        week_url=url_for("employers.checkins", municipality=municipality.slug, who=MINE, due=THIS_WEEK),
    )
    return [api.HomePanel(_("Check-ins after a hire"), html, order=30)]


def _counts(mine: Select[Any], today: date, sunday: date) -> tuple[int, int]:
    """How many of `mine` are overdue, and due from today to Sunday (one statement)."""
    due = mine.where(Task.due_on <= sunday).order_by(None).subquery()
    row = (
        api.db()
        .session.execute(
            select(
                func.coalesce(func.sum(case((due.c.due_on < today, 1), else_=0)), 0),
                func.coalesce(func.sum(case((due.c.due_on >= today, 1), else_=0)), 0),
            )
        )
        .one()
    )
    return int(row[0]), int(row[1])


@bp.route("/checkins")
@api.require_role(*STAFF)
def checkins() -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    user = api.current_user()
    who = EVERYONE if request.args.get("who") == EVERYONE else MINE
    due = request.args.get("due", "")
    due = due if due in (OVERDUE, THIS_WEEK) else ""
    today = services.local_today(municipality)
    stmt = open_tasks(municipality, user.id if who == MINE else None)
    if due == OVERDUE:
        stmt = stmt.where(Task.due_on < today)
    elif due == THIS_WEEK:
        stmt = stmt.where(Task.due_on >= today, Task.due_on <= api.week_end(today))
    page = api.paginate(db, stmt, api.requested_page(), item=TaskRow)
    api.audit.record_each(
        db,
        "list",
        "citizen",
        sorted({r.citizen_id for r in page.items}),
        by=user,
        municipality_id=municipality.id,
        what="employers_checkins",
        page=page.page,
        who=who,
        due=due,
    )
    db.session.commit()
    args = {"who": who, **({"due": due} if due else {})}
    return render_template(
        "employers/checkins.html",
        page=page,
        who=who,
        due=due,
        args=args,
        today=today,
        due_text=due_text,
        MINE=MINE,
        EVERYONE=EVERYONE,
        OVERDUE=OVERDUE,
        THIS_WEEK=THIS_WEEK,
    )
