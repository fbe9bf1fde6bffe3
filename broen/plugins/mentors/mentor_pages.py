"""A mentor's own pages: their mentees, their next meetings, planning, logging and calling off a meeting,
and the link to their personal calendar feed.

Everything is under `/<municipality>/mentors/me/` and only for a user with the mentor role there. The
mentor is the pool's `Mentor` whose `user_id` is the log-in (an invitation links it); a log-in that is not
linked gets a calm page saying whom to ask. A mentor sees their own active and paused matches only, and
of each citizen only the first name and what the citizen agreed to share (`Match.shared`): never the
surname, contact details, wishes or any other citizen field. Another mentor's match or meeting, another
municipality's, a proposed or an ended one, is not found (404). Showing a mentee is a read of the
citizen's data and is audited; every write goes through `services` with the mentor as `by`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, select

from broen import api
from broen.plugins.mentors import services
from broen.plugins.mentors.match_forms import frequency_words
from broen.plugins.mentors.meeting_forms import MeetingForm
from broen.plugins.mentors.models import Match, MatchStatus, Meeting, Mentor, MentorStatus
from broen.plugins.mentors.services import MentorError, _
from broen.plugins.mentors.staff_forms import CONTACT_FORMS, ConfirmForm, contact_label

bp = Blueprint("mentors_me", __name__, template_folder="templates")

MENTOR = api.Role.MENTOR
#: The matches a mentor sees: the active ones, and the paused ones (marked, without actions).
SHOWN = (MatchStatus.ACTIVE, MatchStatus.PAUSED)
#: Coming meetings on one page of the list.
PER_PAGE = 20
#: A new meeting's length, until the mentor says otherwise.
DEFAULT_MINUTES = 60


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The mentor's own menu entry."""
    if user.role_in(municipality.id) == MENTOR:
        return [api.MenuItem(_("My mentees"), "mentors_me.home", order=40)]
    return []


def first_name(name: str) -> str:
    """The first word of a citizen's name: all of it a mentor is shown."""
    words = name.split()
    return words[0] if words else ""


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "contact_forms": CONTACT_FORMS,
        "contact_label": contact_label,
        "frequency_words": frequency_words,
    }


def own_mentor(db: api.Database, municipality: api.Municipality, user: api.User) -> Mentor | None:
    """The mentor of `municipality` whose log-in `user` is (not one who left the pool), or None."""
    return db.session.scalar(
        api.scoped(Mentor, municipality)
        .where(Mentor.user_id == user.id, Mentor.status != MentorStatus.LEFT)
        .order_by(Mentor.id)
        .limit(1)
    )


def _mentor() -> Mentor | None:
    return own_mentor(api.db(), api.current_municipality(), api.current_user())


def _mentor_or_404() -> Mentor:
    mentor = _mentor()
    if mentor is None:
        abort(404)
    return mentor


def _not_linked() -> ResponseReturnValue:
    return render_template("mentors/me/not_linked.html")


def _back(anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("mentors_me.home", _anchor=anchor))


def _audit_shown(db: api.Database, citizen_ids: list[int]) -> None:
    """Record that the mentor was shown these mentees (one entry per citizen, one statement), and commit."""
    api.audit.record_each(db, "view", "citizen", citizen_ids, what="mentors_mentee")
    db.session.commit()


# --- what the home page shows ----------------------------------------------------------------------------


@dataclass
class Mentee:
    """One of the mentor's matches, with the citizen's first name, the last logged and next planned day."""

    match: Match
    first_name: str
    last: date | None = None
    next: Meeting | None = None

    @property
    def paused(self) -> bool:
        return self.match.status == MatchStatus.PAUSED


@dataclass
class Home:
    mentees: list[Mentee]
    #: Planned meetings whose day has passed without being logged (of active matches), oldest first.
    unlogged: list[Meeting]
    #: Planned meetings of active matches from today on, soonest first, a page at a time.
    coming: api.Page[Meeting]
    #: The first name of each shown match's citizen, by match id.
    names: dict[int, str]
    today: date


def _planned(active_ids: list[int]) -> Select[Meeting]:
    """The planned (not logged) meetings of these matches."""
    return select(Meeting).where(Meeting.match_id.in_(active_ids), Meeting.held.is_(False))


