"""Referrals to the programme from the municipality's public page, and the coordinators' intake queue.

A relative (or anyone close; or the person themself) refers someone at
`/<municipality>/public/relatives/refer`, without a log-in: a short form with the minimum, what happens
next, and the consent text. The referral waits in the intake queue (`/<municipality>/relatives/intake`)
until a coordinator accepts it, creating a citizen or linking one, or closes it with a reason. Nothing of it
is ever shown publicly: the receipt page and the receipt e-mail repeat nothing that was typed.

The form is guarded as every public form (`api.public_forms`): CSRF, a honeypot, a signed start time, and
a rate limit (`PER_SOURCE_PER_HOUR` from one address, `PER_MUNICIPALITY_PER_DAY` per municipality); the
address itself is never stored. Referrals are deleted after `KEEP_DAYS`, as the consent text says
(`broen relatives delete-expired-intake`, daily).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Optional

from broen import api
from broen.plugins.relatives.blueprint import NAME, STAFF, bp, public_bp
from broen.plugins.relatives.letters import RELATIONS
from broen.plugins.relatives.models import Intake, IntakeStatus, Relation
from broen.plugins.relatives.services import RelativeError

log = logging.getLogger(__name__)

#: The form's name to the spam guard: it salts the signed start time and the hash of the address.
PURPOSE = "relatives.refer"
#: A post sooner than this many seconds after the form was shown is refused (people take longer).
MIN_SECONDS = api.public_forms.MIN_SECONDS
#: At most this many referrals an hour from one address, and a day to one municipality.
PER_SOURCE_PER_HOUR = 5
PER_MUNICIPALITY_PER_DAY = 100
#: A referral is kept at most this long (the standard consent text says 6 months).
KEEP_DAYS = 183
MAX_NAME = 200
MAX_MESSAGE = 2000
MAX_REASON = 300
#: Who the form refers: "self" (the person themself) or "other" (someone close to the sender).
WHO = ("self", "other")
KNOWS = ("yes", "no", "unsure")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{8,20}$")
INTAKE = "relatives_intake"

_l = api.lazy_gettext


_ = api.gettext


INTAKE_STATUSES = {
    IntakeStatus.NEW: _l("New"),
    IntakeStatus.ACCEPTED: _l("Accepted"),
    IntakeStatus.CLOSED: _l("Closed"),
}
KNOWS_LABELS = {"yes": _l("Yes"), "no": _l("No"), "unsure": _l("I am not sure"), "": "—"}


@bp.context_processor
@public_bp.context_processor
def _labels() -> dict[str, Any]:
    return {"intake_statuses": INTAKE_STATUSES, "knows": KNOWS_LABELS}


# --- the consent text ------------------------------------------------------------------------------------


def standard_consent_text(municipality: api.Municipality) -> str:
    """The consent text used when the municipality has not written its own, in the current language."""
    return "\n\n".join(
        [
            _(
                "When you send this form, %(municipality)s stores what you have written in it, and when you "
                "sent it, in broen, the municipality's system for the programme.",
                municipality=municipality.name,
            ),
            _(
                "Only the municipality's coordinators see it. They use it only to contact you, and the person "
                "you refer, about the programme."
            ),
            _(
                "We delete it when the coordinators have contacted you, and at the latest after 6 months. If the "
                "person joins the programme, what is needed is moved to their record."
            ),
            _(
                "%(municipality)s is responsible for your data. You may at any time withdraw your consent and "
                "ask to see or delete what is stored: tell the coordinators. You may complain to Datatilsynet.",
                municipality=municipality.name,
            ),
        ]
    )


def consent_text(municipality: api.Municipality) -> str:
    """The consent text shown on the form (and stored as shown): the municipality's own, or the standard."""
    own = str(api.plugin_settings(NAME, municipality).get("consent_text") or "")
    return own.replace("\r\n", "\n").strip() or standard_consent_text(municipality)


# --- the services ----------------------------------------------------------------------------------------


@dataclass
class ReferralData:
    """A referral, as the public form gives it."""

    who: str
    referrer_name: str
    consent: bool
    referrer_email: str = ""
    referrer_phone: str = ""
    relation: Relation | str | None = None
    person_name: str = ""
    person_knows: str = ""
    message: str = ""


