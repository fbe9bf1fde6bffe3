"""The coordinator's café pages: courses, sessions, sign-ups, attendance and agenda.

Every page is for a municipality's admins and coordinators, reads rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404), and writes only through `services` and
`program`. Times are shown in the course's time zone. Pages that show citizens log which ones.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice

from broen import api
from broen.plugins.cafe import display, program, services
from broen.plugins.cafe.models import AgendaItem, Course, Session, Signup, SignupStatus
from broen.plugins.cafe.notify import Told
from broen.plugins.cafe.services import CafeError, _
from broen.plugins.cafe.staff_forms import (
    ConfirmForm,
    CourseDetailsForm,
    ItemForm,
    ItemPlacementForm,
    LocationForm,
    MoveForm,
    NewCourseForm,
    PlaceForm,
    SignUpForm,
)

bp = Blueprint("cafe", __name__, template_folder="templates")

STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
#: The kind of record a municipality's own fields are added to (`broen_field_targets`).
FIELD_TARGET = "cafe_course"
#: At most this many citizens are offered in the sign-up list; the name search narrows it.
CANDIDATES_MAX = 50


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The café's menu entries for staff."""
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Café meetings"), "cafe.courses", order=30)]
    return []


bp.context_processor(display.template_helpers)


def _audit_view(object_type: str, object_id: int | None, shown: list[int], **details: Any) -> None:
    """One "view" entry per page, naming the citizens it showed (as the core logs its lists)."""
    db = api.db()
    api.audit.record(
        db, "view", object_type, object_id, by=api.current_user(), shown=sorted(set(shown)), **details
    )
    db.session.commit()


# --- the course list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRow:
    course: Course
    first: datetime | None
    last: datetime | None
    confirmed: int
    waiting: int

    @property
    def past(self) -> bool:
        return self.last is not None and self.last < api.utcnow()


def course_rows(
    db: api.Database, page: int = 1, conditions: Sequence[ColumnElement[bool]] = ()
) -> api.Page[CourseRow]:
    """The municipality's courses with their dates and seats: running and upcoming first (soonest
    first), then those that are over (latest first); `conditions` on `Course.id` (the municipality's own
    fields' filters, `ListOptions.conditions`) narrow them. Two queries, however many courses there are."""
    times = (
        select(
            Session.course_id,
            func.min(Session.starts_at).label("first"),
            func.max(Session.ends_at).label("last"),
        )
        .group_by(Session.course_id)
        .subquery()
    )
    seats = (
        select(
            Signup.course_id,
            func.sum(case((Signup.status == SignupStatus.CONFIRMED, 1), else_=0)).label("confirmed"),
            func.sum(case((Signup.status == SignupStatus.WAITLISTED, 1), else_=0)).label("waiting"),
        )
        .group_by(Signup.course_id)
        .subquery()
    )
    now = api.utcnow()
    running = and_(times.c.last.is_not(None), times.c.last >= now)
    stmt = (
        api.scoped(Course)
        .add_columns(times.c.first, times.c.last, seats.c.confirmed, seats.c.waiting)
        .outerjoin(times, times.c.course_id == Course.id)
        .outerjoin(seats, seats.c.course_id == Course.id)
        .where(*conditions)
        .order_by(
            case((running, 0), else_=1),
            case((running, times.c.first), else_=None).asc(),
            times.c.last.desc(),
            Course.id.desc(),
        )
    )
    return api.paginate(
        db,
        stmt,
        page,
        item=lambda course, first, last, confirmed, waiting: CourseRow(
            course, first, last, int(confirmed or 0), int(waiting or 0)
        ),
    )


@bp.route("/")
@api.require_role(*STAFF)
def courses() -> ResponseReturnValue:
    """The course list, with the municipality's own fields as optional columns and filters."""
    options = api.list_options(FIELD_TARGET)
    page = course_rows(api.db(), page=api.requested_page(), conditions=options.conditions(Course.id))
    values = options.values([row.course.id for row in page.items])
    return render_template(
        "cafe/staff/courses.html", page=page, options=options, values=values, args=options.query_args()
    )


