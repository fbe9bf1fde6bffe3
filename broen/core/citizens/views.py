"""Citizen pages for staff: list and search, create, view, edit, end."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from broen.core.citizens import services
from broen.core.citizens.forms import STATUS_LABELS, CitizenForm, ConfirmForm
from broen.core.db import Database
from broen.core.models import Citizen, CitizenStatus, Role
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, current_municipality, get_scoped_or_404, require_role

bp = Blueprint("citizens", __name__)


def _db() -> Database:
    db: Database = current_app.extensions["broen.db"]
    return db


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/")
@require_role(*STAFF_ROLES)
def index() -> ResponseReturnValue:
    db = _db()
    municipality = current_municipality()
    status_arg = request.args.get("status", "")
    status = CitizenStatus(status_arg) if status_arg in CitizenStatus._value2member_map_ else None
    contact = _int_arg("contact")
    if request.args.get("contact") == "me":
        contact = current_user.id
    query = request.args.get("q", "")[:100]
    page = services.find_citizens(
        db,
        municipality,
        current_user,
        query=query,
        status=status,
        contact_person_id=contact,
        page=_int_arg("page") or 1,
    )
    return render_template(
        "citizens/index.html",
        page=page,
        query=query,
        status=status,
        contact=contact,
        statuses=STATUS_LABELS,
        contact_people=services.contact_people(db, municipality),
    )


def _save(form: CitizenForm, citizen: Citizen | None) -> ResponseReturnValue | None:
    """Validate and save; on a broken rule put the message on its field and return None."""
    if not form.validate_on_submit():
        return None
    db = _db()
    try:
        if citizen is None:
            citizen = services.create_citizen(db, current_municipality(), current_user, form.to_data())
            flash(_("%(name)s is created.", name=citizen.name), "success")
        else:
            services.update_citizen(db, citizen, current_user, form.to_data())
            flash(_("The changes are saved."), "success")
    except services.CitizenError as err:
        db.session.rollback()
        form[err.field].errors.append(err.message)
        return None
    return redirect(url_for("citizens.show", citizen_id=citizen.id))


@bp.route("/new", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def create() -> ResponseReturnValue:
    form = CitizenForm()
    form.set_contact_choices(services.contact_people(_db(), current_municipality()))
    if request.method == "GET":
        form.contact_person_id.data = current_user.id
    done = _save(form, None)
    if done is not None:
        return done
    status = 400 if request.method == "POST" else 200
    return render_template("citizens/form.html", form=form, citizen=None), status


@bp.route("/<int:citizen_id>")
@require_role(*STAFF_ROLES)
def show(citizen_id: int) -> ResponseReturnValue:
    db = _db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    services.record_view(db, citizen, current_user)
    panels = registry().call_flat(
        "broen_citizen_panels", current_municipality(), citizen=citizen, user=current_user
    )
    return render_template(
        "citizens/show.html",
        citizen=citizen,
        statuses=STATUS_LABELS,
        panels=sorted(panels, key=lambda p: p.order),
        can_read_audit=current_user.role_in(citizen.municipality_id) == Role.ADMIN,
    )


@bp.route("/<int:citizen_id>/edit", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def edit(citizen_id: int) -> ResponseReturnValue:
    db = _db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    form = CitizenForm(obj=citizen)
    form.set_contact_choices(services.contact_people(db, current_municipality()))
    if citizen.status == CitizenStatus.ENDED:
        form.status.choices = [
            *form.status.choices,
            SelectChoice(CitizenStatus.ENDED.value, STATUS_LABELS[CitizenStatus.ENDED]),
        ]
    if request.method == "GET":
        form.status_since.data = None
        services.record_view(db, citizen, current_user)
    done = _save(form, citizen)
    if done is not None:
        return done
    status = 400 if request.method == "POST" else 200
    return render_template("citizens/form.html", form=form, citizen=citizen), status


@bp.route("/<int:citizen_id>/end", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def end(citizen_id: int) -> ResponseReturnValue:
    db = _db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    if citizen.status == CitizenStatus.ENDED:
        abort(409)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_citizen(db, citizen, current_user)
        flash(_("The course of %(name)s is ended.", name=citizen.name), "success")
        return redirect(url_for("citizens.show", citizen_id=citizen.id))
    return render_template("citizens/end.html", form=form, citizen=citizen)
