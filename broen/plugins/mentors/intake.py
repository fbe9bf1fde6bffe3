"""The volunteers' public sign-up form and the coordinators' intake list.

A volunteer applies at `/<municipality>/public/mentors/apply`, without a log-in. The application waits in
the coordinators' intake list (`/<municipality>/mentors/intake`), not in the pool, until a coordinator adds
the person to the pool (a `Mentor`, with the consent copied over) or deletes the application.

The form is open to anyone, so it is guarded against spam by the core's `api.public_forms` (purpose
`PURPOSE`): the CSRF token (as every form), a field hidden from people that only robots fill in (the post
is then thanked for and dropped), a signed time of when the form was shown (a post sooner than
`MIN_SECONDS` after, or without a valid time, is refused) and a rate limit (`PER_SOURCE_PER_HOUR`
applications from one address, `PER_MUNICIPALITY_PER_DAY` per municipality). The address is never
stored: only a keyed hash of it (`Application.source`), for the rate limit.

The consent text is the municipality's own (the plugin settings) or the standard one; it is stored with
the application exactly as it was shown, with the time. The signed time also carries a digest of the text
shown, so a text changed between showing and sending is shown again rather than stored unseen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp

from broen import api
from broen.plugins.mentors import services
from broen.plugins.mentors.blueprint import STAFF, bp
from broen.plugins.mentors.models import PARTS_OF_DAY, Application, Background, Mentor, MentorStatus, slot_bit
from broen.plugins.mentors.services import MentorError, _
from broen.plugins.mentors.staff_forms import (
    BACKGROUNDS,
    CONTACT_FORMS,
    PART_LABELS,
    STATUSES,
    ConfirmForm,
    availability_mask,
    contact_forms_mask,
    slot_name,
)

log = logging.getLogger(__name__)

public_bp = Blueprint("mentors_public", __name__, template_folder="templates")

#: The form's name to the spam guard: it salts the signed start time and the hash of the address.
PURPOSE = "mentors.apply"
#: A post sooner than this many seconds after the form was shown is refused (people take longer).
MIN_SECONDS = api.public_forms.MIN_SECONDS
#: At most this many applications an hour from one address, and a day to one municipality.
PER_SOURCE_PER_HOUR = 5
PER_MUNICIPALITY_PER_DAY = 100
#: An application is kept at most this long (the standard consent text says 6 months).
KEEP_DAYS = 183
MAX_ABOUT = 4000
#: The statuses a coordinator may put someone in when adding them from the intake list.
START_STATUSES = (MentorStatus.INTERVIEWED, MentorStatus.TRAINED, MentorStatus.APPROVED)

_l = api.lazy_gettext


# --- the consent text ------------------------------------------------------------------------------------


def standard_consent_text(municipality: api.Municipality) -> str:
    """The consent text used when the municipality has not written its own, in the current language."""
    return "\n\n".join(
        [
            _(
                "When you send this form, %(municipality)s stores what you have written in it, and when "
                "you sent it, in broen, the municipality's system for volunteer mentors.",
                municipality=municipality.name,
            ),
            _(
                "Only the municipality's mentor coordinators see it. They use it only to contact you "
                "about becoming a volunteer mentor."
            ),
            _(
                "We delete your application when the coordinators have decided whether you become a mentor, "
                "and at the latest after 6 months. If you become a mentor, your details are moved to the "
                "municipality's list of mentors."
            ),
            _(
                "%(municipality)s is responsible for your data. You may at any time withdraw your consent and "
                "ask to see or delete what is stored: tell the mentor coordinators. You may complain to "
                "Datatilsynet.",
                municipality=municipality.name,
            ),
        ]
    )


def consent_text(municipality: api.Municipality) -> str:
    """The consent text shown on the sign-up form (and stored as shown): the municipality's own, or the
    standard one."""
    own = str(api.plugin_settings(services.NAME, municipality).get("consent_text") or "")
    text = own.replace("\r\n", "\n").strip()
    return text or standard_consent_text(municipality)


# --- the services ----------------------------------------------------------------------------------------


@dataclass
class ApplicationData:
    """An application, as the sign-up form gives it."""

    name: str
    email: str
    background: Background | str
    consent: bool
    phone: str = ""
    about: str = ""
    interests: str | list[str] = field(default_factory=list)
    area: str = ""
    availability: int = 0
    contact_forms: int = 0


def _clean(data: ApplicationData) -> dict[str, Any]:
    name = " ".join(data.name.split())
    if not name:
        raise MentorError("name", _("Write your name."))
    if len(name) > 200:
        raise MentorError("name", _("The name can be at most 200 characters long."))
    email = data.email.strip()
    if not email:
        raise MentorError("email", _("Write your e-mail address."))
    if len(email) > 254 or not services.EMAIL.match(email):
        raise MentorError("email", _("Write a valid e-mail address, e.g. name@example.dk."))
    about = data.about.strip()
    if len(about) > MAX_ABOUT:
        raise MentorError("about", _("Write at most 4000 characters about yourself."))
    profile = services.clean_profile(
        phone=data.phone,
        background=data.background,
        area=data.area,
        interests=data.interests,
        availability=data.availability,
        contact_forms=data.contact_forms,
    )
    if not data.consent:
        raise MentorError("consent", _("Tick the box to agree, so that we may store your application."))
    return {"name": name, "email": email, "about": about, **profile}


def submit_application(
    db: api.Database,
    municipality: api.Municipality,
    data: ApplicationData,
    *,
    consent: str,
    source: str,
) -> Application:
    """Store a volunteer's application in the intake list, with the consent text they were shown and now.

    Raises `api.public_forms.TooMany` (nothing stored) past the rate limit, checked again under the
    municipality's row lock (`hold_within_limit`).
    """
    values = _clean(data)
    consent = consent.strip()
    if not consent:
        raise MentorError("consent", _("There is no consent text to agree to."))
    try:
        now = api.public_forms.hold_within_limit(
            db,
            Application,
            municipality,
            source,
            per_source_per_hour=PER_SOURCE_PER_HOUR,
            per_municipality_per_day=PER_MUNICIPALITY_PER_DAY,
        )
        application = Application(
            municipality_id=municipality.id,
            consent_text=consent,
            consent_at=now,
            source=source,
            created_at=now,
            **values,
        )
        db.session.add(application)
        db.session.flush()
        api.audit.record(db, "create", "mentors_application", application.id, municipality_id=municipality.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return application


def delete_application(db: api.Database, application: Application, by: api.User | None) -> None:
    """Delete an application from the intake list."""
    api.audit.record(
        db,
        "delete",
        "mentors_application",
        application.id,
        by=by,
        municipality_id=application.municipality_id,
    )
    db.session.delete(application)
    db.session.commit()


def add_to_pool(
    db: api.Database,
    application: Application,
    by: api.User | None,
    *,
    status: MentorStatus | str = MentorStatus.INTERVIEWED,
    since: date | None = None,
) -> Mentor:
    """Add the applicant to the pool: in one transaction, under the application's lock (two coordinators
    may press at once), a new mentor with the details and the consent of the application, which is
    deleted. Raises `MentorError` (nothing written) if the application was handled meanwhile."""
    try:
        status = MentorStatus(status)
    except ValueError:
        raise MentorError("status", _("Choose interviewed, trained or approved as mentor.")) from None
    if status not in START_STATUSES:
        raise MentorError("status", _("Choose interviewed, trained or approved as mentor."))
    municipality, application_id = application.municipality, application.id
    try:
        api.lock_row(db, Application, application_id)
        found = db.session.get(Application, application_id, populate_existing=True)
        if found is None:
            raise MentorError("status", _("Someone else has handled this application meanwhile."))
        data = services.MentorData(
            name=found.name,
            background=found.background,
            email=found.email,
            phone=found.phone,
            work_experience=found.about,
            interests=list(found.interests),
            area=found.area,
            availability=found.availability,
            contact_forms=found.contact_forms,
        )
        mentor = services.add_mentor(db, municipality, by, data, status=status, since=since)
        mentor.consent_at, mentor.consent_text = found.consent_at, found.consent_text
        api.audit.record(
            db,
            "delete",
            "mentors_application",
            application_id,
            by=by,
            municipality_id=municipality.id,
            mentor_id=mentor.id,
        )
        db.session.delete(found)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return mentor


def delete_expired(db: api.Database, municipality: api.Municipality, now: datetime | None = None) -> int:
    """Delete the municipality's applications older than `KEEP_DAYS` (the consent text promises it);
    returns how many. For a daily job."""
    before = (now or api.utcnow()) - timedelta(days=KEEP_DAYS)
    old = db.session.scalars(
        api.scoped(Application, municipality).where(Application.created_at < before)
    ).all()
    for application in old:
        api.audit.record(
            db, "delete", "mentors_application", application.id, municipality_id=municipality.id, expired=True
        )
        db.session.delete(application)
    db.session.commit()
    return len(old)


def waiting_count(db: api.Database, municipality: api.Municipality) -> int:
    """How many applications wait in the municipality's intake list. One query."""
    stmt = api.scoped(Application, municipality).with_only_columns(func.count(Application.id))
    return int(db.session.scalar(stmt) or 0)


def worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    """For staff: how many volunteer applications wait in the intake list (nothing when none)."""
    if user.role_in(municipality.id) not in STAFF:
        return []
    waiting = waiting_count(api.db(), municipality)
    if not waiting:
        return []
    text = str(
        api.ngettext(
            "%(num)d volunteer application is waiting",
            "%(num)d volunteer applications are waiting",
            waiting,
        )
    )
    return [api.WorklistItem(text, url_for("mentors.intake", municipality=municipality.slug))]


def _send_receipt(municipality: api.Municipality, to: str) -> bool:
    """E-mail the applicant a receipt (nothing they typed in it: the form must not send others' words to
    any address). False if the mail server did not take it."""
    subject = _(
        "Your application to become a volunteer mentor in %(municipality)s", municipality=municipality.name
    )
    body = render_template("mentors/apply_receipt.txt", municipality=municipality).strip() + "\n"
    try:
        api.mail.send(to, subject, body)
    except api.mail.MailError:
        log.warning("mentors: the receipt for an application in %s was not sent", municipality.slug)
        return False
    return True


# --- the forms -------------------------------------------------------------------------------------------


class ApplyForm(api.public_forms.GuardedForm):
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Write your name."))])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Write your e-mail address.")),
            Regexp(services.EMAIL, message=_l("Write a valid e-mail address, e.g. name@example.dk.")),
        ],
    )
    phone = TelField(_l("Phone"), validators=[Optional()])
    background = RadioField(
        _l("What do you do now?"),
        choices=[SelectChoice(b.value, label) for b, label in BACKGROUNDS.items()],
        validators=[InputRequired(_l("Choose employed, student or retired."))],
    )
    about = TextAreaField(_l("About you"), validators=[Optional()])
    interests = StringField(_l("Interests and hobbies"), validators=[Optional()])
    area = StringField(_l("Town or area"), validators=[Optional()])
    availability = SelectMultipleField(
        _l("When can you meet?"),
        choices=[slot_name(d, p) for d in range(7) for p in range(len(PARTS_OF_DAY))],
        validate_choice=False,
    )
    contact_forms = SelectMultipleField(
        _l("How would you like to meet?"),
        choices=[SelectChoice(str(int(f)), label) for f, label in CONTACT_FORMS.items()],
        validate_choice=False,
    )
    consent = BooleanField(
        _l("I agree that my application is stored and used as described above."),
        validators=[DataRequired(_l("Tick the box to agree, so that we may store your application."))],
    )

    def data_for_service(self) -> ApplicationData:
        return ApplicationData(
            name=self.name.data or "",
            email=self.email.data or "",
            background=self.background.data or "",
            consent=bool(self.consent.data),
            phone=self.phone.data or "",
            about=self.about.data or "",
            interests=self.interests.data or "",
            area=self.area.data or "",
            availability=availability_mask(self.availability.data or []),
            contact_forms=contact_forms_mask(self.contact_forms.data or []),
        )


