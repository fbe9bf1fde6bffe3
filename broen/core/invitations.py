"""Invitations: the one way a citizen gets a log-in to the participant pages (there is no self-registration).

A coordinator invites a citizen; the citizen gets a link by e-mail or on paper (with a QR code), opens it
and chooses a password. The link's token (`secrets.token_urlsafe(32)`, 256 bits) is shown once and kept
only as a SHA-256 hash. It works once, for `VALID_FOR`, and stops when a newer invitation replaces it or a
coordinator withdraws it. An unknown, used, withdrawn or expired link gets the same page (404), which does
not say which of these it was.

Services (each one transaction with its audit entries, on the citizen's record; never the token):
`invite`, `find_open`, `accept` (a new account), `link_account` (an existing account, when the person who
opens the link is logged in), `withdraw`. Views: the staff pages under `/<municipality>/citizens/<id>/
invitation/` and the public pages under `/invitation/<token>`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_date, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, RadioField, SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from broen.core import audit, mail
from broen.core.auth import SESSION_KEY, hash_password, session_key
from broen.core.citizens.forms import ConfirmForm
from broen.core.citizens.services import record_view
from broen.core.db import Database, current_db, utcnow
from broen.core.links import absolute_url, qr_data_uri
from broen.core.models import Citizen, Invitation, Membership, Municipality, Role, User
from broen.core.tenancy import STAFF_ROLES, get_scoped_or_404, require_role

#: How long an invitation link works.
VALID_FOR = timedelta(days=14)
EMAIL, PRINT = "email", "print"
CHANNELS = (EMAIL, PRINT)
#: The shortest password, as for every other account (`accounts.create_user`, `auth.AccountForm`).
MIN_PASSWORD_LENGTH = 10


class InvitationError(ValueError):
    """A rule about an invitation was broken; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvitationGone(LookupError):
    """The link is unknown, used, withdrawn or expired (the person is not told which)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- services ----------------------------------------------------------------------------------------


def _open(now: datetime) -> Any:
    """The condition that an invitation still opens something."""
    return (
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


def open_invitation(db: Database, citizen: Citizen) -> Invitation | None:
    """The citizen's invitation that still works, if any (there is at most one)."""
    return db.session.scalar(
        select(Invitation)
        .where(Invitation.citizen_id == citizen.id, *_open(utcnow()))
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def _audit(db: Database, citizen: Citizen, by: User | None, action: str, **details: Any) -> None:
    audit.record(db, action, "citizen", citizen.id, by=by, municipality_id=citizen.municipality_id, **details)


def _revoke_open(db: Database, citizen: Citizen, by: User | None, reason: str) -> list[int]:
    """Withdraw the citizen's open invitations, each audited (the caller commits)."""
    now = utcnow()
    rows = db.session.scalars(
        select(Invitation).where(
            Invitation.citizen_id == citizen.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        if row.expires_at > now:
            _audit(db, citizen, by, audit.UPDATE, invitation="withdrawn", invitation_id=row.id, reason=reason)
    return [row.id for row in rows]


def invite(db: Database, citizen: Citizen, by: User, channel: str) -> str:
    """A new invitation for `citizen`, handed over by `channel` ("email" or "print"); returns its token.

    Any earlier open invitation of the citizen stops working. Commits; raises `InvitationError` (and writes
    nothing) if the citizen has a log-in already or the channel cannot be used. Sending the e-mail is the
    caller's part (after this commit: mail cannot be rolled back).
    """
    if channel not in CHANNELS:
        raise InvitationError("channel", _("Choose e-mail or print."))
    if citizen.user_id is not None:
        raise InvitationError("channel", _("%(name)s has a log-in already.", name=citizen.name))
    if channel == EMAIL and not citizen.email:
        raise InvitationError(
            "channel",
            _(
                "%(name)s has no e-mail address. Add one in the field 'E-mail' on the record, or choose print.",
                name=citizen.name,
            ),
        )
    _revoke_open(db, citizen, by, "replaced")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = Invitation(
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        token_hash=hash_token(token),
        channel=channel,
        created_by_id=by.id,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    db.session.add(row)
    db.session.flush()
    _audit(db, citizen, by, audit.UPDATE, invitation="created", invitation_id=row.id, channel=channel)
    db.session.commit()
    return token


def find_open(db: Database, token: str) -> Invitation | None:
    """The invitation of a link that still works; None if it is unknown, used, withdrawn or expired."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token), *_open(utcnow()))
    )


def withdraw(db: Database, invitation: Invitation, by: User | None, reason: str = "withdrawn") -> bool:
    """Stop an invitation's link. Commits; False (and nothing written) if it did not work any more anyway."""
    now = utcnow()
    if invitation.used_at is not None or invitation.revoked_at is not None or invitation.expires_at <= now:
        return False
    invitation.revoked_at = now
    _audit(
        db,
        invitation.citizen,
        by,
        audit.UPDATE,
        invitation="withdrawn",
        invitation_id=invitation.id,
        reason=reason,
    )
    db.session.commit()
    return True


def _claim(db: Database, invitation: Invitation) -> None:
    """Mark the invitation used, if it still works; the conditional UPDATE makes the link single-use even
    when two people send the form at the same moment (the second finds it used). Rolls back and raises
    `InvitationGone` otherwise."""
    now = utcnow()
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, *_open(now))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise InvitationGone()
    db.session.expire(invitation)


def _existing_account_error() -> InvitationError:
    return InvitationError(
        "email",
        _("There is a log-in with this e-mail address already. Log in first, then open the link again."),
    )


def accept(db: Database, invitation: Invitation, email: str, password: str, *, language: str = "da") -> User:
    """Make the citizen's log-in from an invitation: a new account with a participant role in the
    invitation's municipality, linked to the citizen record; the invitation is used up.

    One transaction. Raises `InvitationError` (field "email" or "password") or `InvitationGone`, and then
    nothing is written.
    """
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvitationError("email", _("Write a valid e-mail address."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvitationError("password", _("At least 10 characters."))
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _existing_account_error()
    citizen = invitation.citizen
    _claim(db, invitation)
    db.session.refresh(citizen)
    if citizen.user_id is not None:
        db.session.rollback()
        raise InvitationGone()
    user = User(email=email, name=citizen.name, password_hash=hash_password(password), language=language)
    db.session.add(user)
    try:
        db.session.flush()  # the e-mail may have been taken a moment ago
    except IntegrityError:
        db.session.rollback()
        raise _existing_account_error() from None
    db.session.add(Membership(user=user, municipality_id=citizen.municipality_id, role=Role.PARTICIPANT))
    citizen.user_id = user.id
    audit.record(
        db,
        audit.CREATE,
        "user",
        user.id,
        by=user,
        municipality_id=citizen.municipality_id,
        fields=["email", "name", "password", "language"],
        invitation_id=invitation.id,
    )
    _audit(
        db, citizen, user, audit.UPDATE, fields=["user_id"], invitation="used", invitation_id=invitation.id
    )
    db.session.commit()
    return user


def link_account(db: Database, invitation: Invitation, user: User) -> None:
    """Link an existing account to the invited citizen instead of making a new one (the person who opened
    the link is logged in). Gives the account a participant role in the municipality if it has none there.

    One transaction. Raises `InvitationError` (field "account") when the account works there in another
    role or is someone else's record already, or `InvitationGone`; then nothing is written.
    """
    citizen = invitation.citizen
    municipality = db.session.get_one(Municipality, citizen.municipality_id)
    role = user.role_in(municipality.id)
    if role is not None and role != Role.PARTICIPANT:
        raise InvitationError(
            "account",
            _(
                "Your account works in %(municipality)s as staff. A participant needs a log-in of their "
                "own: log out, then open the link again.",
                municipality=municipality.name,
            ),
        )
    other = db.session.scalar(
        select(Citizen.id).where(Citizen.municipality_id == municipality.id, Citizen.user_id == user.id)
    )
    if other is not None and other != citizen.id:
        raise InvitationError(
            "account",
            _(
                "Your account belongs to another participant in %(municipality)s.",
                municipality=municipality.name,
            ),
        )
    _claim(db, invitation)
    db.session.refresh(citizen)
    if citizen.user_id is not None:
        db.session.rollback()
        raise InvitationError("account", _("This person has a log-in already. Log in with that one."))
    if role is None:
        db.session.add(Membership(user=user, municipality_id=municipality.id, role=Role.PARTICIPANT))
    citizen.user_id = user.id
    _audit(
        db,
        citizen,
        user,
        audit.UPDATE,
        fields=["user_id"],
        invitation="used",
        invitation_id=invitation.id,
        existing_account=True,
    )
    db.session.commit()


@dataclass(frozen=True)
class LoginState:
    """What the citizen page says about the citizen's log-in."""

    user: User | None
    open: Invitation | None
    #: The latest invitation, whatever became of it.
    last: Invitation | None


def login_state(db: Database, citizen: Citizen) -> LoginState:
    last = db.session.scalar(
        select(Invitation).where(Invitation.citizen_id == citizen.id).order_by(Invitation.id.desc()).limit(1)
    )
    now = utcnow()
    is_open = last is not None and last.used_at is None and last.revoked_at is None and last.expires_at > now
    return LoginState(user=citizen.user, open=last if is_open else None, last=last)


# --- texts -------------------------------------------------------------------------------------------


def local_time(moment: datetime, timezone: str) -> str:
    """'8 December 2026 at 14:30' in the municipality's time zone and the current language."""
    local = moment.astimezone(ZoneInfo(timezone))
    return str(
        _(
            "%(date)s at %(time)s",
            date=format_date(local, "long", rebase=False),
            time=format_time(local, "short", rebase=False),
        )
    )


def invitation_link(token: str) -> str:
    """The full link (from `broen.base_url`, as people reach broen) of an invitation token."""
    return absolute_url("invitations.accept_page", token=token)


def mail_text(
    citizen: Citizen, municipality: Municipality, link: str, expires_at: datetime
) -> tuple[str, str]:
    """(subject, body) of the invitation e-mail, in the current language."""
    subject = _("Your log-in to the participant pages – %(municipality)s", municipality=municipality.name)
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=citizen.name),
            _(
                "%(municipality)s invites you to the participant pages in broen. There you see your meetings "
                "and can sign up for them.",
                municipality=municipality.name,
            ),
            _("Open this link and choose a password:"),
            link,
            _(
                "The link works once, until %(when)s. If it does not work, ask your coordinator for a new one.",
                when=local_time(expires_at, municipality.timezone),
            ),
            _("If you did not expect this e-mail, you can delete it."),
        ]
    )
    return subject, body + "\n"


# --- forms -------------------------------------------------------------------------------------------


class InviteForm(FlaskForm):  # type: ignore[misc]
    channel = RadioField(
        _l("How does the citizen get the link?"),
        choices=[SelectChoice(EMAIL, _l("By e-mail")), SelectChoice(PRINT, _l("Print"))],
        validators=[InputRequired(_l("Choose e-mail or print."))],
    )


class AcceptForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Write your e-mail address.")),
            Email(_l("Write a valid e-mail address.")),
            Length(max=254),
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=MIN_PASSWORD_LENGTH, message=_l("At least 10 characters.")),
        ],
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[
            DataRequired(_l("Write the password again.")),
            EqualTo("password", message=_l("The passwords differ.")),
        ],
    )