def _name(value: str, field: str, missing: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise RelativeError(field, missing)
    if len(name) > MAX_NAME:
        raise RelativeError(field, _("The name can be at most 200 characters long."))
    return name


def _clean(data: ReferralData) -> dict[str, Any]:
    if data.who not in WHO:
        raise RelativeError("who", _("Choose whether you refer yourself or someone close to you."))
    about_self = data.who == "self"
    referrer = _name(data.referrer_name, "referrer_name", _("Write your name."))
    email = data.referrer_email.strip()
    phone = " ".join(data.referrer_phone.split())
    if not email and not phone:
        raise RelativeError(
            "referrer_email", _("Write your e-mail address or your phone number, so we can reach you.")
        )
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        raise RelativeError("referrer_email", _("Write a valid e-mail address, e.g. name@example.dk."))
    if phone and not _PHONE.match(phone):
        raise RelativeError("referrer_phone", _("Write a phone number, e.g. 20 30 40 50."))
    relation: Relation | None = None
    person = referrer
    if not about_self:
        try:
            relation = Relation(data.relation or "")
        except ValueError:
            raise RelativeError("relation", _("Choose how you are close to the person.")) from None
        person = _name(data.person_name, "person_name", _("Write the name of the person you refer."))
    knows = data.person_knows if not about_self else "yes"
    if knows not in KNOWS:
        raise RelativeError("person_knows", _("Choose whether the person knows that you contact us."))
    message = data.message.strip()
    if len(message) > MAX_MESSAGE:
        raise RelativeError("message", _("Write at most 2000 characters."))
    if not data.consent:
        raise RelativeError("consent", _("Tick the box to agree, so that we may store what you send."))
    return {
        "about_self": about_self,
        "referrer_name": referrer,
        "referrer_email": email,
        "referrer_phone": phone,
        "relation": relation,
        "person_name": person,
        "person_knows": knows,
        "message": message,
    }


def submit_referral(
    db: api.Database, municipality: api.Municipality, data: ReferralData, *, consent: str, source: str
) -> Intake:
    """Store a referral from the public form in the intake queue, with the consent text shown and now.

    Raises `RelativeError` naming the field on bad input and `api.public_forms.TooMany` past the rate
    limit, checked again under the municipality's row lock (`hold_within_limit`); nothing is stored."""
    values = _clean(data)
    consent = consent.strip()
    if not consent:
        raise RelativeError("consent", _("There is no consent text to agree to."))
    try:
        now = api.public_forms.hold_within_limit(
            db,
            Intake,
            municipality,
            source,
            per_source_per_hour=PER_SOURCE_PER_HOUR,
            per_municipality_per_day=PER_MUNICIPALITY_PER_DAY,
        )
        intake = Intake(
            municipality_id=municipality.id,
            consent_text=consent,
            consent_at=now,
            source=source,
            created_at=now,
            **values,
        )
        db.session.add(intake)
        db.session.flush()
        api.audit.record(db, "create", INTAKE, intake.id, municipality_id=municipality.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return intake


def _lock_new(db: api.Database, intake: Intake) -> Intake:
    """The intake, locked and read afresh; `RelativeError` if someone handled it meanwhile."""
    intake_id = intake.id
    api.lock_row(db, Intake, intake_id)
    found = db.session.get_one(Intake, intake_id, populate_existing=True)
    if found.status != IntakeStatus.NEW:
        raise RelativeError("status", _("Someone else has handled this referral meanwhile."))
    return found


def accept(
    db: api.Database, intake: Intake, by: api.User | None, *, citizen_id: int | None = None
) -> api.Citizen:
    """Accept a referral: link it to the municipality's citizen `citizen_id`, or (None) to a new citizen
    with the person's name (and, when they referred themself, their e-mail and phone). One transaction,
    under the intake's lock (two coordinators may press at once)."""
    try:
        found = _lock_new(db, intake)
        municipality = db.session.get_one(api.Municipality, found.municipality_id)
        if citizen_id is None:
            if by is None:
                raise RelativeError("citizen", _("Only a coordinator can create a citizen."))
            data = api.CitizenData(name=found.person_name)
            if found.about_self:
                data.email = found.referrer_email or None
                data.phone = found.referrer_phone or None
            citizen = api.add_citizen(db, municipality, by, data)
        else:
            linked = db.session.scalar(
                api.scoped(api.Citizen, municipality).where(api.Citizen.id == citizen_id)
            )
            if linked is None:
                raise RelativeError("citizen", _("Choose a citizen of this municipality."))
            citizen = linked
        found.status = IntakeStatus.ACCEPTED
        found.citizen_id = citizen.id
        found.handled_at = api.utcnow()
        found.handled_by_id = by.id if by is not None else None
        api.audit.record(
            db,
            "update",
            INTAKE,
            found.id,
            by=by,
            municipality_id=found.municipality_id,
            fields=["status", "citizen_id"],
            citizen_id=citizen.id,
            created_citizen=citizen_id is None,
        )
        db.session.commit()
    except api.CitizenError as err:
        db.session.rollback()
        raise RelativeError("citizen", err.message) from None
    except BaseException:
        db.session.rollback()
        raise
    return citizen


def close(db: api.Database, intake: Intake, by: api.User | None, reason: str) -> None:
    """Close a referral without a citizen, with a reason (e.g. "not in our target group, referred on")."""
    reason = " ".join(reason.split())
    if not reason:
        raise RelativeError("reason", _("Write why the referral is closed."))
    if len(reason) > MAX_REASON:
        raise RelativeError("reason", _("The reason can be at most 300 characters long."))
    try:
        found = _lock_new(db, intake)
        found.status = IntakeStatus.CLOSED
        found.close_reason = reason
        found.handled_at = api.utcnow()
        found.handled_by_id = by.id if by is not None else None
        api.audit.record(
            db,
            "update",
            INTAKE,
            found.id,
            by=by,
            municipality_id=found.municipality_id,
            fields=["status", "close_reason"],
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def delete_expired(db: api.Database, municipality: api.Municipality, now: datetime | None = None) -> int:
    """Delete the municipality's referrals older than `KEEP_DAYS` (the consent text promises it), whatever
    became of them; returns how many. Safe to run daily, and twice."""
    before = (now or api.utcnow()) - timedelta(days=KEEP_DAYS)
    ids = list(
        db.session.scalars(
            api.scoped(Intake, municipality).where(Intake.created_at < before).with_only_columns(Intake.id)
        )
    )
    if ids:
        api.audit.record_each(db, "delete", INTAKE, ids, municipality_id=municipality.id, expired=True)
        db.session.execute(delete(Intake).where(Intake.id.in_(ids)))
    db.session.commit()
    return len(ids)


def new_count(db: api.Database, municipality: api.Municipality) -> int:
    """How many referrals wait, not yet handled, in the municipality's queue. One query."""
    stmt = (
        api.scoped(Intake, municipality)
        .where(Intake.status == IntakeStatus.NEW)
        .with_only_columns(func.count(Intake.id))
    )
    return int(db.session.scalar(stmt) or 0)


def worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    """For staff: how many referrals from the public form wait (nothing when none)."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    waiting = new_count(api.db(), municipality)
    if not waiting:
        return []
    text = str(
        api.ngettext(
            "%(num)d referral from the public form is waiting",
            "%(num)d referrals from the public form are waiting",
            waiting,
        )
    )
    return [api.WorklistItem(text, url_for("relatives.intake", municipality=municipality.slug))]


def _send_receipt(municipality: api.Municipality, to: str) -> bool:
    """E-mail a receipt (nothing typed in it: the form must not send anyone's words to any address). False
    if the mail server did not take it."""
    subject = _("Your referral to %(municipality)s", municipality=municipality.name)
    body = render_template("relatives/refer_receipt.txt", municipality=municipality).strip() + "\n"
    try:
        api.mail.send(to, subject, body)
    except api.mail.MailError:
        log.warning("relatives: the receipt of a referral could not be sent")
        return False
    return True


# --- the forms -------------------------------------------------------------------------------------------


class ReferForm(api.public_forms.GuardedForm):
    who = RadioField(
        _l("Who are you referring?"),
        choices=[SelectChoice("other", _l("Someone close to me")), SelectChoice("self", _l("Myself"))],
        validators=[Optional()],
        validate_choice=False,
    )
    referrer_name = StringField(_l("Your name"))
    referrer_email = EmailField(_l("Your e-mail address"))
    referrer_phone = TelField(_l("Your phone number"))
    relation = RadioField(
        _l("How are you close to the person?"),
        choices=[SelectChoice(r.value, label) for r, label in RELATIONS.items()],
        validators=[Optional()],
        validate_choice=False,
    )
    person_name = StringField(_l("The person's name"))
    person_knows = RadioField(
        _l("Does the person know that you contact us?"),
        choices=[SelectChoice(k, KNOWS_LABELS[k]) for k in KNOWS],
        validators=[Optional()],
        validate_choice=False,
    )
    message = TextAreaField(_l("Anything you would like to tell us (you may leave it empty)"))
    consent = BooleanField(_l("I agree that what I send is stored and used as described above."))

    def data_for_service(self) -> ReferralData:
        return ReferralData(
            who=self.who.data or "",
            referrer_name=self.referrer_name.data or "",
            consent=bool(self.consent.data),
            referrer_email=self.referrer_email.data or "",
            referrer_phone=self.referrer_phone.data or "",
            relation=self.relation.data or None,
            person_name=self.person_name.data or "",
            person_knows=self.person_knows.data or "",
            message=self.message.data or "",
        )


class AcceptForm(FlaskForm):  # type: ignore[misc]
    #: "new", or the id of an existing citizen.
    citizen = RadioField(
        _l("The citizen"),
        validators=[DataRequired(_l("Choose a citizen, or a new one."))],
        validate_choice=False,
    )


class CloseForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(_l("Why is it closed?"))


# --- the public form -------------------------------------------------------------------------------------


def _refer_page(form: ReferForm, consent: str, status: int = 200, problem: str = "") -> ResponseReturnValue:
    page = render_template(
        "relatives/refer.html", form=form, consent=api.public_forms.paragraphs(consent), problem=problem
    )
    return page, status


@public_bp.route("/refer", methods=["GET", "POST"])
def refer() -> ResponseReturnValue:
    """The public referral form: open to anyone (CSRF is checked before this runs, as everywhere)."""
    municipality = api.current_municipality()
    consent = consent_text(municipality)
    form = ReferForm()
    if request.method == "GET":
        form.who.data = "other"
        form.started.data = api.public_forms.start_token(PURPOSE, municipality, consent)
        return _refer_page(form, consent)
    if form.is_robot():
        log.info("relatives: a referral with the hidden field filled in was dropped")
        return redirect(url_for("relatives_public.thanks"))
    problem = api.public_forms.check_start(
        PURPOSE, form.started.data or "", municipality, consent, min_seconds=MIN_SECONDS
    )
    if problem is not None:
        if problem.renew:
            form.started.data = api.public_forms.start_token(PURPOSE, municipality, consent)
        return _refer_page(form, consent, 400, problem.message)
    if form.validate():
        db = api.db()
        try:
            intake = submit_referral(
                db,
                municipality,
                form.data_for_service(),
                consent=consent,
                source=api.public_forms.source_of(PURPOSE, request.remote_addr),
            )
        except api.public_forms.TooMany as err:
            page = render_template("relatives/refer_busy.html", message=err.message)
            return page, 429, {"Retry-After": "3600"}
        except RelativeError as err:
            db.session.rollback()
            api.field_error(form, err, "referrer_name")
        else:
            if intake.referrer_email and not _send_receipt(municipality, intake.referrer_email):
                flash(_("We could not send you a receipt by e-mail, but your referral is received."), "info")
            return redirect(url_for("relatives_public.thanks"))
    return _refer_page(form, consent, 400)


@public_bp.route("/refer/thanks")
def thanks() -> ResponseReturnValue:
    return render_template("relatives/refer_thanks.html")


# --- the coordinators' intake queue ----------------------------------------------------------------------


def _status_arg() -> IntakeStatus | None:
    try:
        return IntakeStatus(request.args.get("status", IntakeStatus.NEW.value))
    except ValueError:
        return None


@bp.route("/intake")
@api.require_role(*STAFF)
def intake() -> ResponseReturnValue:
    status = _status_arg()
    stmt = api.scoped(Intake).order_by(Intake.created_at.desc(), Intake.id.desc())
    if status is not None:
        stmt = stmt.where(Intake.status == status)
    db = api.db()
    page: api.Page[Intake] = api.paginate(db, stmt, api.requested_page())
    if page.items:
        api.audit.record_each(
            db, "view", INTAKE, [i.id for i in page.items], municipality_id=page.items[0].municipality_id
        )
        db.session.commit()
    municipality = api.current_municipality()
    public_link = api.absolute_url("relatives_public.refer", municipality=municipality.slug)
    return render_template(
        "relatives/intake_list.html",
        page=page,
        status=status,
        statuses=list(IntakeStatus),
        public_link=public_link,
        relations=RELATIONS,
    )


def _kept_until(found: Intake) -> date:
    return (found.created_at + timedelta(days=KEEP_DAYS)).date()


def _candidates(db: api.Database, query: str) -> list[api.Citizen]:
    """Citizens of the municipality whose name has every word of `query` (at most 20)."""
    words = " ".join(query.split()[:5])
    return list(db.session.scalars(api.citizens_named(api.current_municipality(), words).limit(20)))


def _intake_page(
    found: Intake, accept_form: AcceptForm, close_form: CloseForm, status: int = 200
) -> ResponseReturnValue:
    db = api.db()
    query = (
        request.args.get("q", "").strip()[:100]
        if request.method == "GET"
        else request.form.get("q", "")[:100]
    )
    candidates = _candidates(db, query or found.person_name) if found.status == IntakeStatus.NEW else []
    api.audit.record(db, "view", INTAKE, found.id, municipality_id=found.municipality_id)
    if candidates:
        api.audit.record_each(
            db, "search", "citizen", [c.id for c in candidates], municipality_id=found.municipality_id
        )
    db.session.commit()
    page = render_template(
        "relatives/intake_page.html",
        intake=found,
        consent=api.public_forms.paragraphs(found.consent_text),
        kept_until=_kept_until(found),
        accept_form=accept_form,
        close_form=close_form,
        candidates=candidates,
        query=query,
        relations=RELATIONS,
    )
    return page, status


@bp.route("/intake/<int:intake_id>")
@api.require_role(*STAFF)
def intake_item(intake_id: int) -> ResponseReturnValue:
    found = api.get_scoped_or_404(api.db(), Intake, intake_id)
    accept_form = AcceptForm()
    accept_form.citizen.data = "new"
    return _intake_page(found, accept_form, CloseForm())


@bp.route("/intake/<int:intake_id>/accept", methods=["POST"])
@api.require_role(*STAFF)
def accept_intake(intake_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Intake, intake_id)
    form = AcceptForm()
    if form.validate_on_submit():
        choice = form.citizen.data
        citizen_id = None if choice == "new" else int(choice) if str(choice).isdigit() else -1
        try:
            citizen = accept(db, found, api.current_user(), citizen_id=citizen_id)
        except RelativeError as err:
            db.session.rollback()
            found = api.get_scoped_or_404(db, Intake, intake_id)
            if found.status != IntakeStatus.NEW:
                flash(err.message, "info")  # handled by someone else meanwhile
                return redirect(url_for("relatives.intake_item", intake_id=intake_id))
            form.citizen.errors = [*form.citizen.errors, err.message]
        else:
            flash(_("The referral is accepted: %(name)s.", name=citizen.name), "success")
            return redirect(url_for("relatives.intake_item", intake_id=intake_id))
    return _intake_page(found, form, CloseForm(), 400)


@bp.route("/intake/<int:intake_id>/close", methods=["GET", "POST"])
@api.require_role(*STAFF)
def close_intake(intake_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Intake, intake_id)
    form = CloseForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            close(db, found, api.current_user(), form.reason.data or "")
        except RelativeError as err:
            db.session.rollback()
            api.field_error(form, err, "reason")
            found = api.get_scoped_or_404(db, Intake, intake_id)
        else:
            flash(_("The referral is closed."), "success")
            return redirect(url_for("relatives.intake"))
    status = 400 if request.method == "POST" else 200
    return render_template("relatives/intake_close.html", intake=found, form=form), status


# --- the command -----------------------------------------------------------------------------------------


@click.group("relatives")
def cli() -> None:
    """Relatives and network."""


@cli.command("delete-expired-intake")
def delete_expired_intake() -> None:
    """Delete referrals from the public form older than six months, as its consent text promises (run it
    daily, e.g. from cron)."""
    db = api.db()
    municipalities = db.session.scalars(select(api.Municipality).order_by(api.Municipality.slug)).all()
    on = [m for m in municipalities if api.plugin_enabled(NAME, m)]
    if not on:
        click.echo("The relatives plugin is off in every municipality; nothing to delete.")
    for municipality in on:
        deleted = delete_expired(db, municipality)
        click.echo(f"{municipality.name}: {deleted} expired referrals deleted")
