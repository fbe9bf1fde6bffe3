"""The coordinator's pages for a citizen's wishes and matches, and the follow-up overview: record what
a citizen wishes from a mentor, see the ranked mentors (a suggestion: the coordinator decides), propose
one, take the match from proposed to active (both agreed) to paused or ended, log and plan its meetings;
and the citizen page's panel and the start page's worklist notice.

Every page is for a municipality's admins and coordinators (on the pool's blueprint), reads rows only
through `api.scoped` / `api.get_scoped_or_404` (another municipality's ids answer 404), writes only
through `services`, and logs which citizen's data it showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.mentors import matching, services
from broen.plugins.mentors.blueprint import STAFF, bp
from broen.plugins.mentors.match_forms import (
    MATCH_STATUSES,
    OTHER,
    ActivateForm,
    AgreeForm,
    EndForm,
    ProposeForm,
    SharedForm,
    WishesForm,
    frequency_words,
    prefix_ids,
)
from broen.plugins.mentors.meeting_forms import MeetingForm
from broen.plugins.mentors.models import CitizenWishes, Match, MatchStatus, Meeting, Mentor
from broen.plugins.mentors.services import MentorError, _
from broen.plugins.mentors.staff_forms import (
    ConfirmForm,
    availability_mask,
    contact_forms_mask,
    contact_label,
)

#: Logged meetings on one page of a match.
MEETINGS_PER_PAGE = 10
#: Mentors on one page of the overview's list of mentors over capacity or idle.
LOADS_PER_PAGE = 25


local_date = api.local_date


@bp.context_processor
def _match_helpers() -> dict[str, Any]:
    return {
        "match_statuses": MATCH_STATUSES,
        "frequency_words": frequency_words,
        "contact_label": lambda value: contact_label(value) or "—",
        "local_day": lambda moment: local_date(moment, api.current_municipality()),
    }


def _audit_view(citizen_id: int, what: str, **details: Any) -> None:
    """A "view" entry for the citizen whose data the page shows, committed."""
    db = api.db()
    api.audit.record(db, "view", "citizen", citizen_id, by=api.current_user(), what=what, **details)
    db.session.commit()


def citizen_matches(db: api.Database, citizen: api.Citizen, *, current_only: bool = False) -> list[Match]:
    """The citizen's matches, newest first, each with its mentor (one query); `current_only` leaves
    out the ended ones."""
    stmt = (
        api.scoped(Match)
        .where(Match.citizen_id == citizen.id)
        .options(joinedload(Match.mentor))
        .order_by(Match.created_at.desc(), Match.id.desc())
    )
    if current_only:
        stmt = stmt.where(Match.status != MatchStatus.ENDED)
    return list(db.session.scalars(stmt))


# --- a citizen's wishes and the ranked mentors -----------------------------------------------------------


def _citizen_page(
    citizen: api.Citizen, form: WishesForm | None = None, status: int = 200
) -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    wishes = services.wishes_of(db, citizen, api.current_user())
    if form is None:
        form = WishesForm(formdata=None)
        if wishes is not None:
            form.fill(wishes)
    candidates: list[matching.Candidate] = []
    if wishes is not None:
        limit = api.plugin_settings(services.NAME, municipality)["candidates_shown"]
        candidates = matching.rank(db, municipality, wishes, limit=limit)
    return render_template(
        "mentors/citizen.html",
        citizen=citizen,
        wishes=wishes,
        form=form,
        candidates=candidates,
        matches=citizen_matches(db, citizen),
    ), status


@bp.route("/citizens/<int:citizen_id>")
@api.require_role(*STAFF)
def citizen(citizen_id: int) -> ResponseReturnValue:
    return _citizen_page(api.get_scoped_or_404(api.db(), api.Citizen, citizen_id))


@bp.route("/citizens/<int:citizen_id>/wishes", methods=["POST"])
@api.require_role(*STAFF)
def save_wishes(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = WishesForm()
    if form.validate_on_submit():
        try:
            services.set_wishes(
                db,
                citizen,
                api.current_user(),
                interests=form.interests.data or "",
                contact_forms=contact_forms_mask(form.contact_forms.data or []),
                area=form.area.data or "",
                availability=availability_mask(form.availability.data or []),
                note=form.note.data or "",
            )
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "interests")
        else:
            flash(_("The citizen's wishes are saved."), "success")
            return redirect(url_for("mentors.citizen", citizen_id=citizen_id, _anchor="candidates"))
    return _citizen_page(citizen, form, 400)


@bp.route("/citizens/<int:citizen_id>/propose", methods=["POST"])
@api.require_role(*STAFF)
def propose(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    citizen = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = ProposeForm()
    if not form.validate_on_submit():
        abort(400)
    mentor = api.get_scoped_or_404(db, Mentor, form.mentor_id.data)
    name = mentor.name
    try:
        match = services.propose(db, mentor, citizen, api.current_user())
    except MentorError as err:
        flash(err.message, "error")
        return redirect(url_for("mentors.citizen", citizen_id=citizen_id, _anchor="candidates"))
    flash(
        _("%(name)s is proposed as mentor. Ask the citizen and the mentor whether they agree.")
        % {"name": name},
        "success",
    )
    return redirect(url_for("mentors.match", match_id=match.id))


# --- a match ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedMeeting:
    meeting: Meeting
    #: Who logged it (None: unknown, e.g. the account is gone).
    logged_by: str | None


def _match_or_404(match_id: int) -> Match:
    """The municipality's match, with its mentor and citizen (one query), or 404."""
    match = api.db().session.scalar(
        api.scoped(Match)
        .where(Match.id == match_id)
        .options(joinedload(Match.mentor), joinedload(Match.citizen))
    )
    if match is None:
        abort(404)
    return match