class AddToPoolForm(FlaskForm):  # type: ignore[misc]
    status = RadioField(
        _l("Status in the pool"),
        choices=[SelectChoice(s.value, STATUSES[s]) for s in START_STATUSES],
        validators=[InputRequired(_l("Choose interviewed, trained or approved as mentor."))],
    )
    since = DateField(_l("From"), validators=[InputRequired(_l("Choose the date."))])


# --- the public sign-up form -----------------------------------------------------------------------------


@public_bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "backgrounds": BACKGROUNDS,
        "contact_form_labels": CONTACT_FORMS,
        "weekdays": api.WEEKDAYS,
        "parts": [(n, PART_LABELS[p]) for n, p in enumerate(PARTS_OF_DAY)],
        "slot_name": slot_name,
    }


def _apply_page(form: ApplyForm, consent: str, status: int = 200, problem: str = "") -> ResponseReturnValue:
    return (
        render_template(
            "mentors/apply.html", form=form, consent=api.public_forms.paragraphs(consent), problem=problem
        ),
        status,
    )


@public_bp.route("/apply", methods=["GET", "POST"])
def apply() -> ResponseReturnValue:
    """The volunteers' sign-up form: open to anyone (CSRF is checked before this runs, as everywhere)."""
    municipality = api.current_municipality()
    consent = consent_text(municipality)
    form = ApplyForm()
    if request.method == "GET":
        form.started.data = api.public_forms.start_token(PURPOSE, municipality, consent)
        return _apply_page(form, consent)
    if form.is_robot():
        log.info("mentors: an application with the hidden field filled in was dropped")
        return redirect(url_for("mentors_public.thanks"))
    problem = api.public_forms.check_start(
        PURPOSE, form.started.data or "", municipality, consent, min_seconds=MIN_SECONDS
    )
    if problem is not None:
        if problem.renew:
            form.started.data = api.public_forms.start_token(PURPOSE, municipality, consent)
        form.validate()  # show what else needs fixing too
        return _apply_page(form, consent, 400, problem.message)
    if form.validate():
        db = api.db()
        try:
            application = submit_application(
                db,
                municipality,
                form.data_for_service(),
                consent=consent,
                source=api.public_forms.source_of(PURPOSE, request.remote_addr),
            )
        except api.public_forms.TooMany as err:
            page = render_template("mentors/apply_busy.html", message=err.message)
            return page, 429, {"Retry-After": "3600"}
        except MentorError as err:
            db.session.rollback()
            api.field_error(form, err, "name")
        else:
            if not _send_receipt(municipality, application.email):
                flash(
                    _("We could not send you a receipt by e-mail, but your application is received."), "info"
                )
            return redirect(url_for("mentors_public.thanks"))
    return _apply_page(form, consent, 400)