# --- new course, edit course -----------------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    settings = api.plugin_settings(services.NAME, api.current_municipality())
    return {
        "count": settings["default_session_count"],
        "minutes": settings["default_session_minutes"],
        "capacity": settings["default_capacity"],
    }


@bp.route("/courses/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_course() -> ResponseReturnValue:
    form = api.extra_form(NewCourseForm, FIELD_TARGET, data=_defaults() if request.method == "GET" else None)
    if form.validate_on_submit():
        db = api.db()
        try:
            course = services.create_course(
                db,
                api.current_municipality(),
                api.current_user(),
                title=form.title.data,
                venue=form.venue.data or "",
                facilitators=form.facilitators.data or "",
                description=form.description.data or "",
                capacity=form.capacity.data,
                first_date=form.first_date.data,
                weekday=form.weekday.data,
                start=form.start.data,
                count=form.count.data,
                minutes=form.minutes.data,
                commit=False,
            )
            api.save_extras(db, form, FIELD_TARGET, course.id)
            db.session.commit()
        except (CafeError, api.ExtraFieldError) as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        except BaseException:
            db.session.rollback()
            raise
        else:
            flash(
                api.ngettext(
                    "The course is created with %(num)d session.",
                    "The course is created with %(num)d sessions.",
                    len(course.sessions),
                ),
                "success",
            )
            return redirect(url_for("cafe.course", course_id=course.id))
    status = 400 if request.method == "POST" else 200
    return render_template("cafe/staff/course_form.html", form=form, course=None), status


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_course(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    form = api.extra_form(CourseDetailsForm, FIELD_TARGET, course.id, obj=course)
    if form.validate_on_submit():
        try:
            # Every detail is checked before the seats change: a mistake writes nothing. The own fields
            # are written first, so that the first of the services' commits saves them with the rest.
            details = program.check_course_details(
                title=form.title.data,
                venue=form.venue.data or "",
                facilitators=form.facilitators.data or "",
                description=form.description.data or "",
            )
            api.save_extras(db, form, FIELD_TARGET, course.id)
            promoted: list[Signup] = []
            if form.capacity.data != course.capacity:
                promoted = services.change_capacity(db, course, api.current_user(), form.capacity.data)
            program.update_course(db, course, api.current_user(), **details)
            db.session.commit()
        except (CafeError, api.ExtraFieldError) as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        except BaseException:
            db.session.rollback()
            raise
        else:
            flash(_("The changes are saved."), "success")
            _flash_promoted(promoted)
            return redirect(url_for("cafe.course", course_id=course.id))
    status = 400 if request.method == "POST" else 200
    return render_template("cafe/staff/course_form.html", form=form, course=course), status


def _flash_promoted(promoted: list[Signup]) -> None:
    for signup in promoted:
        flash(_("%(name)s got a seat from the waitlist.") % {"name": signup.citizen.name}, "success")


def _flash_told(told: Told) -> None:
    """Say how many were e-mailed about a change, and warn about those the mail did not reach."""
    if told.told:
        flash(_("Participants told by e-mail: %(n)d.") % {"n": told.told}, "info")
    if told.failed:
        flash(
            _("Participants the e-mail could not reach: %(n)d. Tell them another way.") % {"n": told.failed},
            "warning",
        )


# --- the course page -------------------------------------------------------------------------------------


def _participants(db: api.Database, course: Course) -> list[Signup]:
    """Confirmed (in order of signing up), then the waitlist in queue order, each with its citizen."""
    return list(
        db.session.scalars(
            select(Signup)
            .options(joinedload(Signup.citizen))
            .where(Signup.course_id == course.id, Signup.status != SignupStatus.LEFT)
            .order_by(Signup.position.is_not(None), Signup.position, Signup.id)
        )
    )


def _candidates(db: api.Database, course: Course, query: str) -> list[api.Citizen]:
    """Citizens of the municipality not on the course (nor ended), matching every word of `query`, by
    name; at most CANDIDATES_MAX + 1 (the extra one says there are more)."""
    on_course = select(Signup.citizen_id).where(
        Signup.course_id == course.id, Signup.status != SignupStatus.LEFT
    )
    stmt = (
        api.citizens_named(api.current_municipality(), query)
        .where(api.Citizen.id.not_in(on_course), api.Citizen.status != "ended")
        .limit(CANDIDATES_MAX + 1)
    )
    return list(db.session.scalars(stmt))


def _session_choices(sessions: list[Session], timezone: str, empty: str) -> list[SelectChoice]:
    choices = [SelectChoice("", empty)]
    for n, s in enumerate(sessions, start=1):
        label = _("Session %(n)d, %(date)s") % {
            "n": n,
            "date": display.local_time(s.starts_at, timezone).strftime("%d.%m.%Y %H:%M"),
        }
        if s.cancelled:
            label += " (" + _("cancelled") + ")"
        choices.append(SelectChoice(str(s.id), label))
    return choices


def _course_page(
    course: Course,
    signup_form: SignUpForm | None = None,
    item_form: ItemForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    sessions = list(course.sessions)
    participants = _participants(db, course)
    query = request.args.get("q", "")[:100].strip()
    candidates = _candidates(db, course, query)
    more = len(candidates) > CANDIDATES_MAX
    candidates = candidates[:CANDIDATES_MAX]
    signup_form = signup_form or SignUpForm(formdata=None)
    signup_form.citizen.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(str(c.id), c.name) for c in candidates
    ]
    sessions_choices = _session_choices(sessions, course.timezone, _("Not placed yet"))
    item_form = item_form or ItemForm(formdata=None)
    item_form.session.choices = sessions_choices
    place_choices = _session_choices(sessions, course.timezone, _("Choose a session"))
    plan = program.agenda(db, course)
    _audit_view(
        "cafe_course",
        course.id,
        [s.citizen_id for s in participants] + [c.id for c in candidates] + plan.proposer_ids,
    )
    facts = api.extra_facts(FIELD_TARGET, course.id)
    return render_template(
        "cafe/staff/course.html",
        course=course,
        facts=facts,
        sessions=sessions,
        confirmed=[s for s in participants if s.status == SignupStatus.CONFIRMED],
        waiting=[s for s in participants if s.status == SignupStatus.WAITLISTED],
        query=query,
        more_candidates=more,
        signup_form=signup_form,
        item_form=item_form,
        place_choices=place_choices,
        agenda=plan,
    ), status


@bp.route("/courses/<int:course_id>")
@api.require_role(*STAFF)
def course(course_id: int) -> ResponseReturnValue:
    return _course_page(api.get_scoped_or_404(api.db(), Course, course_id))


@bp.route("/courses/<int:course_id>/sign-up", methods=["POST"])
@api.require_role(*STAFF)
def sign_up(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    form = SignUpForm()
    if form.validate_on_submit():
        citizen = db.session.scalar(api.scoped(api.Citizen).where(api.Citizen.id == form.citizen.data))
        if citizen is None:
            form.citizen.errors.append(_("Choose a citizen."))
        else:
            try:
                signup = services.sign_up(db, course, citizen, api.current_user())
            except CafeError as err:
                api.field_error(form, err, "citizen")
            else:
                if signup.status == SignupStatus.WAITLISTED:
                    flash(
                        _("The course is full: %(name)s is on the waitlist at position %(n)d.")
                        % {"name": citizen.name, "n": signup.position},
                        "warning",
                    )
                else:
                    flash(_("%(name)s has a seat on the course.") % {"name": citizen.name}, "success")
                return redirect(url_for("cafe.course", course_id=course.id, _anchor="participants"))
    return _course_page(course, signup_form=form, status=400)


@bp.route("/courses/<int:course_id>/participants/<int:citizen_id>/remove", methods=["GET", "POST"])
@api.require_role(*STAFF)
def remove(course_id: int, citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    signup = db.session.scalar(
        api.scoped(Signup).where(
            Signup.course_id == course.id,
            Signup.citizen_id == citizen.id,
            Signup.status != SignupStatus.LEFT,
        )
    )
    if signup is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            result = services.leave(db, course, citizen, api.current_user())
        except CafeError as err:  # gone meanwhile (someone else took them off)
            flash(err.message, "warning")
            return redirect(url_for("cafe.course", course_id=course.id))
        flash(_("%(name)s is taken off the course.") % {"name": citizen.name}, "success")
        if result.promoted is not None:
            _flash_promoted([result.promoted])
            if result.told.failed:
                flash(_("The e-mail about the seat could not be sent: tell them another way."), "warning")
        return redirect(url_for("cafe.course", course_id=course.id, _anchor="participants"))
    _audit_view("cafe_signup", signup.id, [citizen.id])
    return render_template("cafe/staff/remove.html", form=form, course=course, citizen=citizen, signup=signup)


# --- the agenda ------------------------------------------------------------------------------------------


def _course_session(db: api.Database, course_id: int, session_id: int | None) -> Session | None:
    """A session of the course by id (None for none); CafeError if it is not one of the course's."""
    if session_id is None:
        return None
    found = db.session.scalar(
        api.scoped(Session).where(Session.id == session_id, Session.course_id == course_id)
    )
    if found is None:
        raise CafeError("session", _("Choose a session of this course."))
    return found


@bp.route("/courses/<int:course_id>/agenda", methods=["POST"])
@api.require_role(*STAFF)
def add_item(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    form = ItemForm()
    form.session.choices = _session_choices(list(course.sessions), course.timezone, _("Not placed yet"))
    if form.validate_on_submit():
        try:
            program.add_item(
                db,
                course,
                api.current_user(),
                title=form.title.data,
                note=form.note.data or "",
                session=_course_session(db, course.id, form.session.data),
                guest_kind=form.guest_kind.data or None,
                guest_name=form.guest_name.data or "",
            )
        except CafeError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(_("The item is added to the agenda."), "success")
            return redirect(url_for("cafe.course", course_id=course.id, _anchor="agenda"))
    return _course_page(course, item_form=form, status=400)


@bp.route("/agenda/<int:item_id>/place", methods=["POST"])
@api.require_role(*STAFF)
def place_item(item_id: int) -> ResponseReturnValue:
    db = api.db()
    item = api.get_scoped_or_404(db, AgendaItem, item_id)
    form = PlaceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        program.place_item(
            db, item, _course_session(db, item.course_id, form.session.data), api.current_user()
        )
    except CafeError as err:
        flash(err.message, "error")
    else:
        if item.session_id is None:
            flash(_("'%(title)s' is back among the proposals.") % {"title": item.title}, "success")
        else:
            flash(_("'%(title)s' is on the session's agenda.") % {"title": item.title}, "success")
    return redirect(url_for("cafe.course", course_id=item.course_id, _anchor="agenda"))


@bp.route("/agenda/<int:item_id>/set-aside", methods=["POST"])
@api.require_role(*STAFF)
def set_aside(item_id: int) -> ResponseReturnValue:
    db = api.db()
    item = api.get_scoped_or_404(db, AgendaItem, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    program.set_aside(db, item, api.current_user())
    flash(_("'%(title)s' is set aside. You can take it up again below.") % {"title": item.title}, "success")
    return redirect(url_for("cafe.course", course_id=item.course_id, _anchor="agenda"))


@bp.route("/agenda/<int:item_id>", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_item(item_id: int) -> ResponseReturnValue:
    """An agenda item: on which session, and whether it is a guest talk."""
    db = api.db()
    item = api.get_scoped_or_404(db, AgendaItem, item_id)
    course = item.course
    form = ItemPlacementForm(
        data={
            "session": item.session_id,
            "guest_kind": item.guest_kind.value if item.guest_kind else "",
            "guest_name": item.guest_name,
        }
        if request.method == "GET"
        else None
    )
    form.session.choices = _session_choices(list(course.sessions), course.timezone, _("Not placed yet"))
    if form.validate_on_submit():
        try:
            # Both checked before either is written: a bad session or guest changes nothing.
            session = _course_session(db, course.id, form.session.data)
            program.set_guest(
                db, item, api.current_user(), form.guest_kind.data or None, form.guest_name.data or ""
            )
            program.place_item(db, item, session, api.current_user())
        except CafeError as err:
            db.session.rollback()
            api.field_error(form, err, "guest_kind")
        else:
            flash(_("The item is saved."), "success")
            return redirect(url_for("cafe.course", course_id=course.id, _anchor="agenda"))
    proposer = None
    if item.proposed_by_citizen_id is not None:
        proposer = db.session.get(api.Citizen, item.proposed_by_citizen_id)
        _audit_view("cafe_agenda_item", item.id, [item.proposed_by_citizen_id])
    status = 400 if request.method == "POST" else 200
    return render_template(
        "cafe/staff/item.html", form=form, item=item, course=course, proposer=proposer
    ), status


# --- a session -------------------------------------------------------------------------------------------


def _session_page(
    session: Session,
    location_form: LocationForm | None = None,
    move_form: MoveForm | None = None,
    attendance_error: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    course = session.course
    begins = display.local_time(session.starts_at, course.timezone)
    location_form = location_form or LocationForm(formdata=None, data={"location": session.location})
    move_form = move_form or MoveForm(
        formdata=None,
        data={
            "day": begins.date(),
            "start": begins.time().replace(tzinfo=None),
            "minutes": int((session.ends_at - session.starts_at) / timedelta(minutes=1)),
        },
    )
    participants = [s for s in _participants(db, course) if s.status == SignupStatus.CONFIRMED]
    marks = program.attendance_marks(db, [session.id])
    items = list(
        db.session.scalars(
            api.scoped(AgendaItem)
            .where(AgendaItem.session_id == session.id, AgendaItem.dismissed.is_(False))
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )
    number = 1 + sum(1 for s in course.sessions if (s.starts_at, s.id) < (session.starts_at, session.id))
    _audit_view("cafe_session", session.id, [s.citizen_id for s in participants])
    return render_template(
        "cafe/staff/session.html",
        session=session,
        course=course,
        number=number,
        location_form=location_form,
        move_form=move_form,
        confirm_form=ConfirmForm(formdata=None),
        participants=participants,
        marks={citizen_id: present for (_sid, citizen_id), present in marks.items()},
        attendance_error=attendance_error,
        items=items,
    ), status


@bp.route("/sessions/<int:session_id>")
@api.require_role(*STAFF)
def session(session_id: int) -> ResponseReturnValue:
    return _session_page(api.get_scoped_or_404(api.db(), Session, session_id))


@bp.route("/sessions/<int:session_id>/place", methods=["POST"])
@api.require_role(*STAFF)
def session_place(session_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Session, session_id)
    form = LocationForm()
    if form.validate_on_submit():
        try:
            change = services.edit_session(db, found, api.current_user(), location=form.location.data or "")
        except CafeError as err:
            db.session.rollback()
            api.field_error(form, err, "location")
        else:
            flash(_("The place is saved.") if change.changed else _("Nothing was changed."), "success")
            _flash_told(change.told)
            return redirect(url_for("cafe.session", session_id=found.id))
    return _session_page(found, location_form=form, status=400)


@bp.route("/sessions/<int:session_id>/move", methods=["POST"])
@api.require_role(*STAFF)
def move_session(session_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Session, session_id)
    form = MoveForm()
    if form.validate_on_submit():
        try:
            change = services.move_session(
                db,
                found,
                api.current_user(),
                day=form.day.data,
                start=form.start.data,
                minutes=form.minutes.data,
            )
        except CafeError as err:
            db.session.rollback()
            api.field_error(form, err, "day")
        else:
            flash(_("The session is moved.") if change.changed else _("Nothing was changed."), "success")
            _flash_told(change.told)
            return redirect(url_for("cafe.session", session_id=found.id))
    return _session_page(found, move_form=form, status=400)


def _cancel(session_id: int, cancelled: bool) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Session, session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        change = services.cancel_session(db, found, api.current_user(), cancelled=cancelled)
        if cancelled:
            flash(_("The session is cancelled."), "success")
        else:
            flash(_("The session takes place after all."), "success")
        _flash_told(change.told)
        return redirect(url_for("cafe.session", session_id=found.id))
    return render_template(
        "cafe/staff/cancel.html", form=form, session=found, course=found.course, cancelling=cancelled
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@api.require_role(*STAFF)
def cancel_session(session_id: int) -> ResponseReturnValue:
    return _cancel(session_id, True)


@bp.route("/sessions/<int:session_id>/reinstate", methods=["GET", "POST"])
@api.require_role(*STAFF)
def reinstate_session(session_id: int) -> ResponseReturnValue:
    return _cancel(session_id, False)


@bp.route("/sessions/<int:session_id>/attendance", methods=["POST"])
@api.require_role(*STAFF)
def mark_attendance(session_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Session, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    marks: dict[int, bool] = {}
    for key, value in request.form.items():
        if key.startswith("present-") and key[8:].isdigit() and value in ("yes", "no"):
            marks[int(key[8:])] = value == "yes"
    try:
        program.mark_attendance(db, found, api.current_user(), marks)
    except CafeError as err:
        db.session.rollback()
        return _session_page(found, attendance_error=err.message, status=400)
    flash(_("The attendance is saved."), "success")
    return redirect(url_for("cafe.session", session_id=found.id, _anchor="attendance"))


# --- the attendance grid ---------------------------------------------------------------------------------


@bp.route("/courses/<int:course_id>/attendance")
@api.require_role(*STAFF)
def attendance(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    grid = program.attendance_grid(db, course)
    _audit_view("cafe_course", course.id, grid.citizen_ids, page="attendance")
    return render_template("cafe/staff/attendance.html", course=course, grid=grid)


@bp.route("/courses/<int:course_id>/attendance.csv")
@api.require_role(*STAFF)
def attendance_csv(course_id: int) -> ResponseReturnValue:
    """The grid as CSV for Danish Excel: semicolons, a BOM, and no cell Excel would run as a formula."""
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    grid = program.attendance_grid(db, course)
    api.audit.record(
        db,
        "export",
        "cafe_course",
        course.id,
        by=api.current_user(),
        page="attendance",
        exported=grid.citizen_ids,
    )
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    session_heads = []
    for s in grid.sessions:
        head = display.local_time(s.starts_at, course.timezone).strftime("%d.%m.%Y %H:%M")
        session_heads.append(head + (" (" + _("cancelled") + ")" if s.cancelled else ""))
    writer.writerow([_("Participant"), *session_heads, _("Present"), _("Absent")])
    words = {True: _("present"), False: _("absent"), None: ""}
    for row in grid.rows:
        name = row.citizen.name if row.on_course else row.citizen.name + " (" + _("has left") + ")"
        writer.writerow(
            api.csv_cell(v) for v in (name, *(words[m] for m in row.marks), row.present, row.absent)
        )
    writer.writerow(
        [
            _("Present in all"),
            *(grid.present(n) for n in range(len(grid.sessions))),
            sum(r.present for r in grid.rows),
            sum(r.absent for r in grid.rows),
        ]
    )
    writer.writerow([_("Absent in all"), *(grid.absent(n) for n in range(len(grid.sessions))), "", ""])
    stem = _("attendance")
    filename = f"{stem}-{course.id}-{date.today().isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
