"""HTTP hardening applied to every response: cookies, CSP and friends, CSRF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from broen.core.config import Settings

csrf = CSRFProtect()

# Pages use only our own scripts and styles; nothing may frame us.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Flask-Admin's templates carry inline scripts and styles; it is staff-only and still unframeable.
ADMIN_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="broen_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.security.session_lifetime_minutes),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        # No request body over 12 MiB is read at all (a page's attachment may be 10 MiB, plus the form).
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
    )
    csrf.init_app(app)

    @app.before_request
    def refuse_nul() -> Any:
        """No one types a NUL character, and PostgreSQL cannot store one: refuse it in any field or query
        parameter at the door, naming the field, instead of failing deep inside (a 500)."""
        fields = [*request.args.items(multi=True)]
        if request.method != "GET":
            fields += request.form.items(multi=True)
        bad = sorted({name for name, value in fields if "\x00" in value})
        if not bad:
            return None
        message = _(
            "The field %(field)s holds an invisible control character (NUL), which no form takes. Go back, "
            "remove it and send again.",
            field=", ".join(bad),
        )
        return render_template(
            "errors/error.html", title=_("Something in the request was wrong"), message=message
        ), 400

    @app.after_request
    def headers(response: Response) -> Response:
        # "/admin" itself or below it, not every path that begins so (a municipality "adminby").
        is_admin = request.path == "/admin" or request.path.startswith("/admin/")
        response.headers.setdefault("Content-Security-Policy", ADMIN_CSP if is_admin else CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.is_production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "Cache-Control" not in response.headers and current_user.is_authenticated:
            # Pages behind the login show special-category data: no copy on disk, and nothing for the
            # Back button to show on a shared computer after logging out.
            response.headers["Cache-Control"] = "no-store"
        return response
