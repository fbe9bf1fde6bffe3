"""The coordinator's mentor-pool pages: the pool, a mentor's page with their status history, and the
form for a mentor's details.

Every page is for a municipality's admins and coordinators, reads rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404) and writes only through `services`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.mentors import intake, invite, services
from broen.plugins.mentors.blueprint import STAFF, bp
from broen.plugins.mentors.models import (
    OPEN_STATUSES,
    PARTS_OF_DAY,
    Match,
    Mentor,
    MentorStatus,
    slot_bit,
)
from broen.plugins.mentors.services import MentorError, _
from broen.plugins.mentors.staff_forms import (
    BACKGROUNDS,
    CONTACT_FORMS,
    PART_LABELS,
    STATUSES,
    MentorForm,
    StatusForm,
    availability_mask,
    contact_forms_mask,
    slot_name,
)

#: The pool's status filter: "" is everyone but those who left.
ALL = "all"
#: The kind of record a municipality's own fields are added to (`broen_field_targets`).
FIELD_TARGET = "mentors_mentor"


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The mentor pool's menu entry for staff."""
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Mentors"), "mentors.pool", order=40)]
    return []


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "statuses": STATUSES,
        "backgrounds": BACKGROUNDS,
        "contact_form_labels": CONTACT_FORMS,
        "weekdays": api.WEEKDAYS,
        "parts": [(n, PART_LABELS[p]) for n, p in enumerate(PARTS_OF_DAY)],
        "slot_name": slot_name,
        "slot_bit": slot_bit,
    }


# --- the pool --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRow:
    mentor: Mentor
    used: int


def pool_rows(
    db: api.Database, status: str = "", page: int = 1, conditions: Sequence[ColumnElement[bool]] = ()
) -> api.Page[PoolRow]:
    """The municipality's mentors by name, with their places taken; `status` "" is all but those who
    left, ALL is everyone, else one status; `conditions` on `Mentor.id` (the municipality's own fields'
    filters, `ListOptions.conditions`) narrow them. Two queries, however many mentors there are."""
    mentors = api.scoped(Mentor).where(*conditions)
    if status == ALL:
        pass
    elif status in {s.value for s in MentorStatus}:
        mentors = mentors.where(Mentor.status == MentorStatus(status))
    else:
        mentors = mentors.where(Mentor.status != MentorStatus.LEFT)
    used = (
        select(Match.mentor_id, func.count(Match.id).label("used"))
        .where(Match.status.in_(OPEN_STATUSES))
        .group_by(Match.mentor_id)
        .subquery()
    )
    stmt = (
        mentors.add_columns(used.c.used)
        .outerjoin(used, used.c.mentor_id == Mentor.id)
        .order_by(func.lower(Mentor.name), Mentor.id)
    )
    return api.paginate(db, stmt, page, item=lambda mentor, n: PoolRow(mentor, int(n or 0)))


@bp.route("/")
@api.require_role(*STAFF)
def pool() -> ResponseReturnValue:
    status = request.args.get("status", "")
    if status not in {ALL, *(s.value for s in MentorStatus)}:
        status = ""
    options = api.list_options(FIELD_TARGET)
    db = api.db()
    page = pool_rows(db, status, page=api.requested_page(), conditions=options.conditions(Mentor.id))
    values = options.values([row.mentor.id for row in page.items])
    waiting = intake.waiting_count(db, api.current_municipality())
    return render_template(
        "mentors/pool.html",
        page=page,
        status=status,
        all_value=ALL,
        waiting=waiting,
        options=options,
        values=values,
        args={**({"status": status} if status else {}), **options.query_args()},
    )


# --- new mentor, edit mentor -----------------------------------------------------------------------------


def _data(form: MentorForm) -> services.MentorData:
    return services.MentorData(
        name=form.name.data or "",
        background=form.background.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        work_experience=form.work_experience.data or "",
        interests=form.interests.data or "",
        area=form.area.data or "",
        availability=availability_mask(form.availability.data or []),
        capacity=form.capacity.data,
        contact_forms=contact_forms_mask(form.contact_forms.data or []),
    )