def home_data(db: api.Database, municipality: api.Municipality, mentor: Mentor, page: int = 1) -> Home:
    """Everything the mentor's home page shows, in a fixed number of queries however many mentees."""
    today = services.local_today(municipality)
    rows = db.session.execute(
        api.scoped(Match, municipality)
        .add_columns(api.Citizen.name)
        .join(api.Citizen, api.Citizen.id == Match.citizen_id)
        .where(Match.mentor_id == mentor.id, Match.status.in_(SHOWN))
    ).all()
    mentees = [Mentee(match, first_name(name)) for match, name in rows]
    mentees.sort(key=lambda m: (m.paused, m.first_name.casefold(), m.match.id))
    names = {m.match.id: m.first_name for m in mentees}
    active_ids = [m.match.id for m in mentees if not m.paused]
    if not mentees:
        return Home([], [], api.Page([], 0, 1, PER_PAGE), names, today)

    last = services.last_held(db, list(names))
    nexts: dict[int, Meeting] = {}
    unlogged: list[Meeting] = []
    coming: api.Page[Meeting] = api.Page([], 0, 1, PER_PAGE)
    if active_ids:
        order = (Meeting.on, Meeting.at, Meeting.id)
        rank = (
            select(
                Meeting.id, func.row_number().over(partition_by=Meeting.match_id, order_by=order).label("n")
            )
            .where(Meeting.match_id.in_(active_ids), Meeting.held.is_(False), Meeting.on >= today)
            .subquery()
        )
        for meeting in db.session.scalars(
            select(Meeting).join(rank, rank.c.id == Meeting.id).where(rank.c.n == 1)
        ):
            nexts[meeting.match_id] = meeting
        unlogged = list(db.session.scalars(_planned(active_ids).where(Meeting.on < today).order_by(*order)))
        coming = api.paginate(
            db, _planned(active_ids).where(Meeting.on >= today).order_by(*order), page, per_page=PER_PAGE
        )
    for mentee in mentees:
        mentee.last = last.get(mentee.match.id)
        if not mentee.paused:
            mentee.next = nexts.get(mentee.match.id)
    return Home(mentees, unlogged, coming, names, today)


def _home(mentor: Mentor, links: dict[str, str] | None = None) -> ResponseReturnValue:
    db = api.db()
    page = home_data(db, api.current_municipality(), mentor, api.requested_page())
    _audit_shown(db, [m.match.citizen_id for m in page.mentees])
    body = render_template(
        "mentors/me/home.html",
        page=page,
        links=links,
        has_link=links is None and api.has_calendar_link(api.current_user()),
    )
    response = make_response(body)
    if links is not None:
        response.headers["Cache-Control"] = "no-store"  # the link is a key: no copy in any cache
    return response


@bp.route("/me/")
@api.require_role(MENTOR)
def home() -> ResponseReturnValue:
    mentor = _mentor()
    if mentor is None:
        return _not_linked()
    return _home(mentor)


# --- a mentee's match and a meeting, the mentor's own only -------------------------------------------------


def _own_match(mentor: Mentor, match_id: int, statuses: tuple[MatchStatus, ...] = SHOWN) -> Match:
    """The mentor's own match in one of `statuses`, or 404 (another mentor's or municipality's too)."""
    match = api.get_scoped_or_404(api.db(), Match, match_id)
    if match.mentor_id != mentor.id or match.status not in statuses:
        abort(404)
    return match


def _own_meeting(mentor: Mentor, meeting_id: int) -> Meeting:
    """A meeting of one of the mentor's own active or paused matches, or 404."""
    meeting = api.get_scoped_or_404(api.db(), Meeting, meeting_id)
    match = meeting.match
    if match.mentor_id != mentor.id or match.status not in SHOWN:
        abort(404)
    return meeting


def _citizen_name(match: Match) -> str:
    """The first name of the match's citizen (read as the one column, not the citizen's whole row)."""
    name = api.db().session.scalar(select(api.Citizen.name).where(api.Citizen.id == match.citizen_id))
    return first_name(name or "")