def _meeting_defaults(match: Match, **data: Any) -> dict[str, Any]:
    return {
        "duration_minutes": 60,
        "contact_form": str(match.contact_form) if match.contact_form else None,
        **data,
    }


def _log_form(match: Match, posted: bool = False) -> MeetingForm:
    if posted:
        return prefix_ids(MeetingForm(), "log")
    today = services.local_today(api.current_municipality())
    return prefix_ids(MeetingForm(formdata=None, data=_meeting_defaults(match, on=today)), "log")


def _plan_form(match: Match, posted: bool = False) -> MeetingForm:
    form = MeetingForm() if posted else MeetingForm(formdata=None, data=_meeting_defaults(match))
    form.at.flags.required = True  # a planned meeting needs its time (`services` says so if it is missing)
    return prefix_ids(form, "plan")


def _match_page(
    match: Match,
    *,
    problem: str | None = None,
    activate_form: ActivateForm | None = None,
    shared_form: SharedForm | None = None,
    log_form: MeetingForm | None = None,
    plan_form: MeetingForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    planned = list(
        db.session.scalars(
            api.scoped(Meeting)
            .where(Meeting.match_id == match.id, Meeting.held.is_(False))
            .order_by(Meeting.on, Meeting.at, Meeting.id)
        )
    )
    logged = api.paginate(
        db,
        api.scoped(Meeting)
        .add_columns(api.User.name)
        .outerjoin(api.User, api.User.id == Meeting.logged_by_id)
        .where(Meeting.match_id == match.id, Meeting.held.is_(True))
        .order_by(Meeting.on.desc(), Meeting.id.desc()),
        api.requested_page(),
        per_page=MEETINGS_PER_PAGE,
        item=LoggedMeeting,
    )
    _audit_view(match.citizen_id, "mentors_match", match_id=match.id)
    return render_template(
        "mentors/match.html",
        match=match,
        mentor=match.mentor,
        citizen=match.citizen,
        created=local_date(match.created_at, municipality),
        started=local_date(match.started_at, municipality),
        citizen_agreed=local_date(match.citizen_agreed_at, municipality),
        mentor_agreed=local_date(match.mentor_agreed_at, municipality),
        planned=planned,
        logged=logged,
        problem=problem,
        activate_form=activate_form
        if activate_form is not None
        else ActivateForm(formdata=None, data={"shared": match.shared}),
        shared_form=shared_form
        if shared_form is not None
        else SharedForm(formdata=None, data={"shared": match.shared}),
        log_form=log_form if log_form is not None else _log_form(match),
        plan_form=plan_form if plan_form is not None else _plan_form(match),
    ), status


def _on_form(form: Any, err: MentorError, field: str | None = None) -> str | None:
    """Put a service's message on the form field it names (or `field`); the message back if the form has
    no such field (it is then shown above the forms)."""
    name = field or err.field
    if name in form:
        form[name].errors = [*form[name].errors, err.message]
        return None
    return err.message


def _to_match(match_id: int, anchor: str | None = None) -> ResponseReturnValue:
    return redirect(url_for("mentors.match", match_id=match_id, _anchor=anchor))


@bp.route("/matches/<int:match_id>")
@api.require_role(*STAFF)
def match(match_id: int) -> ResponseReturnValue:
    return _match_page(_match_or_404(match_id))


@bp.route("/matches/<int:match_id>/agree", methods=["POST"])
@api.require_role(*STAFF)
def agree(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    form = AgreeForm()
    if not form.validate_on_submit():
        abort(400)
    party = form.party.data
    try:
        services.agree(db, match, api.current_user(), party)
    except MentorError as err:
        db.session.rollback()
        return _match_page(match, problem=err.message, status=400)
    if party == services.CITIZEN:
        flash(_("Recorded: the citizen agreed."), "success")
    else:
        flash(_("Recorded: the mentor agreed."), "success")
    return _to_match(match_id, "agreement")


@bp.route("/matches/<int:match_id>/activate", methods=["POST"])
@api.require_role(*STAFF)
def activate(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    form = ActivateForm()
    problem = None
    if form.validate_on_submit():
        days = form.days()
        if days is None:
            form.other_days.errors = [*form.other_days.errors, _("Write the number of days, e.g. 21.")]
        else:
            try:
                services.activate(
                    db,
                    match,
                    api.current_user(),
                    frequency_days=days,
                    contact_form=int(form.contact_form.data),
                    shared=form.shared.data or "",
                )
            except MentorError as err:
                db.session.rollback()
                other = err.field == "frequency_days" and form.frequency_days.data == OTHER
                problem = _on_form(form, err, "other_days" if other else None)
            else:
                flash(
                    _("The match is active. The mentor can now see what the citizen agreed to share."),
                    "success",
                )
                return _to_match(match_id)
    return _match_page(match, problem=problem, activate_form=form, status=400)


@bp.route("/matches/<int:match_id>/pause", methods=["POST"])
@api.require_role(*STAFF)
def pause(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.pause(db, match, api.current_user())
    except MentorError as err:
        db.session.rollback()
        return _match_page(match, problem=err.message, status=400)
    flash(_("The match is paused. The mentor's place is free meanwhile."), "success")
    return _to_match(match_id)


@bp.route("/matches/<int:match_id>/resume", methods=["POST"])
@api.require_role(*STAFF)
def resume(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.resume(db, match, api.current_user())
    except MentorError as err:
        # `resume` rolled back already; read the match again for the page.
        return _match_page(_match_or_404(match_id), problem=err.message, status=400)
    flash(_("The match is active again."), "success")
    return _to_match(match_id)


@bp.route("/matches/<int:match_id>/shared", methods=["POST"])
@api.require_role(*STAFF)
def save_shared(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    form = SharedForm()
    problem = None
    if form.validate_on_submit():
        try:
            changed = services.set_shared(db, match, api.current_user(), form.shared.data or "")
        except MentorError as err:
            db.session.rollback()
            problem = _on_form(form, err)
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return _to_match(match_id, "shared")
    return _match_page(match, problem=problem, shared_form=form, status=400)


@bp.route("/matches/<int:match_id>/meetings/log", methods=["POST"])
@api.require_role(*STAFF)
def log_meeting(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    form = _log_form(match, posted=True)
    problem = None
    if form.validate_on_submit():
        try:
            services.log_meeting(db, match, api.current_user(), form.data_for_service())
        except MentorError as err:
            db.session.rollback()
            problem = _on_form(form, err)
        else:
            flash(_("The meeting is logged."), "success")
            return _to_match(match_id, "meetings")
    return _match_page(match, problem=problem, log_form=form, status=400)


@bp.route("/matches/<int:match_id>/meetings/plan", methods=["POST"])
@api.require_role(*STAFF)
def plan_meeting(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    form = _plan_form(match, posted=True)
    problem = None
    if form.validate_on_submit():
        try:
            services.plan_meeting(db, match, api.current_user(), form.data_for_service())
        except MentorError as err:
            db.session.rollback()
            problem = _on_form(form, err)
        else:
            flash(_("The meeting is planned."), "success")
            return _to_match(match_id, "planned")
    return _match_page(match, problem=problem, plan_form=form, status=400)


@bp.route("/matches/<int:match_id>/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
@api.require_role(*STAFF)
def cancel_meeting(match_id: int, meeting_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    meeting = db.session.scalar(
        api.scoped(Meeting).where(
            Meeting.id == meeting_id, Meeting.match_id == match.id, Meeting.held.is_(False)
        )
    )
    if meeting is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_meeting(db, meeting, api.current_user())
        except MentorError as err:
            db.session.rollback()
            flash(err.message, "warning")
        else:
            flash(_("The meeting is called off."), "success")
        return _to_match(match_id, "planned")
    _audit_view(match.citizen_id, "mentors_meeting", match_id=match.id, meeting_id=meeting.id)
    return render_template("mentors/meeting_cancel.html", form=form, match=match, meeting=meeting)


@bp.route("/matches/<int:match_id>/end", methods=["GET", "POST"])
@api.require_role(*STAFF)
def end(match_id: int) -> ResponseReturnValue:
    db = api.db()
    match = _match_or_404(match_id)
    if match.status == MatchStatus.ENDED:
        flash(_("The match has already ended."), "info")
        return _to_match(match_id)
    form = EndForm()
    if form.validate_on_submit():
        try:
            services.end(db, match, api.current_user(), form.end_reason.data or "")
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "end_reason")
        else:
            flash(_("The match is ended."), "success")
            return _to_match(match_id)
    _audit_view(match.citizen_id, "mentors_match", match_id=match.id)
    status = 400 if request.method == "POST" else 200
    return render_template("mentors/match_end.html", form=form, match=match), status


# --- the follow-up overview ------------------------------------------------------------------------------


@bp.route("/overview")
@api.require_role(*STAFF)
def overview() -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    overdue = services.overdue_matches(db, municipality)
    loads = services.mentor_loads(db, municipality)
    per_page = LOADS_PER_PAGE
    pages = max(1, -(-len(loads) // per_page))
    number = min(api.requested_page(), pages)
    page = api.Page(loads[(number - 1) * per_page : number * per_page], len(loads), number, per_page)
    if overdue:  # the page names these citizens
        api.audit.record_each(
            db, "view", "citizen", [o.match.citizen_id for o in overdue], what="mentors_overview"
        )
        db.session.commit()
    return render_template("mentors/overview.html", overdue=overdue, loads=page)


# --- the citizen page's panel and the start page's notice ------------------------------------------------


def citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    """For staff, the "Volunteer mentor" panel: the citizen's current matches and whether their wishes
    are recorded, with a link to the mentor page of the citizen. Two queries."""
    if user.role_in(citizen.municipality_id) not in STAFF:
        return []
    db = api.db()
    current = citizen_matches(db, citizen, current_only=True)
    wishes = db.session.scalar(
        api.scoped(CitizenWishes)
        .where(CitizenWishes.citizen_id == citizen.id)
        .with_only_columns(CitizenWishes.id)
    )
    html = render_template(
        "mentors/_panel.html",
        citizen=citizen,
        matches=current,
        has_wishes=wishes is not None,
        match_statuses=MATCH_STATUSES,
    )
    return [api.CitizenPanel(_("Volunteer mentor"), html, order=40)]


def worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    """For staff, a warning when matches have gone longer without a meeting than agreed."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    overdue = services.overdue_count(api.db(), municipality)
    if not overdue:
        return []
    text = api.ngettext(
        "%(num)d mentor match has gone longer without a meeting than agreed",
        "%(num)d mentor matches have gone longer without a meeting than agreed",
        overdue,
    )
    url = url_for("mentors.overview", municipality=municipality.slug)
    return [api.WorklistItem(str(text), url, "warning")]
