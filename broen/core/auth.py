"""Logging in and out: argon2id password hashes, throttled attempts, Flask-Login sessions.

Password guessing is slowed per account and per address (both counted in the database, so it holds
across processes). Passwords are never logged; a failed login says only that e-mail or password was
wrong, so it does not reveal which accounts exist.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from wtforms import EmailField, PasswordField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from broen.core.db import Database, utcnow
from broen.core.models import LoginFailure, User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to see this page.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class AccountForm(FlaskForm):  # type: ignore[misc]
    language = SelectField(_l("Language"), choices=[SelectChoice("da", "Dansk"), SelectChoice("en", "English")])
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=10, message=_l("At least 10 characters."))],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[EqualTo("password", message=_l("The passwords differ."))],
    )


def _db() -> Database:
    db: Database = current_app.extensions["broen.db"]
    return db


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
        db = _db()
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
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            target = request.args.get("next", "")
            # Only local paths: an open redirect would let a phishing link borrow our login page.
            if not target.startswith("/") or target.startswith("//") or "\\" in target:
                target = url_for("core.index")
            return redirect(target)
        db.session.add(LoginFailure(email=email, remote_addr=addr))
        db.session.commit()
        flash(_("Wrong e-mail or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    # POST with a CSRF token: a link or an image elsewhere cannot log people out.
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/me", methods=["GET", "POST"])
@login_required  # type: ignore[misc]
def account() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        user.language = form.language.data
        if form.password.data:
            user.password_hash = hash_password(form.password.data)
        _db().session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


def init_app(app: Flask, db: Database) -> None:
    login_manager.init_app(app)

    @login_manager.user_loader  # type: ignore[misc]
    def load_user(user_id: str) -> Any:
        try:
            return db.session.get(User, int(user_id))
        except ValueError:
            return None

    app.register_blueprint(bp)
