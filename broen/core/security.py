"""HTTP hardening applied to every response: cookies, CSP and friends, CSRF."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
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
    )
    csrf.init_app(app)

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
