"""The coordinator's pages for relatives, consent and referrals: a citizen's relatives, the form that
records the consent first and then the relative, a relative's page (details, consent, referrals, edit,
withdraw the consent), a referral's page (its dated steps, the letter exactly as it is sent, send it by
e-mail or mark it sent by post, and what happened next), and the overview of the municipality's open
referrals with its CSV export; with the citizen page's panel, the menu entry and the start page's notice.

Every page is for a municipality's admins and coordinators, reads rows only through `api.scoped` /
`api.get_scoped_or_404` (another municipality's ids answer 404), writes only through `services`, and
records in the audit log which relatives' and citizens' data it showed. A relative whose consent was
withdrawn is shown only as "<relation>, consent withdrawn on <date>": their details are gone.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from broen import api
from broen.plugins.relatives import letters, services
from broen.plugins.relatives.blueprint import STAFF, bp
from broen.plugins.relatives.letters import CONSENT_FORMS, KINDS, RELATIONS, STATUSES
from broen.plugins.relatives.models import (
    OPEN_STATUSES,
    GroupCourse,
    Intake,
    Referral,
    ReferralStatus,
    Relative,
)
from broen.plugins.relatives.services import RelativeError, _

_l = api.lazy_gettext

#: The overview's filter value for the referrals in progress (the default).
OPEN = "open"
#: The kind of record a municipality's own fields are added to (`broen_field_targets`).
FIELD_TARGET = "relatives_referral"


# --- words and helpers for the templates -----------------------------------------------------------------


local_date = api.local_date


def relative_label(relative: Relative, municipality: api.Municipality) -> str:
    """How a relative is named on a page or in an export: "Name (Parent)", or, once the consent is
    withdrawn, "Parent, consent withdrawn on 3 May 2026" (their name is gone)."""
    relation = str(RELATIONS[relative.relation])
    if relative.consented:
        return f"{relative.name} ({relation})"
    withdrawn = local_date(relative.withdrawn_at, municipality)
    return _(
        "%(relation)s, consent withdrawn on %(date)s",
        relation=relation,
        date=api.format_date(withdrawn) if withdrawn else "",
    )


def endpoint_url(endpoint: str, **values: Any) -> str | None:
    """The URL of another module's page of this plugin, or None while that page does not exist."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "relations": RELATIONS,
        "consent_forms": CONSENT_FORMS,
        "referral_kinds": KINDS,
        "referral_statuses": STATUSES,
        "open_statuses": OPEN_STATUSES,
        "relative_label": lambda relative: relative_label(relative, api.current_municipality()),
        "local_day": lambda moment: local_date(moment, api.current_municipality()),
        "letter_paragraphs": lambda text: [p.split("\n") for p in text.strip().split("\n\n")],
    }


def _audit_view(
    object_type: str,
    object_id: int,
    citizen_id: int,
    *,
    relative_ids: list[int] | None = None,
    **details: Any,
) -> None:
    """ "view" entries for the record the page shows, the citizen it concerns and the relatives it names;
    committed."""
    db = api.db()
    by = api.current_user()
    api.audit.record(db, "view", object_type, object_id, by=by, **details)
    if object_type != "citizen":
        api.audit.record(db, "view", "citizen", citizen_id, by=by, what=object_type, **details)
    if relative_ids:
        api.audit.record_each(db, "view", services.RELATIVE, relative_ids, by=by, citizen_id=citizen_id)
    db.session.commit()


def _today() -> date:
    return services.local_today(api.current_municipality())


# --- forms -----------------------------------------------------------------------------------------------


