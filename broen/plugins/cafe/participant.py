"""The participant's own café pages: their courses, sign up and leave, topics, the calendar link.

Everything is under `/<municipality>/cafe/me/` (the coordinator's pages share the `/cafe/` prefix) and
only for a participant of that municipality. A participant is the citizen record their log-in is linked
to (an invitation links it: `services.own_citizen`); a log-in that is not linked gets a calm page saying
whom to ask. A participant sees their own sign-ups and topics and the courses open to them, never anyone
else's name: an open course shows only how many seats are free. Every write goes through `services` and
`program` with the participant as `by`, so it is audited like a coordinator's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from broen import api
from broen.plugins.cafe import display, program, services
from broen.plugins.cafe.models import AgendaItem, Course, Session, Signup, SignupStatus
from broen.plugins.cafe.services import CafeError, _

bp = Blueprint("cafe_participant", __name__, template_folder="templates")

PARTICIPANT = api.Role.PARTICIPANT
_l = api.lazy_gettext


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The café's menu entries for a participant."""
    if user.role_in(municipality.id) == PARTICIPANT:
        return [api.MenuItem(_("My café meetings"), "cafe_participant.home", order=30)]
    return []


class ButtonForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """An empty form: a POST with a valid CSRF token is the press of the button."""


class TopicForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        _l("Topic"), validators=[DataRequired(_l("Write the topic.")), Length(max=program.TITLE_MAX)]
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=program.NOTE_MAX)])


def topic_form(course_id: int, **kwargs: Any) -> TopicForm:
    """The topic form of one course. Each course on the page has its own (posted to the course's own
    address), so its fields get ids of their own; their names stay plain."""
    form = TopicForm(**kwargs)
    for f in (form.title, form.note):
        f.id = f.label.field_id = f"topic-{course_id}-{f.name}"
    return form


bp.context_processor(display.template_helpers)


def _citizen() -> api.Citizen | None:
    return services.own_citizen(api.db(), api.current_municipality(), api.current_user())


def _not_linked() -> ResponseReturnValue:
    return render_template("cafe/participant/not_linked.html")


# --- what the page shows ---------------------------------------------------------------------------------


@dataclass
class MyCourse:
    """A course the participant is on: their sign-up, its coming sessions and their agenda, their topics."""

    signup: Signup
    sessions: list[Session] = field(default_factory=list)
    agenda: dict[int, list[AgendaItem]] = field(default_factory=dict)
    proposals: list[AgendaItem] = field(default_factory=list)

    @property
    def course(self) -> Course:
        return self.signup.course


@dataclass
class OpenCourse:
    """A course with meetings to come that the participant is not on, and its free seats (no names)."""

    course: Course
    sessions: list[Session]
    confirmed: int
    waiting: int

    @property
    def seats_free(self) -> int:
        return 0 if self.waiting else max(0, self.course.capacity - self.confirmed)


#: Courses to join shown at a time: a phone's page stays short, and the page quick with 40 courses on offer.
OPEN_PER_PAGE = 10


@dataclass
class Page:
    notices: list[Signup]
    mine: list[MyCourse]
    open: list[OpenCourse]
    problem: str | None
    #: Which page of the courses to join this is (`open` holds its courses).
    open_page: api.Page[Course]


def _coming_sessions(db: api.Database, course_ids: list[int], now: datetime) -> dict[int, list[Session]]:
    """{course id: its sessions not over yet, cancelled ones too, in order} in one query."""
    found: dict[int, list[Session]] = {}
    if not course_ids:
        return found
    rows = db.session.scalars(
        select(Session)
        .where(Session.course_id.in_(course_ids), Session.ends_at > now)
        .order_by(Session.starts_at, Session.id)
    )
    for s in rows:
        found.setdefault(s.course_id, []).append(s)
    return found


