"""Citizen pages for staff: list and search, create, view, edit, end; for admins the citizen's data and
its erasure."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from broen.core import audit, extra_columns, extra_fields, invitations, privacy
from broen.core.citizens import services
from broen.core.citizens.forms import STATUS_LABELS, CitizenForm, ConfirmForm
from broen.core.db import current_db
from broen.core.exports import csv_cell
from broen.core.models import AuditEntry, Citizen, CitizenStatus, Role
from broen.core.pagination import Page, paginate, requested_page
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, current_municipality, get_scoped_or_404, require_role

bp = Blueprint("citizens", __name__)


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _filter_from_args(options: extra_columns.ListOptions) -> services.CitizenFilter:
    """The search in the query string; anything unknown is ignored rather than an error."""
    status_arg = request.args.get("status", "")
    contact = _int_arg("contact")
    if request.args.get("contact") == "me":
        contact = current_user.id
    return services.CitizenFilter(
        query=request.args.get("q", "")[:100].strip(),
        status=CitizenStatus(status_arg) if status_arg in CitizenStatus._value2member_map_ else None,
        contact_person_id=contact,
        conditions=tuple(options.conditions(Citizen.id)),
        extra=tuple(options.filters),
    )


@bp.route("/")
@require_role(*STAFF_ROLES)
def index() -> ResponseReturnValue:
    db = current_db()
    municipality = current_municipality()
    options = extra_columns.list_options("citizen")
    flt = _filter_from_args(options)
    page = services.find_citizens(db, municipality, current_user, flt, page=requested_page())
    values = options.values([c.id for c in page.items])
    args = {
        "q": flt.query,
        "status": flt.status.value if flt.status else "",
        "contact": flt.contact_person_id or "",
        **options.query_args(),
    }
    return render_template(
        "citizens/index.html",
        page=page,
        query=flt.query,
        status=flt.status,
        contact=flt.contact_person_id,
        statuses=STATUS_LABELS,
        contact_people=services.contact_people(db, municipality),
        options=options,
        values=values,
        args=args,
    )


@bp.route("/export.csv")
@require_role(*STAFF_ROLES)
def export() -> ResponseReturnValue:
    """The citizens matching the current search as CSV (semicolons and a BOM, as Danish Excel expects), with
    the plugins' extra columns: those that are not sensitive, and the sensitive ones chosen in the list."""
    options = extra_columns.list_options("citizen")
    citizens = services.export_citizens(
        current_db(), current_municipality(), current_user, _filter_from_args(options)
    )
    extra = options.exported()
    values = options.values([c.id for c in citizens], extra)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Name"),
            _("E-mail"),
            _("Phone"),
            _("Address"),
            _("Contact person"),
            _("Status"),
            _("Status since"),
            _("Flex job approved"),
            _("Flex job approved on"),
            _("Mental health basis"),
            *(csv_cell(c.label) for c in extra),
        ]
    )
    yes, no = _("yes"), _("no")
    for c in citizens:
        writer.writerow(
            csv_cell(v)
            for v in (
                c.name,
                c.email,
                c.phone,
                c.address,
                c.contact_person.name if c.contact_person else "",
                STATUS_LABELS[c.status],
                c.status_since.isoformat(),
                yes if c.flexjob_approved else no,
                c.flexjob_approved_on.isoformat() if c.flexjob_approved_on else "",
                yes if c.flexjob_mental_health_basis else no,
                *(values.get(column.name, {}).get(c.id, "") for column in extra),
            )
        )
    stem = _("citizens")
    filename = f"{stem}-{current_municipality().slug}-{date.today().isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _save(form: CitizenForm, citizen: Citizen | None) -> ResponseReturnValue | None:
    """Validate and save; on a broken rule put the message on its field and return None."""
    if not form.validate_on_submit():
        return None
    db = current_db()
    created = citizen is None
    try:
        if citizen is None:
            citizen = services.add_citizen(db, current_municipality(), current_user, form.to_data())
        else:
            services.update_citizen(db, citizen, current_user, form.to_data(), commit=False)
        extra_fields.save_extras(db, form, "citizen", citizen.id)
        db.session.commit()
    except (services.CitizenError, extra_fields.ExtraFieldError) as err:
        db.session.rollback()
        form[err.field].errors.append(err.message)
        return None
    except BaseException:
        db.session.rollback()
        raise
    flash(_("%(name)s is created.", name=citizen.name) if created else _("The changes are saved."), "success")
    return redirect(url_for("citizens.show", citizen_id=citizen.id))


