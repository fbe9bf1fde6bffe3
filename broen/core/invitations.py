"""Invitations: the one way a citizen, or a plugin's record such as a volunteer mentor, gets a log-in (there
is no self-registration).

A coordinator invites a citizen (to the participant pages) or a plugin's record (`InvitationSubject`: a
mentor, to the mentor pages); the person gets a link by e-mail or on paper (with a QR code), opens it and
chooses a password, or links the account they are logged in with. The new log-in gets the invitation's
role in the municipality and is linked to the record: `Citizen.user_id` by the core, a plugin's record by
the plugin, in its `broen_invitation_accepted` hook, inside the same transaction. The link's token
(`secrets.token_urlsafe(32)`, 256 bits) is shown once and kept only as a SHA-256 hash. It works once, for
`VALID_FOR`, and stops when a newer invitation replaces it or a coordinator withdraws it. An unknown, used,
withdrawn or expired link gets the same page (404), which does not say which of these it was.

Services (each one transaction with its audit entries, on the invited record; never the token): `invite`,
`invite_subject`, `find_open`, `accept` (a new account), `link_account` (an existing account, when the
person who opens the link is logged in), `withdraw`. Views: the staff pages under `/<municipality>/
citizens/<id>/invitation/`, the public pages under `/invitation/<token>`, and `invitation_page` and
`withdraw_invitation_page`, which a plugin's own staff pages use for its records.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_date, format_time, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, RadioField, SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from broen.core import audit, mail
from broen.core.auth import start_session
from broen.core.citizens.forms import ConfirmForm
from broen.core.citizens.services import record_view
from broen.core.db import Database, current_db, utcnow
from broen.core.links import absolute_url, qr_data_uri
from broen.core.models import Citizen, Invitation, Membership, Municipality, Role, User
from broen.core.passwords import hash_password
from broen.core.plugins import registry
from broen.core.tenancy import STAFF_ROLES, get_scoped_or_404, require_role

log = logging.getLogger(__name__)

#: How long an invitation link works.
VALID_FOR = timedelta(days=14)
EMAIL, PRINT = "email", "print"
CHANNELS = (EMAIL, PRINT)
#: The shortest password, as for every other account (`accounts.create_user`, `auth.AccountForm`).
MIN_PASSWORD_LENGTH = 10
#: The audit log's object type of a citizen; a plugin's record has its own (`InvitationSubject.type`).
CITIZEN = "citizen"
#: The roles an invitation can give. Staff log-ins are made by an admin, never through a link.
INVITABLE_ROLES = (Role.PARTICIPANT, Role.MENTOR)
_SUBJECT_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
HOOK = "broen_invitation_accepted"


class InvitationError(ValueError):
    """A rule about an invitation was broken; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class InvitationGone(LookupError):
    """The link is unknown, used, withdrawn or expired (the person is not told which)."""


@dataclass(frozen=True, kw_only=True)
class InvitationSubject:
    """A plugin's record that can be invited (a mentor, say): what the invitation needs to know of it.

    `type` names the kind of record, prefixed with the plugin's name (its table's name, e.g.
    "mentors_mentor"); with `id` it is the audit log's object of the invitation's entries. `role` is the
    role the log-in gets in the municipality: participant or mentor. `name` becomes the new log-in's name;
    `email` ("" for none) is where an e-mailed invitation goes, and what the link's page suggests.
    """

    type: str
    id: int
    municipality_id: int
    name: str
    role: Role
    email: str = ""


def _subject(record: Citizen | InvitationSubject) -> InvitationSubject:
    """A citizen as the subject of an invitation (to the participant pages); a plugin's record as it is."""
    if isinstance(record, InvitationSubject):
        return record
    return InvitationSubject(
        type=CITIZEN,
        id=record.id,
        municipality_id=record.municipality_id,
        name=record.name,
        role=Role.PARTICIPANT,
        email=record.email or "",
    )


