"""Languages: Danish by default, English per user (or per visitor before login)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, lazy_gettext
from flask_login import current_user

if TYPE_CHECKING:
    from broen.core.models import User

LANGUAGES = ("da", "en")
#: The days of the week, Monday first (as `date.weekday()` counts them), translated when shown.
WEEKDAYS = [
    lazy_gettext("Monday"),
    lazy_gettext("Tuesday"),
    lazy_gettext("Wednesday"),
    lazy_gettext("Thursday"),
    lazy_gettext("Friday"),
    lazy_gettext("Saturday"),
    lazy_gettext("Sunday"),
]
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    """The most recent explicit choice wins: the footer link (kept in the session), then the account's
    language (saving it on /me clears the footer choice), then the installation's default. Outside a
    request (the command line, a service called from a script or a worker thread) the default."""
    if not has_request_context():
        return str(current_app.config["BROEN"].broen.default_language)
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return lang
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    return str(current_app.config["BROEN"].broen.default_language)


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Copenhagen"
    # A Babel of its own per app: Flask-Babel caches translations on it, and apps with other plugins
    # (each may bring a catalogue) must not share that cache.
    Babel().init_app(app, locale_selector=select_locale)


def language_of(user: User | None) -> str:
    """The language to write to `user` in ("da" or "en"), e.g. an e-mail rendered under Flask-Babel's
    `force_locale`: their own choice, or the installation's default when there is no user."""
    if user is not None and user.language in LANGUAGES:
        return str(user.language)
    return str(current_app.config["BROEN"].broen.default_language)