class ConsentFields(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The citizen's consent for one relative; the first part of the new-relative form."""

    consent_given_on = DateField(
        _l("The day the citizen gave their consent"),
        validators=[
            InputRequired(_l("Write the day the citizen gave their consent. The consent comes first."))
        ],
    )
    consent_form = RadioField(
        _l("How the citizen gave it"),
        choices=[SelectChoice(f.value, label) for f, label in CONSENT_FORMS.items()],
        validators=[InputRequired(_l("Choose whether the consent was given orally or in writing."))],
    )
    share_with_relative = BooleanField(_l("You may talk with the relative about the citizen"))
    refer_to_counselling = BooleanField(_l("The relative may be referred to counselling"))
    share_citizen_name = BooleanField(_l("A referral may name the citizen"))
    share_situation = BooleanField(_l("A referral may say a little about the situation"))

    def consent(self) -> services.ConsentData:
        return services.ConsentData(
            given_on=self.consent_given_on.data,
            form=self.consent_form.data,
            share_with_relative=bool(self.share_with_relative.data),
            refer_to_counselling=bool(self.refer_to_counselling.data),
            share_citizen_name=bool(self.share_citizen_name.data),
            share_situation=bool(self.share_situation.data),
        )

    def fill_consent(self, relative: Relative) -> None:
        self.consent_given_on.data = relative.consent_given_on
        self.consent_form.data = relative.consent_form.value
        for flag in services.CONSENT_FLAGS:
            self[flag].data = getattr(relative, flag)


#: What each tick box of the consent means, in plain words: with whom, what.
CONSENT_HINTS = {
    "share_with_relative": _l(
        "With the relative: you may tell them how the citizen's course is going, and listen to them."
    ),
    "refer_to_counselling": _l(
        "With the counselling service: the relative's name, relation, e-mail and phone are sent there, so "
        "that they can offer the relative conversations or a course."
    ),
    "share_citizen_name": _l("With the counselling service: the referral says who the citizen is."),
    "share_situation": _l(
        "With the counselling service: the referral carries your short note on the citizen's situation."
    ),
}


class DetailsFields(FlaskForm):  # type: ignore[misc]
    """A relative's details."""

    name = StringField(_l("The relative's name"), validators=[DataRequired(_l("Write the relative's name."))])
    relation = RadioField(
        _l("How they are close to the citizen"),
        choices=[SelectChoice(r.value, label) for r, label in RELATIONS.items()],
        validators=[InputRequired(_l("Choose how the relative is close to the citizen."))],
    )
    email = StringField(_l("E-mail"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional()])
    note = TextAreaField(_l("Note about the relative"), validators=[Optional()])

    def details(self) -> services.RelativeData:
        return services.RelativeData(
            name=self.name.data or "",
            relation=self.relation.data or "",
            email=self.email.data or "",
            phone=self.phone.data or "",
            note=self.note.data or "",
        )

    def fill_details(self, relative: Relative) -> None:
        self.name.data = relative.name
        self.relation.data = relative.relation.value
        self.email.data = relative.email
        self.phone.data = relative.phone
        self.note.data = relative.note


class NewRelativeForm(ConsentFields, DetailsFields):
    """The consent first, then the relative."""


ConfirmForm = api.ConfirmForm


class ReferForm(FlaskForm):  # type: ignore[misc]
    kind = RadioField(
        _l("What the relative is referred to"),
        choices=[SelectChoice(k.value, label) for k, label in KINDS.items()],
        validators=[InputRequired(_l("Choose what the relative is referred to."))],
    )
    course_id = SelectField(_l("Course"), choices=[], validate_choice=False)
    situation = TextAreaField(_l("A short note on the situation"), validators=[Optional()])

    def set_courses(self, courses: list[GroupCourse]) -> None:
        self.course_id.choices = [SelectChoice("", _("No particular course"))] + [
            SelectChoice(str(c.id), f"{c.title} ({KINDS[c.kind]})") for c in courses
        ]

    def course(self) -> int | None:
        value = self.course_id.data or ""
        return int(value) if str(value).isdigit() else None


class ReferralFieldsForm(FlaskForm):  # type: ignore[misc]
    """A referral's own fields of the municipality (`api.extra_form` adds them), on a page of their own:
    a referral has no other form to edit it with (the intake form of the public creates many of them)."""


class PostedForm(FlaskForm):  # type: ignore[misc]
    sent_on = DateField(_l("Sent by post on"), validators=[InputRequired(_l("Choose the date."))])


class StatusForm(FlaskForm):  # type: ignore[misc]
    status = SelectField(_l("What happened"), choices=[], validate_choice=False)
    on = DateField(_l("On"), validators=[InputRequired(_l("Choose the date."))])
    reason = StringField(_l("Why"), validators=[Optional()])

    def set_choices(self, referral: Referral) -> None:
        words = {
            ReferralStatus.ACCEPTED: _l("The counselling service accepted it"),
            ReferralStatus.COMPLETED: _l("The relative completed the counselling"),
            ReferralStatus.DECLINED: _l("Declined (by the service or the relative)"),
            ReferralStatus.WITHDRAWN: _l("Withdrawn (the referral stops)"),
        }
        self.status.choices = [SelectChoice(s.value, words[s]) for s in services.TRANSITIONS[referral.status]]


# --- menu, panel, start page -----------------------------------------------------------------------------


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The "Relatives" menu entry (the overview of referrals), for staff."""
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(_("Relatives"), "relatives.index", order=45)]
    return []


def citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    """For staff, the "Relatives and network" panel: the citizen's relatives (withdrawn ones as a dated
    line without details) and their referrals in progress, with a link to the citizen's relatives page.
    Two queries, and the audit entries for the relatives it names."""
    if user.role_in(citizen.municipality_id) not in STAFF:
        return []
    db = api.db()
    relatives = list(
        db.session.scalars(
            select(Relative)
            .where(Relative.citizen_id == citizen.id, Relative.municipality_id == citizen.municipality_id)
            .order_by(Relative.withdrawn_at.is_not(None), Relative.id)
        )
    )
    referrals: list[Referral] = []
    if relatives:
        referrals = list(
            db.session.scalars(
                select(Referral)
                .where(
                    Referral.relative_id.in_([r.id for r in relatives]),
                    Referral.status.in_(OPEN_STATUSES),
                )
                .order_by(Referral.proposed_on, Referral.id)
            )
        )
        shown = [r.id for r in relatives if r.consented]
        if shown:
            api.audit.record_each(db, "view", services.RELATIVE, shown, by=user, citizen_id=citizen.id)
            db.session.commit()
    municipality = citizen.municipality
    html = render_template(
        "relatives/_staff_panel.html",
        citizen=citizen,
        relatives=relatives,
        labels={r.id: relative_label(r, municipality) for r in relatives},
        referrals=referrals,
        referral_kinds=KINDS,
        referral_statuses=STATUSES,
    )
    return [api.CitizenPanel(_("Relatives and network"), html, order=50)]


def worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    """For staff, a notice when referrals were proposed more than a week ago and are still not sent."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    waiting = services.unsent_count(api.db(), municipality)
    if not waiting:
        return []
    text = api.ngettext(
        "%(num)d referral of a relative was proposed more than a week ago and is not sent yet",
        "%(num)d referrals of relatives were proposed more than a week ago and are not sent yet",
        waiting,
    )
    url = url_for("relatives.index", municipality=municipality.slug, status=ReferralStatus.PROPOSED.value)
    return [api.WorklistItem(str(text), url, "warning")]