# --- views -------------------------------------------------------------------------------------------

bp = Blueprint("invitations", __name__)
STAFF_PREFIX = "/<municipality>/citizens/<int:citizen_id>/invitation"


@bp.app_template_filter("invitation_time")
def _invitation_time(moment: datetime, timezone: str) -> str:
    return local_time(moment, timezone)


def _render_invite(form: InviteForm, citizen: Citizen, status: int, **extra: Any) -> ResponseReturnValue:
    state = login_state(current_db(), citizen)
    return render_template(
        "invitations/invite.html", form=form, citizen=citizen, state=state, valid_days=VALID_FOR.days, **extra
    ), status


@bp.route(f"{STAFF_PREFIX}/new", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def new(citizen_id: int) -> ResponseReturnValue:
    """The invite form (also 'New invitation': it says that the open link stops working)."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    form = InviteForm()
    if request.method == "GET":
        form.channel.data = EMAIL if citizen.email else PRINT
        record_view(db, citizen, current_user)  # the page shows the citizen's e-mail address
    if not form.validate_on_submit():
        return _render_invite(form, citizen, 400 if request.method == "POST" else 200)
    channel = form.channel.data
    try:
        token = invite(db, citizen, current_user._get_current_object(), channel)
    except InvitationError as err:
        db.session.rollback()
        form[err.field].errors.append(err.message)
        return _render_invite(form, citizen, 400)
    invitation = find_open(db, token)
    assert invitation is not None
    municipality = citizen.municipality
    link = invitation_link(token)
    if channel == PRINT:
        # The one time the link is shown; the page is for paper, in the installation's language.
        with force_locale(current_app.config["BROEN"].broen.default_language):
            return render_template(
                "invitations/print.html",
                citizen=citizen,
                municipality=municipality,
                link=link,
                qr=qr_data_uri(link),
                expires=local_time(invitation.expires_at, municipality.timezone),
                login_url=absolute_url("auth.login"),
            )
    assert citizen.email is not None
    with force_locale(current_app.config["BROEN"].broen.default_language):
        subject, body = mail_text(citizen, municipality, link, invitation.expires_at)
    try:
        mail.send(citizen.email, subject, body)
    except mail.MailError:
        withdraw(db, invitation, current_user._get_current_object(), reason="mail_failed")
        form.channel.errors.append(
            _("The e-mail could not be sent, so no link was made. Try again later, or choose print.")
        )
        return _render_invite(form, citizen, 502, mail_failed=True)
    flash(
        _(
            "The invitation is sent to %(email)s. The link works until %(when)s.",
            email=citizen.email,
            when=local_time(invitation.expires_at, municipality.timezone),
        ),
        "success",
    )
    return redirect(url_for("citizens.show", citizen_id=citizen.id))


@bp.route(f"{STAFF_PREFIX}/withdraw", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def withdraw_page(citizen_id: int) -> ResponseReturnValue:
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    invitation = open_invitation(db, citizen)
    if invitation is None:
        flash(_("There is no invitation to withdraw."), "info")
        return redirect(url_for("citizens.show", citizen_id=citizen.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        withdraw(db, invitation, current_user._get_current_object())
        flash(_("The invitation is withdrawn. The link does not work any more."), "success")
        return redirect(url_for("citizens.show", citizen_id=citizen.id))
    return render_template("invitations/withdraw.html", form=form, citizen=citizen, invitation=invitation)


def _no_store(response: ResponseReturnValue) -> Response:
    """The link pages carry a secret in their address: no copy in any cache."""
    out = current_app.make_response(response)
    out.headers["Cache-Control"] = "no-store"
    return out


def _gone() -> Response:
    return _no_store((render_template("invitations/gone.html"), 404))


def _log_in(user: User) -> None:
    """Log `user` in as `broen.core.auth.login` does."""
    db = current_db()
    user.last_login_at = utcnow()
    db.session.commit()
    login_user(user)
    session.permanent = True
    session[SESSION_KEY] = session_key(user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_page(token: str) -> ResponseReturnValue:
    """Where the link leads: choose a password (or, logged in, use this account)."""
    db = current_db()
    invitation = find_open(db, token)
    if invitation is None:
        return _gone()
    citizen = invitation.citizen
    municipality = citizen.municipality
    form = AcceptForm()
    if request.method == "POST" and current_user.is_authenticated:
        return redirect(url_for("invitations.accept_page", token=token))
    existing_account = False
    if form.validate_on_submit():
        try:
            user = accept(db, invitation, form.email.data, form.password.data, language=_current_language())
        except InvitationGone:
            return _gone()
        except InvitationError as err:
            db.session.rollback()
            form[err.field].errors.append(err.message)
            existing_account = (
                err.field == "email"
                and db.session.scalar(select(User.id).where(User.email == form.email.data.strip().lower()))
                is not None
            )
        else:
            _log_in(user)
            flash(
                _(
                    "Welcome, %(name)s. From now on you log in with your e-mail and your password.",
                    name=user.name,
                ),
                "success",
            )
            return redirect(url_for("core.home", municipality=municipality.slug))
    if request.method == "GET":
        if invitation.channel == EMAIL and not current_user.is_authenticated:
            form.email.data = citizen.email
        _audit(db, citizen, None, audit.VIEW, invitation="opened", invitation_id=invitation.id)
        db.session.commit()
    status = 400 if request.method == "POST" else 200
    return _no_store(
        (
            render_template(
                "invitations/accept.html",
                form=form,
                token=token,
                municipality=municipality,
                expires=local_time(invitation.expires_at, municipality.timezone),
                existing_account=existing_account,
                link_form=ConfirmForm(),
            ),
            status,
        )
    )


def _current_language() -> str:
    return str(get_locale() or current_app.config["BROEN"].broen.default_language)


@bp.route("/invitation/<token>/use-my-account", methods=["POST"])
def use_account(token: str) -> ResponseReturnValue:
    """Link the logged-in account to the invited citizen instead of making a new log-in."""
    db = current_db()
    invitation = find_open(db, token)
    if invitation is None:
        return _gone()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("invitations.accept_page", token=token)))
    form = ConfirmForm()
    municipality = invitation.citizen.municipality
    if form.validate_on_submit():
        try:
            link_account(db, invitation, current_user._get_current_object())
        except InvitationGone:
            return _gone()
        except InvitationError as err:
            db.session.rollback()
            return _no_store(
                (
                    render_template(
                        "invitations/accept.html",
                        form=AcceptForm(formdata=None),
                        token=token,
                        municipality=municipality,
                        expires=local_time(invitation.expires_at, municipality.timezone),
                        existing_account=False,
                        link_form=form,
                        link_error=err.message,
                    ),
                    409,
                )
            )
        flash(
            _(
                "Welcome. Your account now has the participant pages of %(municipality)s.",
                municipality=municipality.name,
            ),
            "success",
        )
        return redirect(url_for("core.home", municipality=municipality.slug))
    return redirect(url_for("invitations.accept_page", token=token))


__all__ = [
    "CHANNELS",
    "MIN_PASSWORD_LENGTH",
    "VALID_FOR",
    "InvitationError",
    "InvitationGone",
    "LoginState",
    "accept",
    "bp",
    "find_open",
    "invite",
    "link_account",
    "login_state",
    "open_invitation",
    "withdraw",
]
