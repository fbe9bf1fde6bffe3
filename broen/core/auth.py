"""Logging in and out: argon2id password hashes, throttled attempts, two-factor codes, Flask-Login sessions.

Password guessing is slowed per account and per address (both counted in the database, so it holds
across processes); wrong one-time codes count the same way. Passwords are never logged; a failed login
says only that e-mail or password was wrong, so it does not reveal which accounts exist. A session ends
when its account is deactivated, its password changes, or its session version is raised (an admin's "end
sessions", two-factor login turned on or off): the session remembers a key derived from both.

With two-factor login on (broen.core.two_factor), the password opens only a pending step: the user is
logged in after typing a one-time code from their app, or a recovery code. A user whose municipality
requires two-factor login and who has not turned it on is sent to set it up before any other page.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from broen.core import audit, links, passwords, two_factor
from broen.core.db import Database, current_db, utcnow
from broen.core.models import LoginFailure, User
from broen.core.passwords import hash_password

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to see this page.")

#: The session entry that ties a session to the password (and session version) it was opened with.
SESSION_KEY = "broen_auth"
#: The session entry of a login whose password was right and whose one-time code is still to come.
PENDING_KEY = "broen_pending_login"
#: How long that step waits for the code before the password must be typed again.
PENDING_SECONDS = 300
#: Pages a user who must set up two-factor login may still open.
SETUP_ALLOWS = frozenset({"auth.two_factor_setup", "auth.logout", "static", "core.health"})


def verify_password(user: User | None, password: str) -> bool:
    return passwords.matches(user.password_hash if user else None, password)


def session_key(user: User) -> str:
    """Changes whenever the password or the session version does; an HMAC, so the cookie says nothing
    about the hash."""
    secret = str(current_app.secret_key).encode()
    message = f"{user.password_hash}:{user.session_version or 0}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def start_session(user: User) -> None:
    """Log `user` in: a new session tied to their password and session version (the caller has checked
    everything that lets them in)."""
    db = current_db()
    user.last_login_at = utcnow()
    db.session.commit()
    session.pop(PENDING_KEY, None)
    login_user(user)
    # A permanent session expires after security.session_lifetime_minutes without a request (the cookie
    # is renewed on each one); a plain one would last until the browser closes.
    session.permanent = True
    session[SESSION_KEY] = session_key(user)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (an open redirect lends our login to phishing).

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so a path with a tab or
    a backslash between its first two slashes would leave the site: only plain local paths pass.
    """
    if not target or any(ch == "\\" or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Length(max=254, message=_l("At most 254 characters."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code"),
        validators=[DataRequired(_l("Write the code."))],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )


class PasswordCheckForm(FlaskForm):  # type: ignore[misc]
    """An action on one's own two-factor login: the password says it is really the account's owner."""

    current_password = PasswordField(
        _l("Your password"), validators=[DataRequired(_l("Write your password."))]
    )


class AccountForm(FlaskForm):  # type: ignore[misc]
    language = SelectField(
        _l("Language"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")]
    )
    current_password = PasswordField(_l("Current password"), validators=[Optional()])
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=10, message=_l("At least 10 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )


def _locked_for(db: Database, email: str, addr: str) -> int:
    """Minutes until another attempt is allowed for this account or address (0: allowed now)."""
    sec = current_app.config["BROEN"].security
    since = utcnow() - timedelta(minutes=sec.login_lockout_minutes)
    waits = []
    for column, value, limit in (
        (LoginFailure.email, email, sec.login_max_failures_per_account),
        (LoginFailure.remote_addr, addr, sec.login_max_failures_per_address),
    ):
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(column == value, LoginFailure.at > since)
        ).one()
        if count >= limit:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=since.tzinfo)
            remaining = oldest + timedelta(minutes=sec.login_lockout_minutes) - utcnow()
            waits.append(max(1, math.ceil(remaining.total_seconds() / 60)))
    return max(waits, default=0)


def _too_many(minutes: int) -> None:
    flash(_("Too many failed attempts. Wait %(minutes)d minutes and try again.", minutes=minutes), "error")


def _failed(db: Database, email: str) -> None:
    """Count a wrong password or code against the account and the address (committed at once)."""
    db.session.add(LoginFailure(email=email, remote_addr=request.remote_addr or "unknown"))
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = current_db()
        email = form.email.data.strip().lower()
        minutes = _locked_for(db, email, request.remote_addr or "unknown")
        if minutes:
            _too_many(minutes)
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.email == email))
        if verify_password(user, form.password.data) and user is not None and user.active:
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)  # stronger parameters since
            target = safe_next(request.args.get("next"))
            if user.has_two_factor:
                # The failures stay counted until the code is right too: a known password must not
                # reset the count of guessed codes.
                db.session.commit()
                session[PENDING_KEY] = {
                    "user": user.id,
                    "key": session_key(user),
                    "until": int(time.time()) + PENDING_SECONDS,
                    "next": target,
                }
                return redirect(url_for("auth.login_code"))
            db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
            start_session(user)
            return redirect(target or url_for("core.index"))
        _failed(db, email)
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