@bp.route("/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_mentor() -> ResponseReturnValue:
    form = api.extra_form(MentorForm, FIELD_TARGET)
    if request.method == "GET":
        form.capacity.data = 1
    if form.validate_on_submit():
        db = api.db()
        try:
            # The mentor and the municipality's own fields in one transaction: a refused value saves nothing.
            mentor = services.add_mentor(db, api.current_municipality(), api.current_user(), _data(form))
            api.save_extras(db, form, FIELD_TARGET, mentor.id)
            db.session.commit()
        except (MentorError, api.ExtraFieldError) as err:
            db.session.rollback()
            api.field_error(form, err, "name")
        except BaseException:
            db.session.rollback()
            raise
        else:
            flash(_("The mentor is added to the pool."), "success")
            return redirect(url_for("mentors.mentor", mentor_id=mentor.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mentors/form.html", form=form, mentor=None), status


@bp.route("/<int:mentor_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_mentor(mentor_id: int) -> ResponseReturnValue:
    db = api.db()
    mentor = api.get_scoped_or_404(db, Mentor, mentor_id)
    form = api.extra_form(MentorForm, FIELD_TARGET, mentor.id)
    if request.method == "GET":
        form.fill(mentor)
    if form.validate_on_submit():
        try:
            # The own fields first: `update_mentor` commits them with the mentor's details, in one go.
            api.save_extras(db, form, FIELD_TARGET, mentor.id)
            changed = services.update_mentor(db, mentor, api.current_user(), _data(form))
            db.session.commit()
        except (MentorError, api.ExtraFieldError) as err:
            db.session.rollback()
            api.field_error(form, err, "name")
        except BaseException:
            db.session.rollback()
            raise
        else:
            saved = changed or form.extra_names
            flash(_("The changes are saved.") if saved else _("Nothing was changed."), "success")
            return redirect(url_for("mentors.mentor", mentor_id=mentor.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mentors/form.html", form=form, mentor=mentor), status


# --- a mentor's page -------------------------------------------------------------------------------------


def _mentor_page(mentor: Mentor, form: StatusForm | None = None, status: int = 200) -> ResponseReturnValue:
    if form is None:
        form = StatusForm(formdata=None, data={"status": mentor.status.value, "since": date.today()})
    db = api.db()
    used = services.open_matches(db, mentor)
    login = invite.login_info(db, mentor)
    matches = db.session.scalars(
        api.scoped(Match)
        .where(Match.mentor_id == mentor.id)
        .options(joinedload(Match.citizen))
        .order_by(Match.created_at.desc(), Match.id.desc())
    ).all()
    if matches:  # the page names the citizens
        api.audit.record_each(db, "view", "citizen", [m.citizen_id for m in matches], what="mentors_mentor")
        db.session.commit()
    facts = api.extra_facts(FIELD_TARGET, mentor.id)
    return render_template(
        "mentors/mentor.html",
        mentor=mentor,
        form=form,
        used=used,
        login=login,
        matches=matches,
        facts=facts,
    ), status


@bp.route("/<int:mentor_id>")
@api.require_role(*STAFF)
def mentor(mentor_id: int) -> ResponseReturnValue:
    return _mentor_page(api.get_scoped_or_404(api.db(), Mentor, mentor_id))


@bp.route("/<int:mentor_id>/status", methods=["POST"])
@api.require_role(*STAFF)
def change_status(mentor_id: int) -> ResponseReturnValue:
    db = api.db()
    mentor = api.get_scoped_or_404(db, Mentor, mentor_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            changed = services.set_status(db, mentor, api.current_user(), form.status.data, form.since.data)
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "status")
        else:
            if changed:
                flash(_("The status is changed."), "success")
            else:
                flash(_("The mentor already has that status."), "info")
            return redirect(url_for("mentors.mentor", mentor_id=mentor.id))
    return _mentor_page(mentor, form, 400)
