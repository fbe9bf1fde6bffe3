"""The core's own pages: choosing a municipality, and a municipality's start page (the worklist)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from broen.core import metrics as app_metrics
from broen.core.models import Role
from broen.core.plugins import registry
from broen.core.tenancy import current_municipality, current_role, require_role

bp = Blueprint("core", __name__)

ALL_ROLES = tuple(Role)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Send a user with one municipality straight there; let one with several choose."""
    memberships = sorted(current_user.memberships, key=lambda m: m.municipality.name)
    if len(memberships) == 1:
        return redirect(url_for("core.home", municipality=memberships[0].municipality.slug))
    return render_template("core/choose_municipality.html", memberships=memberships)


@bp.route("/<municipality>/")
@require_role(*ALL_ROLES)
def home() -> ResponseReturnValue:
    municipality = current_municipality()
    if current_role() is None:
        abort(403)
    worklist = registry().call_flat(
        "broen_worklist_items", municipality, municipality=municipality, user=current_user
    )
    panels = registry().call_flat(
        "broen_home_panels", municipality, municipality=municipality, user=current_user
    )
    return render_template("core/home.html", worklist=worklist, panels=sorted(panels, key=lambda p: p.order))


@bp.route("/healthz")
def health() -> ResponseReturnValue:
    return {"status": "ok"}


@bp.route("/readyz")
def ready() -> ResponseReturnValue:
    """For a load balancer: 200 when the database answers and its migrations are this release's, else 503."""
    return app_metrics.readiness(current_app._get_current_object())  # type: ignore[attr-defined]


@bp.route("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics, no login (the proxy lets only the scraper in); a 404 unless [metrics] enabled."""
    return app_metrics.exposition()


_ERRORS = {
    400: (_l("Something in the request was wrong"), _l("Go back and try again.")),
    403: (_l("You do not have access"), _l("Your role does not give access to this page.")),
    404: (_l("The page does not exist"), _l("Check the address, or start from the front page.")),
    409: (
        _l("That cannot be done now"),
        _l("The record has changed in the meantime. Go back and reload."),
    ),
    413: (
        _l("The file is too big"),
        _l("broen takes files of up to 10 MB. Go back and choose a smaller file."),
    ),
    500: (_l("Something went wrong"), _l("The error is logged. Try again in a little while.")),
}


@bp.app_errorhandler(400)
@bp.app_errorhandler(403)
@bp.app_errorhandler(404)
@bp.app_errorhandler(409)
@bp.app_errorhandler(413)
@bp.app_errorhandler(500)
def error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    title, message = _ERRORS.get(code, _ERRORS[500])
    if request.path.startswith("/admin") or request.path.endswith(".ics"):
        return exc.description or str(title), code
    return render_template("errors/error.html", title=title, message=message), code
