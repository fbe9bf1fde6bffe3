"""Group courses for relatives (a group course or teaching, led by a psychologist or therapist) and their
sessions: the operations that write them, and the coordinator's pages.

The services (`create_course`, `update_course`, `delete_course`, `add_session`, `move_session`,
`cancel_session`) are the one door for writes: each checks the rules, writes, adds its audit entry and
commits; a broken rule raises `CourseError(field, message)` before anything is written. A session's time
is typed as wall-clock time in the municipality's time zone and stored in UTC. Every change of a session's
time, place or status raises its `sequence` and `last_modified`, which the calendar feeds need (`feed`).

The pages are for a municipality's admins and coordinators and read rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404). A course's page shows the referrals that
point to it; a relative is named there only while the citizen's consent holds (logged as a view of the
relative), and one whose consent was withdrawn shows as "<relation>, consent withdrawn on <date>".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import case, func, select
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from broen import api
from broen.plugins.relatives import letters
from broen.plugins.relatives.blueprint import STAFF, bp
from broen.plugins.relatives.models import (
    GroupCourse,
    GroupSession,
    Referral,
    ReferralKind,
    Relative,
)

_l = api.lazy_gettext

TITLE_MAX = 200
LED_BY_MAX = 200
VENUE_MAX = 200
DESCRIPTION_MAX = 4000
PLACES_MAX = 500
MINUTES_MIN, MINUTES_MAX = 15, 600
#: A session's date must lie between these (a typo like 0226 or 9999 would otherwise be stored).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)

#: The kinds a course can be: a referral's kinds but individual conversations.
KINDS = {kind: label for kind, label in letters.KINDS.items() if kind != ReferralKind.INDIVIDUAL}


_ = api.gettext


class CourseError(ValueError):
    """A course rule was broken; `field` names the form field it belongs to, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- the services ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseData:
    """A course's details as typed (`kind` a `ReferralKind` or its value; `places` None: no limit)."""

    title: str
    kind: ReferralKind | str
    led_by: str = ""
    venue: str = ""
    description: str = ""
    places: int | None = None


def _checked(data: CourseData) -> dict[str, Any]:
    """The details stripped and checked, as column values; `CourseError` names the first bad field."""
    values: dict[str, Any] = {
        "title": data.title.strip(),
        "led_by": data.led_by.strip(),
        "venue": data.venue.strip(),
        "description": data.description.strip(),
    }
    if not values["title"]:
        raise CourseError("title", _("Write the course's title."))
    for name, limit in (
        ("title", TITLE_MAX),
        ("led_by", LED_BY_MAX),
        ("venue", VENUE_MAX),
        ("description", DESCRIPTION_MAX),
    ):
        if len(values[name]) > limit:
            raise CourseError(name, _("Write at most %(max)d characters.", max=limit))
    kind = ReferralKind(data.kind) if data.kind in {k.value for k in KINDS} else None
    if kind is None:
        raise CourseError("kind", _("Choose whether it is a group course or teaching."))
    values["kind"] = kind
    if data.places is not None and not 1 <= data.places <= PLACES_MAX:
        raise CourseError("places", _("Between 1 and 500 places, or leave it empty for no limit."))
    values["places"] = data.places
    return values


def create_course(
    db: api.Database, municipality: api.Municipality, by: api.User | None, data: CourseData
) -> GroupCourse:
    """A new course of `municipality`, without sessions yet (add them with `add_session`)."""
    course = GroupCourse(municipality_id=municipality.id, **_checked(data))
    db.session.add(course)
    db.session.flush()
    api.audit.record(db, "create", "relatives_course", course.id, by=by, municipality_id=municipality.id)
    db.session.commit()
    return course