def page_data(
    db: api.Database, municipality: api.Municipality, citizen: api.Citizen, open_page_number: int = 1
) -> Page:
    """Everything the participant's page shows, in a fixed number of queries; `open_page_number` is the page
    of the courses to join."""
    now = api.utcnow()
    signups = list(
        db.session.scalars(
            api.scoped(Signup, municipality)
            .options(joinedload(Signup.course))
            .where(Signup.citizen_id == citizen.id, Signup.status != SignupStatus.LEFT)
            .order_by(Signup.id)
        )
    )
    my_ids = [s.course_id for s in signups]
    coming = _coming_sessions(db, my_ids, now)
    confirmed_ids = [s.course_id for s in signups if s.status == SignupStatus.CONFIRMED]
    placed_on = [s.id for cid in confirmed_ids for s in coming.get(cid, [])]
    agenda: dict[int, list[AgendaItem]] = {}
    if placed_on:
        for item in db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.session_id.in_(placed_on), AgendaItem.dismissed.is_(False))
            .order_by(AgendaItem.position, AgendaItem.id)
        ):
            assert item.session_id is not None
            agenda.setdefault(item.session_id, []).append(item)
    proposals = program.proposals_by(db, citizen, confirmed_ids)
    mine = []
    for signup in signups:
        row = MyCourse(signup, coming.get(signup.course_id, []))
        if signup.status == SignupStatus.CONFIRMED:
            row.agenda = {s.id: agenda.get(s.id, []) for s in row.sessions}
            row.proposals = proposals[signup.course_id]
        mine.append(row)

    # The courses to join, soonest first meeting first, a page at a time.
    first = (
        select(Session.course_id, func.min(Session.starts_at).label("first"))
        .where(
            Session.municipality_id == municipality.id, Session.starts_at > now, Session.cancelled.is_(False)
        )
        .group_by(Session.course_id)
        .subquery()
    )
    joinable = (
        api.scoped(Course, municipality)
        .join(first, first.c.course_id == Course.id)
        .where(Course.id.not_in(my_ids))
        .order_by(first.c.first, Course.id)
    )
    open_page: api.Page[Course] = api.paginate(db, joinable, open_page_number, OPEN_PER_PAGE)
    other_ids = [c.id for c in open_page.items]
    other_sessions = _coming_sessions(db, other_ids, now)
    counts: Counter[tuple[int, SignupStatus]] = Counter()
    if other_ids:
        for course_id, status, n in db.session.execute(
            select(Signup.course_id, Signup.status, func.count())
            .where(Signup.course_id.in_(other_ids), Signup.status != SignupStatus.LEFT)
            .group_by(Signup.course_id, Signup.status)
        ):
            counts[(course_id, status)] = n
    open_courses = [
        OpenCourse(
            c,
            other_sessions.get(c.id, []),
            counts[(c.id, SignupStatus.CONFIRMED)],
            counts[(c.id, SignupStatus.WAITLISTED)],
        )
        for c in open_page.items
    ]
    notices = [
        s
        for s in signups
        if s.status == SignupStatus.CONFIRMED and s.promoted_at is not None and not s.promotion_seen
    ]
    return Page(notices, mine, open_courses, services.eligibility_problem(citizen, municipality), open_page)


