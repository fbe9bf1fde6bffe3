"""The coordinator's pages about a citizen: the companies they can see themselves in, the contacts made on
their behalf, their placements with the check-ins and the handover of each; the forms that record them;
and the panel on the citizen's page.

Every page is for a municipality's admins and coordinators, reads rows through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404, a company's too), writes through
`services`, and records in the audit log whose data it showed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from broen import api
from broen.plugins.employers import services
from broen.plugins.employers.blueprint import NAME, STAFF, bp
from broen.plugins.employers.forms import (
    KINDS,
    OUTCOMES,
    CheckinForm,
    CompanyChoice,
    ContactForm,
    EditPlacementForm,
    EndForm,
    HandoverForm,
    InterestForm,
    PlacementForm,
)
from broen.plugins.employers.models import (
    PLACEMENT_OUTCOMES,
    Company,
    Contact,
    Interest,
    Placement,
    Task,
    TaskKind,
    TaskStatus,
)
from broen.plugins.employers.services import EmployerError

_ = api.gettext

#: How many recent contacts the citizen page's panel shows.
PANEL_CONTACTS = 5

STATUSES = {
    TaskStatus.OPEN: api.lazy_gettext("Open"),
    TaskStatus.DONE: api.lazy_gettext("Done"),
    TaskStatus.CANCELLED: api.lazy_gettext("Cancelled"),
}


def task_label(task: Task) -> str:
    """ "Check-in, week 4" or "Hand over to the municipality's retention consultant"."""
    if task.kind == TaskKind.CHECKIN:
        return _("Check-in, week %(week)d", week=task.week or 0)
    return _("Hand over to the municipality's retention consultant")


def consultant(municipality: api.Municipality) -> str:
    return str(api.plugin_settings(NAME, municipality).get("retention_consultant", "")).strip()


@bp.context_processor
def _context() -> dict[str, Any]:
    return helpers(api.current_municipality())


def helpers(municipality: api.Municipality) -> dict[str, Any]:
    """The words and helpers the templates use (passed on by hand where another page renders them)."""
    return {
        "outcomes": OUTCOMES,
        "kinds": KINDS,
        "task_statuses": STATUSES,
        "task_label": task_label,
        "placement_outcomes": PLACEMENT_OUTCOMES,
        "today": services.local_today(municipality),
        "hours_text": hours_text,
    }


def hours_text(hours: Decimal | None) -> str:
    """12.00 as "12", 7.50 as "7.5" (in Danish "7,5")."""
    return str(api.format_decimal(hours.normalize())) if hours is not None else ""


def _audit_citizen(citizen_id: int, what: str, **details: Any) -> None:
    db = api.db()
    api.audit.record(db, "view", "citizen", citizen_id, by=api.current_user(), what=what, **details)
    db.session.commit()


def _companies() -> list[tuple[int, str]]:
    rows = api.db().session.execute(
        select(Company.id, Company.name)
        .where(Company.municipality_id == api.current_municipality().id)
        .order_by(Company.search_name, Company.id)
    )
    return [(i, n) for i, n in rows]


def _chosen_company(form: CompanyChoice, required: bool = True) -> Company | None:
    """The company the form names (404 when it is not one of the municipality's); None when none is
    chosen, and then an error on the field when one is `required`."""
    chosen = form.chosen_company()
    if chosen is None:
        if required:
            raise EmployerError("company_id", _("Choose the company."))
        return None
    return api.get_scoped_or_404(api.db(), Company, chosen)


def _placements(citizen_id: int) -> list[Placement]:
    return list(
        api.db().session.scalars(
            api.scoped(Placement)
            .where(Placement.citizen_id == citizen_id)
            .options(joinedload(Placement.company), selectinload(Placement.tasks))
            .order_by(Placement.ended_on.is_not(None), Placement.start_on.desc(), Placement.id.desc())
        )
    )


def _interests(citizen_id: int) -> list[Interest]:
    return list(
        api.db().session.scalars(
            api.scoped(Interest)
            .where(Interest.citizen_id == citizen_id)
            .options(joinedload(Interest.company))
            .order_by(Interest.id)
        )
    )


def _contacts(citizen_id: int, limit: int | None = None) -> list[Contact]:
    stmt = (
        api.scoped(Contact)
        .where(Contact.citizen_id == citizen_id)
        .options(joinedload(Contact.company))
        .order_by(Contact.on.desc(), Contact.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(api.db().session.scalars(stmt))


def _placed_contacts(citizen_id: int) -> set[int]:
    """The ids of the citizen's contacts a placement was recorded from."""
    return set(
        api.db().session.scalars(
            select(Placement.contact_id).where(
                Placement.citizen_id == citizen_id, Placement.contact_id.is_not(None)
            )
        )
    )


def next_task(placement: Placement) -> Task | None:
    return next((t for t in placement.tasks if t.status == TaskStatus.OPEN), None)


# --- the citizen page's panel ----------------------------------------------------------------------------


def citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    """For staff, the "Employers" panel: interests, recent contacts, placements with their next check-in,
    and links to record more. A fixed number of queries."""
    if user.role_in(citizen.municipality_id) not in STAFF:
        return []
    placements = _placements(citizen.id)
    html = render_template(
        "employers/_panel.html",
        citizen=citizen,
        interests=_interests(citizen.id),
        contacts=_contacts(citizen.id, PANEL_CONTACTS),
        placements=placements,
        next_task=next_task,
        **helpers(citizen.municipality),
    )
    return [api.CitizenPanel(_("Employers"), html, order=60)]


# --- a citizen's page ------------------------------------------------------------------------------------


@bp.route("/citizens/<int:citizen_id>")
@api.require_role(*STAFF)
def citizen(citizen_id: int) -> ResponseReturnValue:
    found = api.get_scoped_or_404(api.db(), api.Citizen, citizen_id)
    page = render_template(
        "employers/citizen.html",
        citizen=found,
        interests=_interests(found.id),
        contacts=_contacts(found.id),
        placements=_placements(found.id),
        placed=_placed_contacts(found.id),
        next_task=next_task,
        consultant=consultant(api.current_municipality()),
    )
    _audit_citizen(found.id, "employers_citizen")
    return page


def _to_citizen(citizen_id: int, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("employers.citizen", citizen_id=citizen_id))


@bp.route("/citizens/<int:citizen_id>/interests/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_interest(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = InterestForm()
    form.set_companies(_companies(), _("Choose a company"))
    if form.validate_on_submit():
        try:
            company = _chosen_company(form, required=False)
            new = services.CompanyData(name=form.new_company.data or "") if company is None else None
            services.add_interest(
                db, found, api.current_user(), company, form.note.data or "", new_company=new
            )
        except EmployerError as err:
            db.session.rollback()
            api.field_error(form, err, "company_id")
        else:
            return _to_citizen(found.id, _("The company is added to the citizen's interests."))
    status = 400 if request.method == "POST" else 200
    return render_template("employers/interest_form.html", form=form, citizen=found), status


@bp.route("/interests/<int:interest_id>/remove", methods=["GET", "POST"])
@api.require_role(*STAFF)
def remove_interest(interest_id: int) -> ResponseReturnValue:
    db = api.db()
    found = db.session.scalar(
        api.scoped(Interest).where(Interest.id == interest_id).options(joinedload(Interest.company))
    )
    if found is None:
        abort(404)
    citizen_row = db.session.get_one(api.Citizen, found.citizen_id)
    form = api.ConfirmForm()
    if form.validate_on_submit():
        services.remove_interest(db, found, api.current_user())
        return _to_citizen(citizen_row.id, _("The company is removed from the citizen's interests."))
    _audit_citizen(citizen_row.id, "employers_interest", interest_id=found.id)
    return render_template("employers/interest_remove.html", form=form, interest=found, citizen=citizen_row)


@bp.route("/citizens/<int:citizen_id>/contacts/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_contact(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = ContactForm()
    form.set_companies(_companies(), _("Choose a company"))
    if request.method == "GET":
        form.on.data = services.local_today(api.current_municipality())
        preset = request.args.get("company", "")
        if preset.isdigit():
            form.company_id.data = preset
    if form.validate_on_submit():
        try:
            company = _chosen_company(form)
            assert company is not None
            contact = services.record_contact(
                db, found, api.current_user(), company, form.on.data, form.outcome.data, form.note.data or ""
            )
        except EmployerError as err:
            db.session.rollback()
            api.field_error(form, err, "company_id")
        else:
            if contact.outcome in PLACEMENT_OUTCOMES:
                flash(_("The contact is recorded. It led to a placement: record it here."), "success")
                return redirect(url_for("employers.new_placement", citizen_id=found.id, contact=contact.id))
            return _to_citizen(found.id, _("The contact is recorded."))
    status = 400 if request.method == "POST" else 200
    return render_template("employers/contact_form.html", form=form, citizen=found), status


@bp.route("/citizens/<int:citizen_id>/placements/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_placement(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = PlacementForm()
    form.set_companies(_companies(), _("Choose a company"))
    contact = None
    value = request.args.get("contact", "")
    if value.isdigit():
        contact = db.session.scalar(
            api.scoped(Contact).where(Contact.id == int(value), Contact.citizen_id == found.id)
        )
        if contact is None:
            abort(404)
    if request.method == "GET" and contact is not None:
        form.company_id.data = str(contact.company_id)
        if contact.outcome in PLACEMENT_OUTCOMES:
            form.kind.data = PLACEMENT_OUTCOMES[contact.outcome].value
    if form.validate_on_submit():
        try:
            company = _chosen_company(form)
            assert company is not None
            data = services.PlacementData(
                kind=form.kind.data,
                start_on=form.start_on.data,
                hours_per_week=form.hours_per_week.data or "",
                note=form.note.data or "",
                contact_id=contact.id if contact is not None else None,
            )
            placement = services.record_placement(db, found, api.current_user(), company, data)
        except EmployerError as err:
            db.session.rollback()
            api.field_error(form, err, "company_id")
        else:
            flash(_("The placement is recorded."), "success")
            return redirect(url_for("employers.placement", placement_id=placement.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "employers/placement_form.html", form=form, citizen=found, contact=contact, placement=None
    ), status


# --- a placement -----------------------------------------------------------------------------------------


def _placement_or_404(placement_id: int) -> Placement:
    found = api.db().session.scalar(
        api.scoped(Placement)
        .where(Placement.id == placement_id)
        .options(joinedload(Placement.company), joinedload(Placement.citizen), selectinload(Placement.tasks))
    )
    if found is None:
        abort(404)
    return found


@bp.route("/placements/<int:placement_id>")
@api.require_role(*STAFF)
def placement(placement_id: int) -> ResponseReturnValue:
    found = _placement_or_404(placement_id)
    page = render_template(
        "employers/placement.html",
        placement=found,
        citizen=found.citizen,
        consultant=consultant(api.current_municipality()),
    )
    _audit_citizen(found.citizen_id, services.PLACEMENT, placement_id=found.id)
    return page


def _ended_to_page(found: Placement) -> ResponseReturnValue | None:
    if found.ended_on is None:
        return None
    flash(_("The placement has ended. It can no longer be changed."), "info")
    return redirect(url_for("employers.placement", placement_id=found.id))


@bp.route("/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_placement(placement_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _placement_or_404(placement_id)
    stop = _ended_to_page(found)
    if stop is not None:
        return stop
    form = EditPlacementForm()
    form.set_companies(_companies(), _("Choose a company"))
    if request.method == "GET":
        form.company_id.data = str(found.company_id)
        form.start_on.data = found.start_on
        form.hours_per_week.data = hours_text(found.hours_per_week)
        form.note.data = found.note
        _audit_citizen(found.citizen_id, services.PLACEMENT, placement_id=found.id, page="edit")
    if form.validate_on_submit():
        try:
            company = _chosen_company(form)
            assert company is not None
            changed = services.update_placement(
                db,
                found,
                api.current_user(),
                company,
                form.start_on.data,
                form.hours_per_week.data or "",
                form.note.data or "",
            )
        except EmployerError as err:
            db.session.rollback()
            found = _placement_or_404(placement_id)
            api.field_error(form, err, "start_on")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("employers.placement", placement_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "employers/placement_form.html", form=form, citizen=found.citizen, contact=None, placement=found
    ), status


@bp.route("/placements/<int:placement_id>/end", methods=["GET", "POST"])
@api.require_role(*STAFF)
def end_placement(placement_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _placement_or_404(placement_id)
    stop = _ended_to_page(found)
    if stop is not None:
        return stop
    form = EndForm()
    if request.method == "GET":
        form.ended_on.data = services.local_today(api.current_municipality())
        _audit_citizen(found.citizen_id, services.PLACEMENT, placement_id=found.id, page="end")
    if form.validate_on_submit():
        try:
            cancelled = services.end_placement(
                db, found, api.current_user(), form.ended_on.data, form.end_reason.data or ""
            )
        except EmployerError as err:
            db.session.rollback()
            found = _placement_or_404(placement_id)
            api.field_error(form, err, "ended_on")
        else:
            flash(
                api.ngettext(
                    "The placement is ended. %(num)d open check-in or handover is cancelled.",
                    "The placement is ended. %(num)d open check-ins and handovers are cancelled.",
                    cancelled,
                ),
                "success",
            )
            return redirect(url_for("employers.placement", placement_id=found.id))
    status = 400 if request.method == "POST" else 200
    open_tasks = [t for t in found.tasks if t.status == TaskStatus.OPEN]
    return render_template(
        "employers/placement_end.html",
        form=form,
        placement=found,
        citizen=found.citizen,
        open_tasks=open_tasks,
    ), status


# --- a check-in or handover ------------------------------------------------------------------------------


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@api.require_role(*STAFF)
def task(task_id: int) -> ResponseReturnValue:
    db = api.db()
    found = db.session.scalar(api.scoped(Task).where(Task.id == task_id))
    if found is None:
        abort(404)
    placement_row = _placement_or_404(found.placement_id)
    form: CheckinForm | HandoverForm
    form = CheckinForm() if found.kind == TaskKind.CHECKIN else HandoverForm()
    if request.method == "GET":
        form.done_on.data = min(
            services.local_today(api.current_municipality()), max(found.due_on, placement_row.start_on)
        )
        if isinstance(form, HandoverForm):
            form.handed_to.data = consultant(api.current_municipality())
        _audit_citizen(placement_row.citizen_id, services.TASK, task_id=found.id)
    if found.status == TaskStatus.OPEN and form.validate_on_submit():
        try:
            if isinstance(form, CheckinForm):
                cancelled = services.complete_checkin(
                    db, found, api.current_user(), form.done_on.data, form.answer(), form.note.data or ""
                )
                message = (
                    _("The check-in is recorded.")
                    if form.answer()
                    else api.ngettext(
                        "The check-in is recorded and the placement is ended. %(num)d later check-in or "
                        "handover is cancelled.",
                        "The check-in is recorded and the placement is ended. %(num)d later check-ins and "
                        "handovers are cancelled.",
                        cancelled,
                    )
                )
            else:
                services.complete_handover(
                    db,
                    found,
                    api.current_user(),
                    form.done_on.data,
                    form.handed_to.data or "",
                    form.note.data or "",
                )
                message = _("The handover is recorded.")
        except EmployerError as err:
            db.session.rollback()
            if err.field in ("task", "placement"):
                flash(err.message, "info")
                return redirect(url_for("employers.placement", placement_id=placement_row.id))
            found = db.session.get_one(Task, task_id)
            placement_row = _placement_or_404(found.placement_id)
            api.field_error(form, err, "done_on")
        else:
            flash(message, "success")
            return redirect(url_for("employers.placement", placement_id=placement_row.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "employers/task.html",
        form=form,
        task=found,
        placement=placement_row,
        citizen=placement_row.citizen,
        consultant=consultant(api.current_municipality()),
        is_checkin=found.kind == TaskKind.CHECKIN,
    ), status


def due_text(due_on: date, today: date) -> str:
    """ "3 days overdue", "due today", "due in 2 days"."""
    days = (today - due_on).days
    if days > 0:
        return str(api.ngettext("%(num)d day overdue", "%(num)d days overdue", days))
    if days == 0:
        return _("due today")
    return str(api.ngettext("due in %(num)d day", "due in %(num)d days", -days))
