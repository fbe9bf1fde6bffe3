"""Logging in and out: argon2id password hashes, throttled attempts, Flask-Login sessions.

Password guessing is slowed per account and per address (both counted in the database, so it holds
across processes). Passwords are never logged; a failed login says only that e-mail or password was
wrong, so it does not reveal which accounts exist. A session ends when its account is deactivated or
its password changes (the session remembers a key derived from the password hash).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from broen.core.db import Database, current_db, utcnow
from broen.core.models import LoginFailure, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both cases take the same time.

    Made on first use, not at import: every `broen` command imports this module.
    """
    return _hasher.hash("not a password of anyone")


bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to see this page.")

#: The session entry that ties a session to the password it was opened with.
SESSION_KEY = "broen_auth"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def session_key(user: User) -> str:
    """Changes whenever the password does; an HMAC, so the cookie says nothing about the hash."""
    secret = str(current_app.secret_key).encode()
    return hmac.new(secret, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


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
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = current_db()
        email = form.email.data.strip().lower()
        addr = request.remote_addr or "unknown"
        minutes = _locked_for(db, email, addr)
        if minutes:
            flash(
                _(
                    "Too many failed attempts. Wait %(minutes)d minutes and try again.",
                    minutes=minutes,
                ),
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.email == email))
        if verify_password(user, form.password.data) and user is not None and user.active:
            db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = hash_password(form.password.data)  # stronger parameters since
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            # A permanent session expires after security.session_lifetime_minutes without a request
            # (the cookie is renewed on each one); a plain one would last until the browser closes.
            session.permanent = True
            session[SESSION_KEY] = session_key(user)
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
        db.session.add(LoginFailure(email=email, remote_addr=addr))
        db.session.commit()
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    # POST with a CSRF token: a link or an image elsewhere cannot log people out.
    logout_user()
    session.pop(SESSION_KEY, None)
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        db = current_db()
        if form.password.data:
            # Whoever holds an open session must still know the password to change it; wrong guesses
            # count towards the same lock-out as failed logins.
            minutes = _locked_for(db, user.email, request.remote_addr or "unknown")
            if minutes:
                flash(
                    _("Too many failed attempts. Wait %(minutes)d minutes and try again.", minutes=minutes),
                    "error",
                )
                return render_template("auth/account.html", form=form), 429
            if not verify_password(user, form.current_password.data or ""):
                db.session.add(LoginFailure(email=user.email, remote_addr=request.remote_addr or "unknown"))
                db.session.commit()
                form.current_password.errors.append(_("That is not your current password."))
                return render_template("auth/account.html", form=form), 400
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

    app.register_blueprint(bp)