def update_course(db: api.Database, course: GroupCourse, by: api.User | None, data: CourseData) -> list[str]:
    """Change a course's details; returns the names of the fields that changed (none: nothing written).

    The calendars hear of it: a new venue is a new place for every session (their `sequence` grows); a new
    title, leader or description changes what every session says (`last_modified`)."""
    values = _checked(data)
    changed = [name for name, value in values.items() if getattr(course, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(course, name, values[name])
    now = api.utcnow()
    for session in course.sessions:
        if "venue" in changed:
            session.sequence += 1
            session.last_modified = now
        elif {"title", "led_by", "description"} & set(changed):
            session.last_modified = now
    api.audit.record(
        db,
        "update",
        "relatives_course",
        course.id,
        by=by,
        municipality_id=course.municipality_id,
        fields=changed,
    )
    db.session.commit()
    return changed


def referral_count(db: api.Database, course: GroupCourse) -> int:
    """How many referrals (of any status) point to the course."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Referral)
            .where(Referral.course_id == course.id, Referral.municipality_id == course.municipality_id)
        )
        or 0
    )


def delete_course(db: api.Database, course: GroupCourse, by: api.User | None) -> None:
    """Delete a course and its sessions (they leave the calendars). Refused (`CourseError` on "course")
    while any referral points to it: the referral's history would lose its course."""
    course_id, municipality_id = course.id, course.municipality_id
    api.lock_row(db, GroupCourse, course_id)
    try:
        course = db.session.get_one(GroupCourse, course_id, populate_existing=True)
        count = referral_count(db, course)
        if count:
            raise CourseError(
                "course",
                str(
                    api.ngettext(
                        "%(num)d referral points to this course, so it cannot be deleted.",
                        "%(num)d referrals point to this course, so it cannot be deleted.",
                        count,
                    )
                ),
            )
        sessions = len(course.sessions)
        db.session.delete(course)
        api.audit.record(
            db,
            "delete",
            "relatives_course",
            course_id,
            by=by,
            municipality_id=municipality_id,
            sessions=sessions,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def session_times(timezone: str, day: date, start: time, minutes: int) -> tuple[datetime, datetime]:
    """UTC start and end of a session on `day` at `start`, wall-clock time in `timezone`, lasting `minutes`
    (real elapsed time). `CourseError` for a date or length out of bounds."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CourseError("day", _("Choose a date between 2000 and 2099."))
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise CourseError("minutes", _("Between 15 and 600 minutes."))
    begins = datetime.combine(day, start.replace(tzinfo=None), tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    return begins, begins + timedelta(minutes=minutes)


def _timezone(db: api.Database, municipality_id: int) -> str:
    return db.session.get_one(api.Municipality, municipality_id).timezone


def add_session(
    db: api.Database, course: GroupCourse, by: api.User | None, *, day: date, start: time, minutes: int
) -> GroupSession:
    """A new session of the course on `day` at `start` (the municipality's local time)."""
    begins, ends = session_times(_timezone(db, course.municipality_id), day, start, minutes)
    session = GroupSession(
        municipality_id=course.municipality_id,
        course_id=course.id,
        starts_at=begins,
        ends_at=ends,
        cancelled=False,
        sequence=0,
        last_modified=api.utcnow(),
    )
    db.session.add(session)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        "relatives_course_session",
        session.id,
        by=by,
        municipality_id=course.municipality_id,
        course_id=course.id,
    )
    db.session.commit()
    return session


def _changed(db: api.Database, session: GroupSession, by: api.User | None, fields: list[str]) -> None:
    """Raise the session's sequence and last change, audit, commit (nothing at all if nothing changed)."""
    if not fields:
        return
    session.sequence += 1
    session.last_modified = api.utcnow()
    api.audit.record(
        db,
        "update",
        "relatives_course_session",
        session.id,
        by=by,
        municipality_id=session.municipality_id,
        fields=fields,
    )
    db.session.commit()


def move_session(
    db: api.Database, session: GroupSession, by: api.User | None, *, day: date, start: time, minutes: int
) -> list[str]:
    """Move a session to `day` at `start` (local time), lasting `minutes`; returns the fields that changed."""
    begins, ends = session_times(_timezone(db, session.municipality_id), day, start, minutes)
    fields = []
    if begins != session.starts_at:
        session.starts_at = begins
        fields.append("starts_at")
    if ends != session.ends_at:
        session.ends_at = ends
        fields.append("ends_at")
    _changed(db, session, by, fields)
    return fields


def cancel_session(
    db: api.Database, session: GroupSession, by: api.User | None, *, cancelled: bool = True
) -> bool:
    """Cancel a session (it stays in the calendars, marked cancelled), or with `cancelled=False` hold it
    after all. Returns whether anything changed."""
    fields = ["cancelled"] if session.cancelled != cancelled else []
    session.cancelled = cancelled
    _changed(db, session, by, fields)
    return bool(fields)


# --- what the pages read ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRow:
    course: GroupCourse
    first: datetime | None
    last: datetime | None
    sessions: int
    referrals: int

    @property
    def past(self) -> bool:
        return self.last is not None and self.last < api.utcnow()


def course_rows(db: api.Database, municipality: api.Municipality, page: int = 1) -> api.Page[CourseRow]:
    """The municipality's courses with their dates, sessions and referrals: upcoming and running ones first
    (soonest first), then those without sessions yet (newest first), then those that are over (latest
    first). Two queries (a count and a page), however many courses there are."""
    times = (
        select(
            GroupSession.course_id,
            func.min(GroupSession.starts_at).label("first"),
            func.max(GroupSession.ends_at).label("last"),
            func.count(GroupSession.id).label("sessions"),
        )
        .where(GroupSession.municipality_id == municipality.id)
        .group_by(GroupSession.course_id)
        .subquery()
    )
    referrals = (
        select(Referral.course_id, func.count(Referral.id).label("referrals"))
        .where(Referral.municipality_id == municipality.id, Referral.course_id.is_not(None))
        .group_by(Referral.course_id)
        .subquery()
    )
    now = api.utcnow()
    group = case((times.c.last >= now, 0), (times.c.last.is_(None), 1), else_=2)
    stmt = (
        api.scoped(GroupCourse, municipality)
        .add_columns(times.c.first, times.c.last, times.c.sessions, referrals.c.referrals)
        .outerjoin(times, times.c.course_id == GroupCourse.id)
        .outerjoin(referrals, referrals.c.course_id == GroupCourse.id)
        .order_by(
            group,
            case((group == 0, times.c.first), else_=None).asc(),
            case((group == 2, times.c.last), else_=None).desc(),
            GroupCourse.id.desc(),
        )
    )
    return api.paginate(
        db,
        stmt,
        page,
        item=lambda course, first, last, sessions, n: CourseRow(
            course, first, last, int(sessions or 0), int(n or 0)
        ),
    )


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    relative: Relative


def referral_rows(db: api.Database, course: GroupCourse, page: int = 1) -> api.Page[ReferralRow]:
    """The referrals that point to the course, newest first, each with its relative."""
    stmt = (
        select(Referral)
        .add_columns(Relative)
        .join(Relative, Relative.id == Referral.relative_id)
        .where(Referral.course_id == course.id, Referral.municipality_id == course.municipality_id)
        .order_by(Referral.proposed_on.desc(), Referral.id.desc())
    )
    return api.paginate(db, stmt, page, item=ReferralRow)


# --- the forms -------------------------------------------------------------------------------------------


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in KINDS.items()]


class CourseForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Write the course's title.")), Length(max=TITLE_MAX)]
    )
    kind = SelectField(_l("Kind"), choices=_kind_choices)
    led_by = StringField(_l("Led by"), validators=[Optional(), Length(max=LED_BY_MAX)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=VENUE_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX)])
    places = IntegerField(
        _l("Places"),
        validators=[
            Optional(),
            NumberRange(1, PLACES_MAX, _l("Between 1 and 500 places, or leave it empty for no limit.")),
        ],
    )

    def course_data(self) -> CourseData:
        return CourseData(
            title=self.title.data or "",
            kind=self.kind.data or "",
            led_by=self.led_by.data or "",
            venue=self.venue.data or "",
            description=self.description.data or "",
            places=self.places.data,
        )