@bp.route("/new", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def create() -> ResponseReturnValue:
    form = extra_fields.extra_form(CitizenForm, "citizen")
    form.set_contact_choices(services.contact_people(current_db(), current_municipality()))
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
    db = current_db()
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
        facts=extra_fields.extra_facts("citizen", citizen.id),
        login=invitations.login_state(db, citizen),
    )


@bp.route("/<int:citizen_id>/edit", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def edit(citizen_id: int) -> ResponseReturnValue:
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    form = extra_fields.extra_form(CitizenForm, "citizen", citizen.id, obj=citizen)
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


@bp.route("/<int:citizen_id>/data")
@require_role(Role.ADMIN)
def data(citizen_id: int) -> ResponseReturnValue:
    """Everything broen holds about the citizen, readable (GDPR art. 15); only a municipality admin."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    _exported, parts = privacy.export_citizen(db, registry(), citizen, current_user, str(get_locale()))
    return render_template("citizens/data.html", citizen=citizen, parts=parts, today=date.today())


@bp.route("/<int:citizen_id>/access")
@require_role(Role.ADMIN)
def access(citizen_id: int) -> ResponseReturnValue:
    """Who has seen and changed the record, newest first (the access log the Danish DPA expects for
    sensitive data): the entries on the record itself and those of the plugins' pages that name it."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.municipality_id == citizen.municipality_id, privacy.audit_about(citizen))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    page: Page[AuditEntry] = paginate(db, stmt, requested_page())
    return render_template(
        "citizens/access.html",
        citizen=citizen,
        page=page,
        actions=audit.ACTION_LABELS,
        zone=ZoneInfo(citizen.municipality.timezone),
    )


@bp.route("/<int:citizen_id>/data.json")
@require_role(Role.ADMIN)
def data_json(citizen_id: int) -> ResponseReturnValue:
    """The same as a JSON file, for machines."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    exported, _parts = privacy.export_citizen(db, registry(), citizen, current_user, str(get_locale()))
    filename = f"citizen-{citizen.id}-{date.today().isoformat()}.json"
    return Response(
        json.dumps(exported, ensure_ascii=False, indent=2, default=str),
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.route("/<int:citizen_id>/delete", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def delete(citizen_id: int) -> ResponseReturnValue:
    """Erase the citizen's data everywhere (GDPR art. 17); only a municipality admin, after a confirmation
    page that lists what goes."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    if citizen.erased_at is not None:
        abort(409)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = citizen.name
        privacy.erase_citizen(db, registry(), citizen, current_user)
        flash(_("The data about %(name)s is erased.", name=name), "success")
        return redirect(url_for("citizens.index"))
    parts = privacy.citizen_parts(db, registry(), citizen, str(get_locale()))
    return render_template("citizens/delete.html", form=form, citizen=citizen, parts=parts)


@bp.route("/<int:citizen_id>/end", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def end(citizen_id: int) -> ResponseReturnValue:
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    if citizen.status == CitizenStatus.ENDED:
        abort(409)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.end_citizen(db, citizen, current_user)
        flash(_("The course of %(name)s is ended.", name=citizen.name), "success")
        return redirect(url_for("citizens.show", citizen_id=citizen.id))
    return render_template("citizens/end.html", form=form, citizen=citizen)