def _pending_user(db: Database) -> User | None:
    """The user whose password was right a moment ago in this browser, if the step is still open."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(pending.get("until", 0)) < time.time():
        return None
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active or not user.has_two_factor or pending.get("key") != session_key(user):
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    """The second step of a login with two-factor login on: a code from the app, or a recovery code."""
    db = current_db()
    user = _pending_user(db)
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Log in again: the step for the code was not started or took too long."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        minutes = _locked_for(db, user.email, request.remote_addr or "unknown")
        if minutes:
            _too_many(minutes)
            return render_template("auth/login_code.html", form=form), 429
        by_app = two_factor.check_code(user, form.code.data)
        by_recovery = not by_app and two_factor.use_recovery_code(db, user, form.code.data)
        if by_app or by_recovery:
            target = session[PENDING_KEY].get("next")
            db.session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
            start_session(user)
            if by_recovery:
                left = two_factor.unused_recovery_codes(db, user)
                flash(
                    ngettext(
                        "You logged in with a recovery code. You have %(num)d left: make new ones on "
                        "your account page if you have lost your phone.",
                        "You logged in with a recovery code. You have %(num)d left: make new ones on "
                        "your account page if you have lost your phone.",
                        left,
                    ),
                    "warning",
                )
            return redirect(safe_next(target) or url_for("core.index"))
        _failed(db, user.email)
        form.code.errors.append(
            _("That code is not right. Codes change every 30 seconds: use the newest one.")
        )
        return render_template("auth/login_code.html", form=form), 400
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login_code.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    # POST with a CSRF token: a link or an image elsewhere cannot log people out.
    logout_user()
    session.pop(SESSION_KEY, None)
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


def _password_refused(db: Database, user: User, field: Any) -> int | None:
    """None if `field` holds the user's password, else the status to answer (the message is set).

    Whoever holds an open session must still know the password to change what guards the account;
    wrong guesses count towards the same lock-out as failed logins.
    """
    minutes = _locked_for(db, user.email, request.remote_addr or "unknown")
    if minutes:
        _too_many(minutes)
        return 429
    if not verify_password(user, field.data or ""):
        _failed(db, user.email)
        field.errors = [*field.errors, _("That is not your current password.")]
        return 400
    return None


@bp.route("/me", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        db = current_db()
        if form.password.data:
            if status := _password_refused(db, user, form.current_password):
                return render_template("auth/account.html", form=form), status
            user.password_hash = hash_password(form.password.data)
        user.language = form.language.data
        session.pop("lang", None)  # the account's language now applies, not an earlier footer choice
        db.session.commit()
        # This session goes on with the new password; every other session of the account ends.
        session[SESSION_KEY] = session_key(user)
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/account.html", form=form), status


def _two_factor_page(user: User, status: int = 200, **forms: Any) -> ResponseReturnValue:
    db = current_db()
    context: dict[str, Any] = {"required": two_factor.required_for(user)}
    if user.has_two_factor:
        context["unused"] = two_factor.unused_recovery_codes(db, user)
        forms.setdefault("codes_form", PasswordCheckForm(prefix="codes"))
        forms.setdefault("off_form", PasswordCheckForm(prefix="off"))
    else:
        secret = user.totp_secret or ""
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        context["qr"] = links.qr_data_uri(two_factor.provisioning_uri(user, secret, "broen"))
        forms.setdefault("form", CodeForm())
    return render_template("auth/two_factor.html", **context, **forms), status


def _two_factor_changed(db: Database, user: User, what: str) -> None:
    """Audit and commit a change of the user's two-factor login; this session goes on (others end)."""
    audit.record(db, audit.UPDATE, "user", user.id, by=user, fields=[what])
    db.session.commit()
    session[SESSION_KEY] = session_key(user)