class SessionForm(FlaskForm):  # type: ignore[misc]
    day = DateField(_l("Date"), validators=[InputRequired(_l("Choose the date."))])
    start = TimeField(_l("Start time"), validators=[InputRequired(_l("Write the time, e.g. 17:00."))])
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            InputRequired(_l("Write how long the session lasts.")),
            NumberRange(MINUTES_MIN, MINUTES_MAX, _l("Between 15 and 600 minutes.")),
        ],
    )


ConfirmForm = api.ConfirmForm


# --- the pages -------------------------------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(api.current_municipality().timezone)


def _helpers() -> dict[str, Any]:
    return {
        "tz": _zone(),
        "kinds": KINDS,
        "relations": letters.RELATIONS,
        "referral_statuses": letters.STATUSES,
    }


def _status() -> int:
    """400 for a form sent back with errors, 200 for a first look."""
    return 400 if request.method == "POST" else 200


@bp.route("/courses")
@api.require_role(*STAFF)
def courses() -> ResponseReturnValue:
    page = course_rows(api.db(), api.current_municipality(), page=api.requested_page())
    return render_template("relatives/course_list.html", page=page, **_helpers())


@bp.route("/courses/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_course() -> ResponseReturnValue:
    form = CourseForm()
    if form.validate_on_submit():
        db = api.db()
        try:
            course = create_course(db, api.current_municipality(), api.current_user(), form.course_data())
        except CourseError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(_("The course is created. Add its sessions below."), "success")
            return redirect(url_for("relatives.course", course_id=course.id, _anchor="sessions"))
    return render_template("relatives/course_form.html", form=form, course=None), _status()


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_course(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, GroupCourse, course_id)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            changed = update_course(db, course, api.current_user(), form.course_data())
        except CourseError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("relatives.course", course_id=course.id))
    return render_template("relatives/course_form.html", form=form, course=course), _status()