@public_bp.route("/apply/thanks")
def thanks() -> ResponseReturnValue:
    return render_template("mentors/apply_thanks.html")


# --- the coordinators' intake list -----------------------------------------------------------------------


@bp.route("/intake")
@api.require_role(*STAFF)
def intake() -> ResponseReturnValue:
    stmt = api.scoped(Application).order_by(Application.created_at.desc(), Application.id.desc())
    page: api.Page[Application] = api.paginate(api.db(), stmt, api.requested_page())
    municipality = api.current_municipality()
    public_link = api.absolute_url("mentors_public.apply", municipality=municipality.slug)
    return render_template("mentors/intake.html", page=page, public_link=public_link)


def _kept_until(application: Application) -> date:
    return (application.created_at + timedelta(days=KEEP_DAYS)).date()


@bp.route("/intake/<int:application_id>")
@api.require_role(*STAFF)
def application(application_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Application, application_id)
    api.audit.record(db, "view", "mentors_application", found.id, municipality_id=found.municipality_id)
    db.session.commit()
    return render_template(
        "mentors/application.html",
        application=found,
        consent=api.public_forms.paragraphs(found.consent_text),
        kept_until=_kept_until(found),
        slot_bit=slot_bit,
    )


@bp.route("/intake/<int:application_id>/add", methods=["GET", "POST"])
@api.require_role(*STAFF)
def add_application(application_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Application, application_id)
    form = AddToPoolForm()
    if request.method == "GET":
        form.status.data = MentorStatus.INTERVIEWED.value
        form.since.data = services.local_today(api.current_municipality())
    if form.validate_on_submit():
        try:
            mentor = add_to_pool(
                db, found, api.current_user(), status=form.status.data, since=form.since.data
            )
        except MentorError as err:
            db.session.rollback()
            if db.session.scalar(select(Application.id).where(Application.id == application_id)) is None:
                flash(err.message, "info")  # added or deleted by someone else meanwhile
                return redirect(url_for("mentors.intake"))
            api.field_error(form, err, "status")
        else:
            flash(_("%(name)s is added to the pool of mentors.", name=mentor.name), "success")
            return redirect(url_for("mentors.mentor", mentor_id=mentor.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mentors/application_add.html", application=found, form=form), status


@bp.route("/intake/<int:application_id>/delete", methods=["GET", "POST"], endpoint="delete_application")
@api.require_role(*STAFF)
def delete_application_view(application_id: int) -> ResponseReturnValue:
    db = api.db()
    found = api.get_scoped_or_404(db, Application, application_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        delete_application(db, found, api.current_user())
        flash(_("The application is deleted."), "success")
        return redirect(url_for("mentors.intake"))
    status = 400 if request.method == "POST" else 200
    return render_template("mentors/application_delete.html", application=found, form=form), status