# --- a citizen's relatives -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelativeRow:
    relative: Relative
    in_progress: int


@bp.route("/citizens/<int:citizen_id>")
@api.require_role(*STAFF)
def citizen(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    relatives = list(
        db.session.scalars(
            api.scoped(Relative)
            .where(Relative.citizen_id == found.id)
            .options(joinedload(Relative.referrals))
            .order_by(Relative.withdrawn_at.is_not(None), Relative.id)
        ).unique()
    )
    rows = [RelativeRow(r, sum(1 for f in r.referrals if f.status in OPEN_STATUSES)) for r in relatives]
    _audit_view(
        "citizen",
        found.id,
        found.id,
        relative_ids=[r.id for r in relatives if r.consented],
        what="relatives_citizen",
    )
    return render_template("relatives/staff_citizen.html", citizen=found, rows=rows)


def _intake_prefill(form: NewRelativeForm, citizen_id: int) -> Intake | None:
    """Fill the relative's details from the referral (`?intake=<id>`) that brought the citizen in."""
    value = request.args.get("intake", "")
    if not value.isdigit():
        return None
    intake = api.db().session.scalar(api.scoped(Intake).where(Intake.id == int(value)))
    if intake is None or intake.citizen_id not in (None, citizen_id):
        abort(404)
    if intake.about_self:  # the person referred themself: there is no relative to fill in
        return None
    form.name.data = intake.referrer_name
    form.relation.data = intake.relation.value if intake.relation is not None else None
    form.email.data = intake.referrer_email
    form.phone.data = intake.referrer_phone
    api.audit.record(
        api.db(), "view", "relatives_intake", intake.id, by=api.current_user(), what="relative_prefill"
    )
    api.db().session.commit()
    return intake


@bp.route("/citizens/<int:citizen_id>/new", methods=["GET", "POST"])
@api.require_role(*STAFF)
def new_relative(citizen_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, api.Citizen, citizen_id)
    form = NewRelativeForm()
    intake = None
    if request.method == "GET":
        form.consent_given_on.data = _today()
        intake = _intake_prefill(form, found.id)
    if form.validate_on_submit():
        try:
            relative = services.add_relative(db, found, api.current_user(), form.consent(), form.details())
        except RelativeError as err:
            db.session.rollback()
            api.field_error(form, err, "name")
        else:
            flash(_("The relative and the citizen's consent are recorded."), "success")
            return redirect(url_for("relatives.relative", relative_id=relative.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "relatives/staff_new.html", form=form, citizen=found, intake=intake, hints=CONSENT_HINTS
    ), status


# --- a relative ------------------------------------------------------------------------------------------


def _relative_or_404(relative_id: int) -> Relative:
    """The municipality's relative, with their citizen (one query), or 404."""
    found = api.db().session.scalar(
        api.scoped(Relative).where(Relative.id == relative_id).options(joinedload(Relative.citizen))
    )
    if found is None:
        abort(404)
    return found


@bp.route("/<int:relative_id>")
@api.require_role(*STAFF)
def relative(relative_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _relative_or_404(relative_id)
    referrals = list(
        db.session.scalars(
            api.scoped(Referral)
            .where(Referral.relative_id == found.id)
            .options(joinedload(Referral.course))
            .order_by(Referral.id.desc())
        )
    )
    recorded_by = (
        db.session.get(api.User, found.consent_recorded_by_id) if found.consent_recorded_by_id else None
    )
    _audit_view(services.RELATIVE, found.id, found.citizen_id)
    return render_template(
        "relatives/staff_relative.html",
        relative=found,
        citizen=found.citizen,
        referrals=referrals,
        recorded_by=recorded_by,
        hints=CONSENT_HINTS,
    )


def _back_to_relative(found: Relative, message: str) -> ResponseReturnValue:
    flash(message, "info")
    return redirect(url_for("relatives.relative", relative_id=found.id))


def _withdrawn_to_page(found: Relative) -> ResponseReturnValue | None:
    """Back to the relative's page, saying why, once the consent is withdrawn (None while it holds)."""
    if found.consented:
        return None
    return _back_to_relative(
        found, _("The consent was withdrawn. Nothing more can be recorded about this relative.")
    )


@bp.route("/<int:relative_id>/edit", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_relative(relative_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _relative_or_404(relative_id)
    stop = _withdrawn_to_page(found)
    if stop is not None:
        return stop
    form = DetailsFields()
    if request.method == "GET":
        form.fill_details(found)
        _audit_view(services.RELATIVE, found.id, found.citizen_id, page="edit")
    if form.validate_on_submit():
        try:
            changed = services.update_relative(db, found, api.current_user(), form.details())
        except RelativeError as err:
            db.session.rollback()
            if err.field == "consent":
                return _back_to_relative(found, err.message)
            api.field_error(form, err, "name")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("relatives.relative", relative_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "relatives/staff_edit.html", form=form, relative=found, citizen=found.citizen
    ), status


@bp.route("/<int:relative_id>/consent", methods=["GET", "POST"])
@api.require_role(*STAFF)
def edit_consent(relative_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _relative_or_404(relative_id)
    stop = _withdrawn_to_page(found)
    if stop is not None:
        return stop
    form = ConsentFields()
    if request.method == "GET":
        form.fill_consent(found)
        _audit_view(services.RELATIVE, found.id, found.citizen_id, page="consent")
    if form.validate_on_submit():
        try:
            change = services.update_consent(db, found, api.current_user(), form.consent())
        except RelativeError as err:
            if err.field == "consent":
                return _back_to_relative(found, err.message)
            api.field_error(form, err, "consent_given_on")
        else:
            if not change.fields:
                flash(_("Nothing was changed."), "success")
            elif change.stopped:
                flash(
                    api.ngettext(
                        "The consent is changed. %(num)d referral in progress is stopped.",
                        "The consent is changed. %(num)d referrals in progress are stopped.",
                        change.stopped,
                    ),
                    "success",
                )
            else:
                flash(_("The consent is changed."), "success")
            return redirect(url_for("relatives.relative", relative_id=found.id))
    status = 400 if request.method == "POST" else 200
    open_referrals = sum(1 for r in found.referrals if r.status in OPEN_STATUSES)
    return render_template(
        "relatives/staff_consent.html",
        form=form,
        relative=found,
        citizen=found.citizen,
        hints=CONSENT_HINTS,
        open_referrals=open_referrals,
    ), status


@bp.route("/<int:relative_id>/withdraw", methods=["GET", "POST"])
@api.require_role(*STAFF)
def withdraw(relative_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _relative_or_404(relative_id)
    stop = _withdrawn_to_page(found)
    if stop is not None:
        return stop
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            stopped = services.withdraw_consent(db, found, api.current_user())
        except RelativeError as err:
            flash(err.message, "info")
        else:
            flash(
                api.ngettext(
                    "The consent is withdrawn and the relative's details are erased. %(num)d referral in "
                    "progress is stopped.",
                    "The consent is withdrawn and the relative's details are erased. %(num)d referrals in "
                    "progress are stopped.",
                    stopped,
                ),
                "success",
            )
        return redirect(url_for("relatives.relative", relative_id=relative_id))
    stopping = [r for r in found.referrals if r.status in OPEN_STATUSES]
    _audit_view(services.RELATIVE, found.id, found.citizen_id, page="withdraw")
    return render_template(
        "relatives/staff_withdraw.html", form=form, relative=found, citizen=found.citizen, stopping=stopping
    )


@bp.route("/<int:relative_id>/refer", methods=["GET", "POST"])
@api.require_role(*STAFF)
def refer(relative_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _relative_or_404(relative_id)
    problem = None
    try:
        services.check_may_refer(found)
    except RelativeError as err:
        problem = err.message
    form = api.extra_form(ReferForm, FIELD_TARGET)
    form.set_courses(
        list(db.session.scalars(api.scoped(GroupCourse).order_by(GroupCourse.title, GroupCourse.id)))
    )
    if problem is None and form.validate_on_submit():
        try:
            referral = services.propose_referral(
                db,
                found,
                api.current_user(),
                form.kind.data or "",
                situation=form.situation.data or "",
                course_id=form.course(),
                commit=False,
            )
            api.save_extras(db, form, FIELD_TARGET, referral.id)
            db.session.commit()
        except (RelativeError, api.ExtraFieldError) as err:
            db.session.rollback()
            api.field_error(form, err, "kind")
        except BaseException:
            db.session.rollback()
            raise
        else:
            flash(_("The referral is proposed. Check the letter, then send it."), "success")
            return redirect(url_for("relatives.referral", referral_id=referral.id))
    if request.method == "GET":
        _audit_view(services.RELATIVE, found.id, found.citizen_id, page="refer")
    status = 400 if request.method == "POST" else 200
    return render_template(
        "relatives/staff_refer.html", form=form, relative=found, citizen=found.citizen, problem=problem
    ), status


# --- a referral ------------------------------------------------------------------------------------------


def _referral_or_404(referral_id: int) -> Referral:
    """The municipality's referral with its relative, citizen and course (one query), or 404."""
    found = api.db().session.scalar(
        api.scoped(Referral)
        .where(Referral.id == referral_id)
        .options(
            joinedload(Referral.relative).joinedload(Relative.citizen),
            joinedload(Referral.course),
        )
    )
    if found is None:
        abort(404)
    return found


def _referral_page(
    found: Referral,
    *,
    problem: str | None = None,
    posted_form: PostedForm | None = None,
    status_form: StatusForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    today = _today()
    letter = None
    if found.status == ReferralStatus.PROPOSED:
        try:
            letter = letters.render(found, api.current_user())
        except RelativeError:
            letter = None
    if posted_form is None:
        posted_form = PostedForm(formdata=None, data={"sent_on": today})
    if status_form is None:
        status_form = StatusForm(formdata=None, data={"on": today})
    status_form.set_choices(found)
    created_by = db_user(found.created_by_id)
    _audit_view(services.REFERRAL, found.id, found.relative.citizen_id, relative_id=found.relative_id)
    facts = api.extra_facts(FIELD_TARGET, found.id)
    return render_template(
        "relatives/staff_referral.html",
        facts=facts,
        referral=found,
        relative=found.relative,
        citizen=found.relative.citizen,
        letter=letter,
        address=services.counselling_address(api.current_municipality()),
        problem=problem,
        posted_form=posted_form,
        status_form=status_form,
        created_by=created_by,
    ), status


def db_user(user_id: int | None) -> api.User | None:
    return api.db().session.get(api.User, user_id) if user_id is not None else None


def _to_referral(referral_id: int) -> ResponseReturnValue:
    return redirect(url_for("relatives.referral", referral_id=referral_id))


@bp.route("/referrals/<int:referral_id>")
@api.require_role(*STAFF)
def referral(referral_id: int) -> ResponseReturnValue:
    return _referral_page(_referral_or_404(referral_id))


@bp.route("/referrals/<int:referral_id>/fields", methods=["GET", "POST"])
@api.require_role(*STAFF)
def referral_fields(referral_id: int) -> ResponseReturnValue:
    """The municipality's own fields of a referral, to fill in or change."""
    db = api.db()
    found = _referral_or_404(referral_id)
    form = api.extra_form(ReferralFieldsForm, FIELD_TARGET, found.id)
    if form.extra_names and form.validate_on_submit():
        try:
            api.save_extras(db, form, FIELD_TARGET, found.id)
            db.session.commit()
        except api.ExtraFieldError as err:
            db.session.rollback()
            found = _referral_or_404(referral_id)
            api.field_error(form, err, form.extra_names[0])
        except BaseException:
            db.session.rollback()
            raise
        else:
            flash(_("The changes are saved."), "success")
            return _to_referral(referral_id)
    if request.method == "GET":
        _audit_view(
            services.REFERRAL,
            found.id,
            found.relative.citizen_id,
            relative_id=found.relative_id,
            page="fields",
        )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "relatives/staff_referral_fields.html",
        form=form,
        referral=found,
        relative=found.relative,
    ), status


@bp.route("/referrals/<int:referral_id>/letter")
@api.require_role(*STAFF)
def letter(referral_id: int) -> ResponseReturnValue:
    """The letter on a page of its own, to print and send by post."""
    found = _referral_or_404(referral_id)
    if found.status != ReferralStatus.PROPOSED:
        flash(_("The letter can be printed only while the referral is proposed."), "info")
        return _to_referral(referral_id)
    try:
        subject, body = letters.render(found, api.current_user())
    except RelativeError as err:
        flash(err.message, "error")
        return _to_referral(referral_id)
    _audit_view(
        services.REFERRAL, found.id, found.relative.citizen_id, relative_id=found.relative_id, page="letter"
    )
    return render_template("relatives/staff_letter.html", referral=found, subject=subject, body=body)


@bp.route("/referrals/<int:referral_id>/send", methods=["POST"])
@api.require_role(*STAFF)
def send(referral_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _referral_or_404(referral_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        address = services.send_referral(db, found, api.current_user())
    except RelativeError as err:
        return _referral_page(_referral_or_404(referral_id), problem=err.message, status=400)
    flash(_("The letter is sent by e-mail to %(address)s.", address=address), "success")
    return _to_referral(referral_id)


@bp.route("/referrals/<int:referral_id>/posted", methods=["POST"])
@api.require_role(*STAFF)
def posted(referral_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _referral_or_404(referral_id)
    form = PostedForm()
    problem = None
    if form.validate_on_submit():
        try:
            services.mark_sent(db, found, api.current_user(), form.sent_on.data)
        except RelativeError as err:
            found = _referral_or_404(referral_id)
            if err.field == "sent_on":
                api.field_error(form, err, "sent_on")
            else:
                problem = err.message
        else:
            flash(_("Recorded: the letter was sent by post."), "success")
            return _to_referral(referral_id)
    return _referral_page(found, problem=problem, posted_form=form, status=400)


@bp.route("/referrals/<int:referral_id>/status", methods=["POST"])
@api.require_role(*STAFF)
def change_status(referral_id: int) -> ResponseReturnValue:
    db = api.db()
    found = _referral_or_404(referral_id)
    form = StatusForm()
    form.set_choices(found)
    if form.validate_on_submit():
        try:
            services.set_status(
                db, found, api.current_user(), form.status.data or "", form.on.data, form.reason.data or ""
            )
        except RelativeError as err:
            db.session.rollback()
            found = _referral_or_404(referral_id)
            api.field_error(form, err, "status")
        else:
            flash(_("The referral is updated."), "success")
            return _to_referral(referral_id)
    return _referral_page(found, status_form=form, status=400)


# --- the overview ----------------------------------------------------------------------------------------


def _status_filter() -> tuple[str, ReferralStatus | None]:
    value = request.args.get("status", OPEN)
    try:
        return value, ReferralStatus(value)
    except ValueError:
        return OPEN, None


@bp.route("/")
@api.require_role(*STAFF)
def index() -> ResponseReturnValue:
    db = api.db()
    municipality = api.current_municipality()
    chosen, status = _status_filter()
    options = api.list_options(FIELD_TARGET)
    overview = services.open_referrals(
        db, municipality, status, page=api.requested_page(), conditions=options.conditions(Referral.id)
    )
    rows = overview.page.items
    if rows:  # the page names these citizens and relatives
        by = api.current_user()
        api.audit.record_each(
            db, "view", "citizen", [r.citizen_id for r in rows], by=by, what="relatives_overview"
        )
        shown = [r.relative.id for r in rows if r.relative.consented]
        if shown:
            api.audit.record_each(db, "view", services.RELATIVE, shown, by=by, what="relatives_overview")
        db.session.commit()
    values = options.values([r.referral.id for r in rows])
    return render_template(
        "relatives/staff_overview.html",
        overview=overview,
        chosen=chosen,
        open_value=OPEN,
        options=options,
        values=values,
        args={**({} if chosen == OPEN else {"status": chosen}), **options.query_args()},
        export_args=options.query_args(),
        intake_url=endpoint_url("relatives.intake"),
        courses_url=endpoint_url("relatives.courses"),
    )


@bp.route("/export.csv")
@api.require_role(*STAFF)
def export() -> ResponseReturnValue:
    """The referrals in progress as CSV for Danish Excel: semicolons, a BOM, no cell Excel would run as a
    formula; relatives whose consent is withdrawn without their details. The overview's filters of the
    municipality's own fields narrow it, and its fields are columns after the others: those that are not
    sensitive, and the sensitive ones chosen in the overview."""
    db = api.db()
    municipality = api.current_municipality()
    options = api.list_options(FIELD_TARGET)
    query = services.referrals_query(municipality, conditions=options.conditions(Referral.id))
    rows = [services.ReferralRow(*row) for row in db.session.execute(query)]
    by = api.current_user()
    details: dict[str, Any] = {"what": "relatives_overview"}
    if options.filters:
        details["extra_filters"] = list(options.filters)
    api.audit.record_each(db, "export", services.REFERRAL, [r.referral.id for r in rows], by=by, **details)
    api.audit.record_each(db, "export", "citizen", [r.citizen_id for r in rows], by=by, **details)
    db.session.commit()
    extra = options.exported()
    values = options.values([r.referral.id for r in rows], extra)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Citizen"),
            _("Relative"),
            _("Referred to"),
            _("Course"),
            _("Status"),
            _("Proposed"),
            _("Sent"),
            _("Accepted"),
            *(api.csv_cell(c.label) for c in extra),
        ]
    )
    for row in rows:
        f = row.referral
        writer.writerow(
            api.csv_cell(v)
            for v in (
                row.citizen_name,
                relative_label(row.relative, municipality),
                KINDS[f.kind],
                f.course.title if f.course is not None else "",
                STATUSES[f.status],
                f.proposed_on.isoformat(),
                f.sent_on.isoformat() if f.sent_on else "",
                f.accepted_on.isoformat() if f.accepted_on else "",
                *(values.get(c.name, {}).get(f.id, "") for c in extra),
            )
        )
    stem = _("referrals")
    filename = f"{stem}-{municipality.slug}-{date.today().isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
