"""The municipality's companies, shared by its coordinators: the list (search by name, a page at a time),
a company's page, and the forms to add and change one.

A company's page lists the contacts made with it on citizens' behalf. Only the user's own citizens (whose
contact person they are) are named there; every other citizen is "Another coordinator's citizen" with the
date and the outcome and nothing else: no name, id, link or note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, select

from broen import api
from broen.plugins.employers import services
from broen.plugins.employers.blueprint import STAFF, bp
from broen.plugins.employers.forms import OUTCOMES, CompanyForm
from broen.plugins.employers.models import Company, Contact, Outcome
from broen.plugins.employers.services import EmployerError

_ = api.gettext


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The "Employers" menu entry (the company list), for staff."""
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Employers"), "employers.index", order=50)]
    return []


def _named(query: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for word in query.casefold().split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Company.search_name.like(f"%{escaped}%", escape="\\"))
    return conditions


@bp.route("/")
@api.require_role(*STAFF)
def index() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:200]
    stmt = api.scoped(Company).where(*_named(query)).order_by(Company.search_name, Company.id)
    page: api.Page[Company] = api.paginate(api.db(), stmt, api.requested_page())
    return render_template(
        "employers/company_list.html", page=page, query=query, args={"q": query} if query else {}
    )


@bp.route("/companies/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_company() -> ResponseReturnValue:
    db = api.db()
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = services.create_company(
                db, api.current_municipality(), api.current_user(), form.company()
            )
        except EmployerError as err:
            db.session.rollback()
            api.field_error(form, err, "name")
        else:
            flash(_("The company is added."), "success")
            return redirect(url_for("employers.company", company_id=company.id))
    status = 400 if request.method == "POST" else 200
    return render_template("employers/company_form.html", form=form, company=None), status


@dataclass(frozen=True)
class ContactLine:
    """A contact on a company's page: the citizen's name and id only when they are the user's own."""

    on: date
    outcome: Outcome
    citizen_id: int | None
    citizen_name: str | None
    note: str


@bp.route("/companies/<int:company_id>")
@api.require_role(*STAFF)
def company(company_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Company, company_id)
    user = api.current_user()
    stmt: Any = (
        select(
            Contact.on,
            Contact.outcome,
            Contact.note,
            api.Citizen.id,
            api.Citizen.name,
            api.Citizen.contact_person_id,
        )
        .join(api.Citizen, api.Citizen.id == Contact.citizen_id)
        .where(Contact.company_id == found.id, Contact.municipality_id == found.municipality_id)
        .order_by(Contact.on.desc(), Contact.id.desc())
    )

    def line(
        on: date, outcome: Outcome, note: str, citizen_id: int, name: str, contact_person_id: int | None
    ) -> ContactLine:
        if contact_person_id == user.id:
            return ContactLine(on, outcome, citizen_id, name, note)
        return ContactLine(on, outcome, None, None, "")

    page = api.paginate(db, stmt, api.requested_page(), item=line)
    shown = [c.citizen_id for c in page.items if c.citizen_id is not None]
    api.audit.record(db, "view", services.COMPANY, found.id, by=user)
    if shown:
        api.audit.record_each(
            db, "view", "citizen", shown, by=user, what=services.COMPANY, company_id=found.id
        )
    db.session.commit()
    return render_template("employers/company.html", company=found, page=page, outcomes=OUTCOMES)


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_company(company_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Company, company_id)
    form = CompanyForm()
    if request.method == "GET":
        form.fill(found)
    if form.validate_on_submit():
        try:
            changed = services.update_company(db, found, api.current_user(), form.company())
        except EmployerError as err:
            db.session.rollback()
            found = api.get_scoped_or_404(db, Company, company_id)
            api.field_error(form, err, "name")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("employers.company", company_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template("employers/company_form.html", form=form, company=found), status