def subject_of(invitation: Invitation) -> InvitationSubject:
    """Whom an invitation is for: its citizen (read now), or the plugin's record as it was invited."""
    if invitation.citizen is not None:
        return _subject(invitation.citizen)
    assert invitation.subject_type is not None and invitation.subject_id is not None
    return InvitationSubject(
        type=invitation.subject_type,
        id=invitation.subject_id,
        municipality_id=invitation.municipality_id,
        name=invitation.name or "",
        role=invitation.role,
        email=invitation.email or "",
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- texts that name the pages an invitation opens ------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """The texts that name the pages an invitation opens, by the role it gives (participant or mentor).

    Each is a whole sentence, so that a translator sees it whole; the participant's are the texts the
    citizen's invitation always had.
    """

    role: Role

    @property
    def mentor(self) -> bool:
        return self.role == Role.MENTOR

    def title(self) -> str:
        if self.mentor:
            return str(_("Your log-in to the mentor pages"))
        return str(_("Your log-in to the participant pages"))

    def what(self) -> str:
        if self.mentor:
            return str(_("There you see your mentees and your meetings, and can log a meeting."))
        return str(_("There you see your meetings and can sign up for them."))

    def invites_you(self, municipality: str) -> str:
        if self.mentor:
            return str(
                _(
                    "%(municipality)s invites you to the mentor pages. There you see your mentees and your "
                    "meetings, and can log a meeting.",
                    municipality=municipality,
                )
            )
        return str(
            _(
                "%(municipality)s invites you to the participant pages. There you see your meetings and can "
                "sign up for them.",
                municipality=municipality,
            )
        )

    def invite_heading(self, name: str) -> str:
        if self.mentor:
            return str(_("Invite %(name)s to the mentor pages", name=name))
        return str(_("Invite %(name)s to the participant pages", name=name))

    def channel_label(self) -> str:
        if self.mentor:
            return str(_("How does the mentor get the link?"))
        return str(_("How does the citizen get the link?"))

    def use_account(self, name: str, email: str) -> str:
        if self.mentor:
            return str(
                _(
                    "You are logged in as %(name)s (%(email)s). You can use this account for the mentor pages.",
                    name=name,
                    email=email,
                )
            )
        return str(
            _(
                "You are logged in as %(name)s (%(email)s). You can use this account for the participant pages.",
                name=name,
                email=email,
            )
        )

    def other_role(self, municipality: str) -> str:
        if self.mentor:
            return str(
                _(
                    "Your account works in %(municipality)s in another role. A mentor needs a log-in of their "
                    "own: log out, then open the link again.",
                    municipality=municipality,
                )
            )
        return str(
            _(
                "Your account works in %(municipality)s as staff. A participant needs a log-in of their "
                "own: log out, then open the link again.",
                municipality=municipality,
            )
        )

    def welcome_account(self, municipality: str) -> str:
        if self.mentor:
            return str(
                _(
                    "Welcome. Your account now has the mentor pages of %(municipality)s.",
                    municipality=municipality,
                )
            )
        return str(
            _(
                "Welcome. Your account now has the participant pages of %(municipality)s.",
                municipality=municipality,
            )
        )

    def mail_subject(self, municipality: str) -> str:
        if self.mentor:
            return str(_("Your log-in to the mentor pages – %(municipality)s", municipality=municipality))
        return str(_("Your log-in to the participant pages – %(municipality)s", municipality=municipality))

    def mail_invites_you(self, municipality: str) -> str:
        if self.mentor:
            return str(
                _(
                    "%(municipality)s invites you to the mentor pages in broen. There you see your mentees and "
                    "your meetings, and can log a meeting.",
                    municipality=municipality,
                )
            )
        return str(
            _(
                "%(municipality)s invites you to the participant pages in broen. There you see your meetings "
                "and can sign up for them.",
                municipality=municipality,
            )
        )


# --- services ----------------------------------------------------------------------------------------


def _open(now: datetime) -> Any:
    """The condition that an invitation still opens something."""
    return (
        Invitation.used_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


def _of(subject: InvitationSubject) -> Any:
    """The condition that an invitation is `subject`'s."""
    if subject.type == CITIZEN:
        return (Invitation.citizen_id == subject.id,)
    return (
        Invitation.subject_type == subject.type,
        Invitation.subject_id == subject.id,
        Invitation.municipality_id == subject.municipality_id,
    )


def open_invitation(db: Database, record: Citizen | InvitationSubject) -> Invitation | None:
    """The invitation of a citizen or a plugin's record that still works, if any (there is at most one)."""
    return db.session.scalar(
        select(Invitation)
        .where(*_of(_subject(record)), *_open(utcnow()))
        .order_by(Invitation.id.desc())
        .limit(1)
    )


def _audit(db: Database, subject: InvitationSubject, by: User | None, action: str, **details: Any) -> None:
    audit.record(
        db, action, subject.type, subject.id, by=by, municipality_id=subject.municipality_id, **details
    )


def _revoke_open(db: Database, subject: InvitationSubject, by: User | None, reason: str) -> list[int]:
    """Withdraw the subject's open invitations, each audited (the caller commits)."""
    now = utcnow()
    rows = db.session.scalars(
        select(Invitation).where(
            *_of(subject),
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        if row.expires_at > now:
            _audit(db, subject, by, audit.UPDATE, invitation="withdrawn", invitation_id=row.id, reason=reason)
    return [row.id for row in rows]


def _invite(db: Database, subject: InvitationSubject, by: User, channel: str) -> str:
    if channel not in CHANNELS:
        raise InvitationError("channel", _("Choose e-mail or print."))
    if channel == EMAIL and not subject.email:
        raise InvitationError(
            "channel",
            _(
                "%(name)s has no e-mail address. Add one in the field 'E-mail' on the record, or choose print.",
                name=subject.name,
            ),
        )
    _revoke_open(db, subject, by, "replaced")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    if subject.type == CITIZEN:
        whom: dict[str, Any] = {"citizen_id": subject.id}
    else:
        whom = {
            "subject_type": subject.type,
            "subject_id": subject.id,
            "name": subject.name,
            "email": subject.email or None,
        }
    row = Invitation(
        municipality_id=subject.municipality_id,
        role=subject.role,
        token_hash=hash_token(token),
        channel=channel,
        created_by_id=by.id,
        created_at=now,
        expires_at=now + VALID_FOR,
        **whom,
    )
    db.session.add(row)
    db.session.flush()
    _audit(db, subject, by, audit.UPDATE, invitation="created", invitation_id=row.id, channel=channel)
    db.session.commit()
    return token


def invite(db: Database, citizen: Citizen, by: User, channel: str) -> str:
    """A new invitation for `citizen`, handed over by `channel` ("email" or "print"); returns its token.

    Any earlier open invitation of the citizen stops working. Commits; raises `InvitationError` (and writes
    nothing) if the citizen has a log-in already or the channel cannot be used. Sending the e-mail is the
    caller's part (after this commit: mail cannot be rolled back).
    """
    if citizen.user_id is not None:
        raise InvitationError("channel", _("%(name)s has a log-in already.", name=citizen.name))
    return _invite(db, _subject(citizen), by, channel)


def invite_subject(db: Database, subject: InvitationSubject, by: User, channel: str) -> str:
    """A new invitation for a plugin's record, as `invite` for a citizen; returns its token.

    Whether the record may be invited at all (has it a log-in already?) is the plugin's to check first.
    Any earlier open invitation of the record stops working. Commits; raises `InvitationError` (and writes
    nothing) if the channel cannot be used; `ValueError` for a subject no invitation can be for.
    """
    if subject.type == CITIZEN or not _SUBJECT_TYPE.match(subject.type):
        raise ValueError(f"not a plugin's record type: {subject.type!r}")
    if subject.role not in INVITABLE_ROLES:
        raise ValueError(f"an invitation cannot give the role {subject.role!r}")
    if not subject.name.strip():
        raise ValueError("an invited record needs a name")
    return _invite(db, subject, by, channel)


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
        subject_of(invitation),
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


def _hand_over(db: Database, invitation: Invitation, user: User) -> None:
    """Let the plugin whose record was invited link it to `user` (its `broen_invitation_accepted`), inside
    the caller's transaction. A refusal (the plugin raised) rolls everything back and raises
    `InvitationError`; a record that no plugin turned on here owns rolls back and raises `InvitationGone`.

    The registry's own `call` would log a plugin's exception and go on: here it must stop the commit.
    """
    if invitation.subject_type is None:
        return
    plugins = registry()
    municipality = db.session.get_one(Municipality, invitation.municipality_id)
    enabled = plugins.enabled_names(municipality)
    off = [
        plugin for name, plugin in plugins.pm.list_name_plugin() if plugin is not None and name not in enabled
    ]
    caller = plugins.pm.subset_hook_caller(HOOK, remove_plugins=off)
    try:
        answers = caller(invitation=invitation, user=user)
    except Exception as exc:
        db.session.rollback()
        message = getattr(exc, "message", None)
        if not isinstance(message, str) or not message:
            log.exception("a plugin failed in %s for a %s", HOOK, invitation.subject_type)
            message = _("Your log-in could not be made. Ask your coordinator.")
        raise InvitationError("account", message) from exc
    if True not in answers:
        db.session.rollback()
        log.warning("no plugin took the accepted invitation of a %s", invitation.subject_type)
        raise InvitationGone()


def _existing_account_error() -> InvitationError:
    return InvitationError(
        "email",
        _("There is a log-in with this e-mail address already. Log in first, then open the link again."),
    )


def accept(db: Database, invitation: Invitation, email: str, password: str, *, language: str = "da") -> User:
    """Make the invited person's log-in: a new account with the invitation's role in its municipality,
    linked to the citizen record (or, by its plugin, to the plugin's record); the invitation is used up.

    One transaction. Raises `InvitationError` (field "email" or "password", or "account" when the plugin
    refused) or `InvitationGone`, and then nothing is written.
    """
    email = email.strip().lower()
    if not email or "@" not in email:
        raise InvitationError("email", _("Write a valid e-mail address."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvitationError("password", _("At least 10 characters."))
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise _existing_account_error()
    subject = subject_of(invitation)
    citizen = invitation.citizen
    _claim(db, invitation)
    if citizen is not None:
        db.session.refresh(citizen)
        if citizen.user_id is not None:
            db.session.rollback()
            raise InvitationGone()
    user = User(email=email, name=subject.name, password_hash=hash_password(password), language=language)
    db.session.add(user)
    try:
        db.session.flush()  # the e-mail may have been taken a moment ago
    except IntegrityError:
        db.session.rollback()
        raise _existing_account_error() from None
    db.session.add(Membership(user=user, municipality_id=subject.municipality_id, role=invitation.role))
    if citizen is not None:
        citizen.user_id = user.id
    audit.record(
        db,
        audit.CREATE,
        "user",
        user.id,
        by=user,
        municipality_id=subject.municipality_id,
        fields=["email", "name", "password", "language"],
        invitation_id=invitation.id,
    )
    linked = {"fields": ["user_id"]} if citizen is not None else {}
    _audit(db, subject, user, audit.UPDATE, **linked, invitation="used", invitation_id=invitation.id)
    _hand_over(db, invitation, user)
    db.session.commit()
    return user


def link_account(db: Database, invitation: Invitation, user: User) -> None:
    """Link an existing account to the invited citizen (or plugin's record) instead of making a new one
    (the person who opened the link is logged in). Gives the account the invitation's role in the
    municipality if it has none there.

    One transaction. Raises `InvitationError` (field "account") when the account works there in another
    role, is someone else's record already, or the plugin refused; or `InvitationGone`; then nothing is
    written.
    """
    subject = subject_of(invitation)
    citizen = invitation.citizen
    municipality = db.session.get_one(Municipality, subject.municipality_id)
    role = user.role_in(municipality.id)
    if role is not None and role != invitation.role:
        raise InvitationError("account", Audience(invitation.role).other_role(municipality.name))
    if citizen is not None:
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
    if citizen is not None:
        db.session.refresh(citizen)
        if citizen.user_id is not None:
            db.session.rollback()
            raise InvitationError("account", _("This person has a log-in already. Log in with that one."))
    if role is None:
        db.session.add(Membership(user=user, municipality_id=municipality.id, role=invitation.role))
    if citizen is not None:
        citizen.user_id = user.id
    linked = {"fields": ["user_id"]} if citizen is not None else {}
    _audit(
        db,
        subject,
        user,
        audit.UPDATE,
        **linked,
        invitation="used",
        invitation_id=invitation.id,
        existing_account=True,
    )
    _hand_over(db, invitation, user)
    db.session.commit()


@dataclass(frozen=True)
class LoginState:
    """What a record's page says about its log-in."""

    #: The citizen's log-in (None for a plugin's record: the plugin knows its own).
    user: User | None
    open: Invitation | None
    #: The latest invitation, whatever became of it.
    last: Invitation | None


def login_state(db: Database, record: Citizen | InvitationSubject) -> LoginState:
    """The log-in, the open invitation and the latest invitation of a citizen or a plugin's record."""
    last = db.session.scalar(
        select(Invitation).where(*_of(_subject(record))).order_by(Invitation.id.desc()).limit(1)
    )
    now = utcnow()
    is_open = last is not None and last.used_at is None and last.revoked_at is None and last.expires_at > now
    user = record.user if isinstance(record, Citizen) else None
    return LoginState(user=user, open=last if is_open else None, last=last)


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
    record: Citizen | InvitationSubject, municipality: Municipality, link: str, expires_at: datetime
) -> tuple[str, str]:
    """(subject, body) of the invitation e-mail, in the current language."""
    subject = _subject(record)
    audience = Audience(subject.role)
    body = "\n\n".join(
        [
            _("Hello %(name)s,", name=subject.name),
            audience.mail_invites_you(municipality.name),
            _("Open this link and choose a password:"),
            link,
            _(
                "The link works once, until %(when)s. If it does not work, ask your coordinator for a new one.",
                when=local_time(expires_at, municipality.timezone),
            ),
            _("If you did not expect this e-mail, you can delete it."),
        ]
    )
    return audience.mail_subject(municipality.name), body + "\n"


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


# --- the staff pages, for a citizen or a plugin's record --------------------------------------------------

bp = Blueprint("invitations", __name__)
STAFF_PREFIX = "/<municipality>/citizens/<int:citizen_id>/invitation"


@bp.app_template_filter("invitation_time")
def _invitation_time(moment: datetime, timezone: str) -> str:
    return local_time(moment, timezone)


@dataclass(frozen=True)
class _Page:
    """What the invite and withdraw pages need besides the form."""

    record: Citizen | InvitationSubject
    subject: InvitationSubject
    back_url: str
    edit_url: str | None


def _render_invite(page: _Page, form: InviteForm, status: int, **extra: Any) -> ResponseReturnValue:
    return render_template(
        "invitations/invite.html",
        form=form,
        subject=page.subject,
        audience=Audience(page.subject.role),
        state=login_state(current_db(), page.record),
        back_url=page.back_url,
        edit_url=page.edit_url,
        valid_days=VALID_FOR.days,
        **extra,
    ), status


def invitation_page(
    record: Citizen | InvitationSubject,
    *,
    back_url: str,
    edit_url: str | None = None,
    refusal: str | None = None,
) -> ResponseReturnValue:
    """The invite page of a citizen or a plugin's record, answering the current request (a staff view's,
    behind `require_role`, with the record read through `get_scoped_or_404`).

    GET shows the form: e-mail (to the record's address) or print. POST makes the invitation, then shows
    the print page with the link and its QR code (once), or sends the e-mail and redirects to `back_url`
    with a message; if the mail server refuses, the invitation is withdrawn again and the form says so.
    `edit_url` is where the record's e-mail address is added (linked when it has none). `refusal` says
    why the record cannot be invited now: the page shows it instead of the form, and a POST makes nothing
    (409).
    """
    db = current_db()
    subject = _subject(record)
    page = _Page(record, subject, back_url, edit_url)
    audience = Audience(subject.role)
    form = InviteForm()
    form.channel.label.text = audience.channel_label()
    if refusal is not None:
        return _render_invite(page, form, 409 if request.method == "POST" else 200, refusal=refusal)
    if request.method == "GET":
        form.channel.data = EMAIL if subject.email else PRINT
    if not form.validate_on_submit():
        return _render_invite(page, form, 400 if request.method == "POST" else 200)
    channel = form.channel.data
    by = current_user._get_current_object()
    try:
        if isinstance(record, Citizen):
            token = invite(db, record, by, channel)
        else:
            token = invite_subject(db, record, by, channel)
    except InvitationError as err:
        db.session.rollback()
        form[err.field].errors.append(err.message)
        return _render_invite(page, form, 400)
    invitation = find_open(db, token)
    assert invitation is not None
    municipality = invitation.municipality
    link = invitation_link(token)
    if channel == PRINT:
        # The one time the link is shown; the page is for paper, in the installation's language.
        with force_locale(current_app.config["BROEN"].broen.default_language):
            return render_template(
                "invitations/print.html",
                subject=subject,
                audience=audience,
                back_url=back_url,
                municipality=municipality,
                link=link,
                qr=qr_data_uri(link),
                expires=local_time(invitation.expires_at, municipality.timezone),
                login_url=absolute_url("auth.login"),
            )
    with force_locale(current_app.config["BROEN"].broen.default_language):
        mail_subject, body = mail_text(subject, municipality, link, invitation.expires_at)
    try:
        mail.send(subject.email, mail_subject, body)
    except mail.MailError:
        withdraw(db, invitation, by, reason="mail_failed")
        form.channel.errors.append(
            _("The e-mail could not be sent, so no link was made. Try again later, or choose print.")
        )
        return _render_invite(page, form, 502, mail_failed=True)
    flash(
        _(
            "The invitation is sent to %(email)s. The link works until %(when)s.",
            email=subject.email,
            when=local_time(invitation.expires_at, municipality.timezone),
        ),
        "success",
    )
    return redirect(back_url)


def withdraw_invitation_page(record: Citizen | InvitationSubject, *, back_url: str) -> ResponseReturnValue:
    """The withdraw page of a citizen's or a plugin's record's open invitation, answering the current
    request: GET asks to confirm, POST withdraws and redirects to `back_url` with a message (also when
    there is nothing to withdraw)."""
    db = current_db()
    subject = _subject(record)
    invitation = open_invitation(db, subject)
    if invitation is None:
        flash(_("There is no invitation to withdraw."), "info")
        return redirect(back_url)
    form = ConfirmForm()
    if form.validate_on_submit():
        withdraw(db, invitation, current_user._get_current_object())
        flash(_("The invitation is withdrawn. The link does not work any more."), "success")
        return redirect(back_url)
    return render_template(
        "invitations/withdraw.html", form=form, subject=subject, invitation=invitation, back_url=back_url
    )


@bp.route(f"{STAFF_PREFIX}/new", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def new(citizen_id: int) -> ResponseReturnValue:
    """The invite form (also 'New invitation': it says that the open link stops working)."""
    db = current_db()
    citizen = get_scoped_or_404(db, Citizen, citizen_id)
    if request.method == "GET":
        record_view(db, citizen, current_user)  # the page shows the citizen's e-mail address
    return invitation_page(
        citizen,
        back_url=url_for("citizens.show", citizen_id=citizen.id),
        edit_url=url_for("citizens.edit", citizen_id=citizen.id),
    )


@bp.route(f"{STAFF_PREFIX}/withdraw", methods=["GET", "POST"])
@require_role(*STAFF_ROLES)
def withdraw_page(citizen_id: int) -> ResponseReturnValue:
    citizen = get_scoped_or_404(current_db(), Citizen, citizen_id)
    return withdraw_invitation_page(citizen, back_url=url_for("citizens.show", citizen_id=citizen.id))


# --- the link's pages ------------------------------------------------------------------------------------


def _no_store(response: ResponseReturnValue) -> Response:
    """The link pages carry a secret in their address: no copy in any cache."""
    out = current_app.make_response(response)
    out.headers["Cache-Control"] = "no-store"
    return out


def _gone() -> Response:
    return _no_store((render_template("invitations/gone.html"), 404))


def _render_accept(
    invitation: Invitation, token: str, form: AcceptForm, link_form: ConfirmForm, status: int, **extra: Any
) -> Response:
    municipality = invitation.municipality
    return _no_store(
        (
            render_template(
                "invitations/accept.html",
                form=form,
                token=token,
                municipality=municipality,
                audience=Audience(invitation.role),
                expires=local_time(invitation.expires_at, municipality.timezone),
                link_form=link_form,
                **{"existing_account": False, "error": None, **extra},
            ),
            status,
        )
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_page(token: str) -> ResponseReturnValue:
    """Where the link leads: choose a password (or, logged in, use this account)."""
    db = current_db()
    invitation = find_open(db, token)
    if invitation is None:
        return _gone()
    subject = subject_of(invitation)
    municipality = invitation.municipality
    form = AcceptForm()
    if request.method == "POST" and current_user.is_authenticated:
        return redirect(url_for("invitations.accept_page", token=token))
    existing_account = False
    error = None
    if form.validate_on_submit():
        try:
            user = accept(db, invitation, form.email.data, form.password.data, language=_current_language())
        except InvitationGone:
            return _gone()
        except InvitationError as err:
            db.session.rollback()
            if err.field in form:
                form[err.field].errors.append(err.message)
            else:
                error = err.message
            existing_account = (
                err.field == "email"
                and db.session.scalar(select(User.id).where(User.email == form.email.data.strip().lower()))
                is not None
            )
        else:
            start_session(user)
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
            form.email.data = subject.email or None
        _audit(db, subject, None, audit.VIEW, invitation="opened", invitation_id=invitation.id)
        db.session.commit()
    status = 400 if request.method == "POST" else 200
    return _render_accept(
        invitation, token, form, ConfirmForm(), status, existing_account=existing_account, error=error
    )


def _current_language() -> str:
    return str(get_locale() or current_app.config["BROEN"].broen.default_language)


@bp.route("/invitation/<token>/use-my-account", methods=["POST"])
def use_account(token: str) -> ResponseReturnValue:
    """Link the logged-in account to the invited person's record instead of making a new log-in."""
    db = current_db()
    invitation = find_open(db, token)
    if invitation is None:
        return _gone()
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("invitations.accept_page", token=token)))
    form = ConfirmForm()
    municipality = invitation.municipality
    audience = Audience(invitation.role)
    if form.validate_on_submit():
        try:
            link_account(db, invitation, current_user._get_current_object())
        except InvitationGone:
            return _gone()
        except InvitationError as err:
            db.session.rollback()
            return _render_accept(invitation, token, AcceptForm(formdata=None), form, 409, error=err.message)
        flash(audience.welcome_account(municipality.name), "success")
        return redirect(url_for("core.home", municipality=municipality.slug))
    return redirect(url_for("invitations.accept_page", token=token))


__all__ = [
    "CHANNELS",
    "INVITABLE_ROLES",
    "MIN_PASSWORD_LENGTH",
    "VALID_FOR",
    "Audience",
    "InvitationError",
    "InvitationGone",
    "InvitationSubject",
    "LoginState",
    "accept",
    "bp",
    "find_open",
    "invitation_page",
    "invite",
    "invite_subject",
    "link_account",
    "login_state",
    "open_invitation",
    "subject_of",
    "withdraw",
    "withdraw_invitation_page",
]