def _home(
    citizen: api.Citizen,
    forms: dict[int, TopicForm] | None = None,
    links: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    page = page_data(db, municipality, citizen, api.requested_page())
    forms = forms or {}
    topic_forms = {
        row.course.id: forms.get(row.course.id) or topic_form(row.course.id, formdata=None)
        for row in page.mine
        if row.signup.status == SignupStatus.CONFIRMED
    }
    # Shown now, so seen: the notice is not shown again.
    for signup in page.notices:
        signup.promotion_seen = True
    api.audit.record(
        db,
        "view",
        "cafe_participant",
        citizen.id,
        by=api.current_user(),
        municipality_id=municipality.id,
        shown=[citizen.id],
    )
    db.session.commit()
    body = render_template(
        "cafe/participant/home.html",
        page=page,
        citizen=citizen,
        topic_forms=topic_forms,
        links=links,
        has_link=links is None and api.has_calendar_link(api.current_user()),
    )
    response = make_response(body, status)
    if links is not None:
        response.headers["Cache-Control"] = "no-store"  # the link is a key: no copy in any cache
    return response


@bp.route("/me/")
@api.require_role(PARTICIPANT)
def home() -> ResponseReturnValue:
    citizen = _citizen()
    if citizen is None:
        return _not_linked()
    return _home(citizen)


# --- sign up, leave --------------------------------------------------------------------------------------


def _signup(db: api.Database, course: Course, citizen: api.Citizen) -> Signup | None:
    return db.session.scalar(
        api.scoped(Signup).where(
            Signup.course_id == course.id,
            Signup.citizen_id == citizen.id,
            Signup.status != SignupStatus.LEFT,
        )
    )


def _back(anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("cafe_participant.home", _anchor=anchor))


@bp.route("/me/courses/<int:course_id>/sign-up", methods=["POST"])
@api.require_role(PARTICIPANT)
def sign_up(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    citizen = _citizen()
    if citizen is None:
        return _back()
    if not ButtonForm().validate_on_submit():
        abort(400)
    has_coming = db.session.scalar(
        select(func.count())
        .select_from(Session)
        .where(Session.course_id == course.id, Session.starts_at > api.utcnow(), Session.cancelled.is_(False))
    )
    if not has_coming:
        flash(_("This course has no more meetings, so you cannot sign up for it."), "warning")
        return _back("open-courses")
    try:
        signup = services.sign_up(db, course, citizen, api.current_user())
    except CafeError as err:
        flash(err.message, "error")
        return _back("open-courses")
    if signup.status == SignupStatus.WAITLISTED:
        flash(
            _("The course is full. You are number %(n)d on the waitlist.") % {"n": signup.position},
            "warning",
        )
    else:
        flash(_("You have a seat on %(title)s.") % {"title": course.title}, "success")
    return _back(f"course-{course.id}")


@bp.route("/me/courses/<int:course_id>/leave", methods=["GET", "POST"])
@api.require_role(PARTICIPANT)
def leave(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    citizen = _citizen()
    if citizen is None:
        return _back()
    signup = _signup(db, course, citizen)
    if signup is None:
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            services.leave(db, course, citizen, api.current_user())
        except CafeError as err:  # gone meanwhile (a coordinator took them off)
            flash(err.message, "warning")
            return _back()
        if signup.status == SignupStatus.WAITLISTED:
            flash(_("You are off the waitlist for %(title)s.") % {"title": course.title}, "success")
        else:
            flash(_("You have left %(title)s.") % {"title": course.title}, "success")
        return _back()
    return render_template("cafe/participant/leave.html", form=form, course=course, signup=signup)


# --- topics ----------------------------------------------------------------------------------------------


@bp.route("/me/courses/<int:course_id>/topics", methods=["POST"])
@api.require_role(PARTICIPANT)
def propose_topic(course_id: int) -> ResponseReturnValue:
    db = api.db()
    course = api.get_scoped_or_404(db, Course, course_id)
    citizen = _citizen()
    if citizen is None:
        return _back()
    signup = _signup(db, course, citizen)
    if signup is None or signup.status != SignupStatus.CONFIRMED:
        flash(_("You can propose topics for a course when you have a seat on it."), "warning")
        return _back()
    form = topic_form(course.id)
    if form.validate_on_submit():
        try:
            program.propose_topic(
                db, course, citizen, api.current_user(), title=form.title.data, note=form.note.data or ""
            )
        except CafeError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(_("Thank you. Your topic is sent to the coordinator."), "success")
            return _back(f"course-{course.id}")
    return _home(citizen, forms={course.id: form}, status=400)


# --- the calendar link -----------------------------------------------------------------------------------


@bp.route("/me/calendar-link", methods=["GET", "POST"])
@api.require_role(PARTICIPANT)
def calendar_link() -> ResponseReturnValue:
    """GET: make sure (a new link stops the old one). POST: make the link and show it on the page, once."""
    citizen = _citizen()
    if citizen is None:
        return _back()
    form = ButtonForm()
    if form.validate_on_submit():
        return _home(citizen, links=api.new_calendar_link(api.current_user()))
    return render_template(
        "calendar/new_link.html",
        form=form,
        has_link=api.has_calendar_link(api.current_user()),
        back_url=url_for("cafe_participant.home", _anchor="calendar"),
        back_label=_("My café meetings"),
    )