def _course_page(
    course: GroupCourse, form: SessionForm | None = None, status: int = 200
) -> ResponseReturnValue:
    db = api.db()
    sessions = list(course.sessions)
    referrals = referral_rows(db, course, api.requested_page())
    named = [row.relative.id for row in referrals.items if row.relative.consented]
    if named:  # the page names these relatives
        api.audit.record_each(
            db, "view", "relatives_relative", named, by=api.current_user(), what="relatives_course"
        )
        db.session.commit()
    form = form or SessionForm(formdata=None, data={"minutes": 120})
    return render_template(
        "relatives/course_page.html",
        course=course,
        sessions=sessions,
        referrals=referrals,
        form=form,
        **_helpers(),
    ), status


@bp.route("/courses/<int:course_id>")
@api.require_role(*STAFF)
def course(course_id: int) -> ResponseReturnValue:
    return _course_page(api.get_scoped_or_404(api.db(), GroupCourse, course_id))


@bp.route("/courses/<int:course_id>/sessions", methods=["POST"])
@api.require_role(*STAFF)
def add_course_session(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, GroupCourse, course_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            add_session(
                db,
                course,
                api.current_user(),
                day=form.day.data,
                start=form.start.data,
                minutes=form.minutes.data,
            )
        except CourseError as err:
            db.session.rollback()
            api.field_error(form, err, "day")
        else:
            flash(_("The session is added."), "success")
            return redirect(url_for("relatives.course", course_id=course.id, _anchor="sessions"))
    return _course_page(course, form, 400)


@bp.route("/courses/<int:course_id>/delete", methods=["GET", "POST"], endpoint="delete_course")
@api.require_role(*STAFF)
def confirm_delete_course(course_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, GroupCourse, course_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        title = found.title
        try:
            delete_course(db, found, api.current_user())
        except CourseError as err:
            flash(err.message, "error")
            return redirect(url_for("relatives.course", course_id=course_id))
        flash(_("The course %(title)s is deleted.", title=title), "success")
        return redirect(url_for("relatives.courses"))
    return render_template(
        "relatives/course_delete.html",
        form=form,
        course=found,
        referrals=referral_count(db, found),
        sessions=len(found.sessions),
    )


def _session_page(
    session: GroupSession, form: SessionForm | None = None, status: int = 200
) -> ResponseReturnValue:
    zone = _zone()
    begins = session.starts_at.astimezone(zone)
    form = form or SessionForm(
        formdata=None,
        data={
            "day": begins.date(),
            "start": begins.time().replace(tzinfo=None),
            "minutes": int((session.ends_at - session.starts_at) / timedelta(minutes=1)),
        },
    )
    return render_template(
        "relatives/course_session.html", session=session, course=session.course, form=form, **_helpers()
    ), status


@bp.route("/courses/sessions/<int:session_id>")
@api.require_role(*STAFF)
def course_session(session_id: int) -> ResponseReturnValue:
    return _session_page(api.get_scoped_or_404(api.db(), GroupSession, session_id))


@bp.route("/courses/sessions/<int:session_id>/move", methods=["POST"])
@api.require_role(*STAFF)
def move_course_session(session_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, GroupSession, session_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            fields = move_session(
                db,
                found,
                api.current_user(),
                day=form.day.data,
                start=form.start.data,
                minutes=form.minutes.data,
            )
        except CourseError as err:
            db.session.rollback()
            api.field_error(form, err, "day")
        else:
            flash(_("The session is moved.") if fields else _("Nothing was changed."), "success")
            return redirect(url_for("relatives.course_session", session_id=found.id))
    return _session_page(found, form, 400)


def _cancel(session_id: int, cancelled: bool) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, GroupSession, session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        cancel_session(db, found, api.current_user(), cancelled=cancelled)
        flash(
            _("The session is cancelled.") if cancelled else _("The session takes place after all."),
            "success",
        )
        return redirect(url_for("relatives.course_session", session_id=found.id))
    return render_template(
        "relatives/course_cancel.html",
        form=form,
        session=found,
        course=found.course,
        cancelling=cancelled,
        **_helpers(),
    )


@bp.route("/courses/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@api.require_role(*STAFF)
def cancel_course_session(session_id: int) -> ResponseReturnValue:
    return _cancel(session_id, True)


@bp.route("/courses/sessions/<int:session_id>/reinstate", methods=["GET", "POST"])
@api.require_role(*STAFF)
def reinstate_course_session(session_id: int) -> ResponseReturnValue:
    return _cancel(session_id, False)