def _form_page(
    form: MeetingForm,
    match: Match,
    *,
    planning: bool,
    meeting: Meeting | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    name = _citizen_name(match)
    _audit_shown(db, [match.citizen_id])
    if planning:
        form.at.flags.required = True  # the service needs it for a planned meeting
    body = render_template(
        "mentors/me/meeting.html", form=form, match=match, name=name, planning=planning, meeting=meeting
    )
    return body, status


def _new_form(match: Match, *, planning: bool) -> MeetingForm:
    if request.method == "POST":
        return MeetingForm()
    data: dict[str, Any] = {"duration_minutes": DEFAULT_MINUTES}
    if match.contact_form is not None:
        data["contact_form"] = str(match.contact_form)
    if not planning:
        data["on"] = services.local_today(match.municipality)
    return MeetingForm(data=data)


@bp.route("/me/matches/<int:match_id>/log", methods=["GET", "POST"])
@api.require_role(MENTOR)
def log_meeting(match_id: int) -> ResponseReturnValue:
    match = _own_match(_mentor_or_404(), match_id)
    form = _new_form(match, planning=False)
    if form.validate_on_submit():
        db = api.db()
        try:
            services.log_meeting(db, match, api.current_user(), form.data_for_service())
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The meeting is logged. Thank you."), "success")
            return _back(f"match-{match_id}")
    return _form_page(form, match, planning=False, status=400 if request.method == "POST" else 200)


@bp.route("/me/matches/<int:match_id>/plan", methods=["GET", "POST"])
@api.require_role(MENTOR)
def plan_meeting(match_id: int) -> ResponseReturnValue:
    match = _own_match(_mentor_or_404(), match_id, (MatchStatus.ACTIVE,))
    form = _new_form(match, planning=True)
    if form.validate_on_submit():
        db = api.db()
        try:
            services.plan_meeting(db, match, api.current_user(), form.data_for_service())
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The meeting is planned. It is in your calendar too."), "success")
            return _back("next-meetings")
    return _form_page(form, match, planning=True, status=400 if request.method == "POST" else 200)


@bp.route("/me/meetings/<int:meeting_id>/log", methods=["GET", "POST"])
@api.require_role(MENTOR)
def log_planned(meeting_id: int) -> ResponseReturnValue:
    meeting = _own_meeting(_mentor_or_404(), meeting_id)
    if meeting.held:
        flash(_("This meeting is logged already."), "info")
        return _back()
    match = meeting.match
    if request.method == "POST":
        form = MeetingForm()
    else:
        form = MeetingForm(
            data={
                "on": meeting.on,
                "at": meeting.at,
                "duration_minutes": meeting.duration_minutes,
                "contact_form": str(meeting.contact_form),
                "note": meeting.note,
            }
        )
    if form.validate_on_submit():
        db = api.db()
        try:
            services.log_meeting(db, match, api.current_user(), form.data_for_service(), planned=meeting)
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "on")
        else:
            flash(_("The meeting is logged. Thank you."), "success")
            return _back(f"match-{match.id}")
    return _form_page(
        form, match, planning=False, meeting=meeting, status=400 if request.method == "POST" else 200
    )


@bp.route("/me/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@api.require_role(MENTOR)
def cancel_meeting(meeting_id: int) -> ResponseReturnValue:
    meeting = _own_meeting(_mentor_or_404(), meeting_id)
    if meeting.held:
        flash(_("This meeting is logged already."), "info")
        return _back()
    match = meeting.match
    form = ConfirmForm()
    if form.validate_on_submit():
        db = api.db()
        try:
            services.cancel_meeting(db, meeting, api.current_user())
        except MentorError as err:  # logged meanwhile
            db.session.rollback()
            flash(err.message, "warning")
        else:
            flash(_("The meeting is called off. It leaves your calendar too."), "success")
        return _back("next-meetings")
    name = _citizen_name(match)
    _audit_shown(api.db(), [match.citizen_id])
    return render_template("mentors/me/cancel.html", form=form, meeting=meeting, name=name)


# --- the calendar link -----------------------------------------------------------------------------------


@bp.route("/me/calendar-link", methods=["GET", "POST"])
@api.require_role(MENTOR)
def calendar_link() -> ResponseReturnValue:
    """GET: make sure (a new link stops the old one). POST: make the link and show it on the page, once."""
    mentor = _mentor()
    if mentor is None:
        return _back()
    form = ConfirmForm()
    if form.validate_on_submit():
        return _home(mentor, links=api.new_calendar_link(api.current_user()))
    return render_template(
        "calendar/new_link.html",
        form=form,
        has_link=api.has_calendar_link(api.current_user()),
        back_url=url_for("mentors_me.home", _anchor="calendar"),
        back_label=_("My mentees"),
    )