@bp.route("/me/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup() -> ResponseReturnValue:
    """Turn two-factor login on (scan the QR code, type the first code), or see that it is on."""
    user: User = current_user._get_current_object()
    db = current_db()
    if user.has_two_factor:
        return _two_factor_page(user)
    if not user.totp_secret:
        # Kept until the first code proves the app has it; the same one is shown until then.
        user.totp_secret = two_factor.new_secret()
        db.session.commit()
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data):
            codes = two_factor.enable(db, user)
            _two_factor_changed(db, user, "two_factor")
            return render_template("auth/recovery_codes.html", codes=codes, new=True)
        form.code.errors.append(
            _("That code is not right. Check the clock of your phone, and use the newest code.")
        )
        return _two_factor_page(user, 400, form=form)
    return _two_factor_page(user, 400 if request.method == "POST" else 200, form=form)


@bp.route("/me/two-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    db = current_db()
    form = PasswordCheckForm(prefix="codes")
    if not user.has_two_factor:
        return redirect(url_for("auth.two_factor_setup"))
    if not form.validate_on_submit():
        return _two_factor_page(user, 400, codes_form=form)
    if status := _password_refused(db, user, form.current_password):
        return _two_factor_page(user, status, codes_form=form)
    codes = two_factor.new_recovery_codes(db, user)
    _two_factor_changed(db, user, "recovery_codes")
    return render_template("auth/recovery_codes.html", codes=codes, new=False)


@bp.route("/me/two-factor/off", methods=["POST"])
@login_required
def two_factor_off() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    db = current_db()
    form = PasswordCheckForm(prefix="off")
    if not user.has_two_factor:
        return redirect(url_for("auth.two_factor_setup"))
    if two_factor.required_for(user):
        flash(_("Your municipality requires two-factor login, so it cannot be turned off."), "error")
        return redirect(url_for("auth.two_factor_setup"))
    if not form.validate_on_submit():
        return _two_factor_page(user, 400, off_form=form)
    if status := _password_refused(db, user, form.current_password):
        return _two_factor_page(user, status, off_form=form)
    two_factor.disable(db, user)
    _two_factor_changed(db, user, "two_factor")
    flash(_("Two-factor login is off. You log in with your password alone."), "success")
    return redirect(url_for("auth.account"))


def init_app(app: Flask, db: Database) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        # Checked on every request, not only at login: a deactivated account or a changed password
        # ends the sessions that are open (Flask-Login alone would keep them going).
        try:
            user = db.session.get(User, int(user_id))
        except ValueError:
            return None
        if user is None or not user.active or session.get(SESSION_KEY) != session_key(user):
            return None
        return user

    @app.before_request
    def two_factor_first() -> Any:
        """Staff whose municipality requires two-factor login set it up before they see anything else."""
        if (
            request.endpoint in SETUP_ALLOWS
            or (request.endpoint or "").endswith(".static")
            or not current_user.is_authenticated
            or current_user.has_two_factor
            or not two_factor.required_for(current_user)
        ):
            return None
        if request.method == "GET":
            flash(_("Your municipality requires two-factor login. Set it up to go on."), "info")
        return redirect(url_for("auth.two_factor_setup"))

    app.register_blueprint(bp)
