"""Municipalities in URLs, roles per municipality, and the one way to read tenant data.

Every URL of tenant data starts with `/<municipality>/`. The URL processors below take the slug off
before a view runs and put the `Municipality` on `g`; `url_for` puts it back. `scoped(Model)` is the
only query helper views and services use for tenant rows, and `require_role` guards every view.

Beneath `require_role` lies a default: a `/<municipality>/...` page outside `/<municipality>/public/`
is only for people with a role in that municipality, so a view (a plugin's, say) that forgets
`require_role` still shows nothing to anonymous visitors or to another municipality's staff.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import Select, select

from broen.core.db import Database
from broen.core.models import Municipality, Role, TenantMixin, User

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T", bound=TenantMixin)

#: Who may do what: a role includes the ones after it only where said here (an admin is also staff).
STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR)
#: Pages under this prefix are open to everyone; they must never name a citizen.
PUBLIC_PREFIX = "/<municipality>/public/"


def current_municipality() -> Municipality:
    """The municipality of the current request (404 was answered already if the slug is unknown)."""
    municipality: Municipality | None = g.get("municipality")
    if municipality is None:
        raise RuntimeError("current_municipality() outside a /<municipality>/ request")
    return municipality


def current_role() -> Role | None:
    """The logged-in user's role in the current municipality, or None."""
    if not current_user.is_authenticated:
        return None
    role: Role | None = current_user.role_in(current_municipality().id)
    return role


def scoped(model: type[T], municipality: Municipality | None = None) -> Select[T]:
    """`select(model)` limited to one municipality: the way to read tenant rows.

    Views leave `municipality` out (the request's is used); services, which take plain values and run
    outside requests too (CLI, demo data), pass the one they work in.
    """
    where = municipality if municipality is not None else current_municipality()
    return select(model).where(model.municipality_id == where.id)


def get_scoped_or_404(db: Database, model: type[T], id_: int) -> T:
    """One tenant row by id, or 404 if it does not exist *in this municipality*."""
    row: T | None = db.session.scalar(scoped(model).where(model.id == id_))  # type: ignore[attr-defined,arg-type]
    if row is None:
        abort(404)
    return row


def require_role(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let a view run only for users with one of `roles` in the current municipality.

    Anonymous users are sent to the login page; logged-in users without the role get 403 (and learn
    nothing about the data).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))  # type: ignore[return-value]
            if current_role() not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def memberships_with(user: User, *roles: Role) -> list[int]:
    """Ids of the municipalities where `user` holds one of `roles`."""
    return [m.municipality_id for m in user.memberships if m.role in roles]


def init_app(app: Flask, db: Database) -> None:
    @app.url_value_preprocessor
    def pull_municipality(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if not values or "municipality" not in values:
            return
        slug = values.pop("municipality")
        rule = request.url_rule
        view = app.view_functions.get(endpoint or "")
        if getattr(view, "resolves_municipality", False) and rule and rule.rule.startswith(PUBLIC_PREFIX):
            # A cached public feed (broen.calendar.cache.feed_view): its one query finds the municipality.
            g.pop("municipality", None)
            g.municipality_slug = slug
            return
        g.pop("municipality_slug", None)
        municipality = db.session.scalar(select(Municipality).where(Municipality.slug == slug))
        if municipality is None:
            abort(404)
        g.municipality = municipality

    @app.before_request
    def members_only() -> Any:
        rule = request.url_rule
        if "municipality" not in g or rule is None or rule.rule.startswith(PUBLIC_PREFIX):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if current_user.role_in(g.municipality.id) is None:
            abort(403)
        return None

    @app.url_defaults
    def add_municipality(endpoint: str, values: dict[str, Any]) -> None:
        if "municipality" in values or "municipality" not in g:
            return
        if app.url_map.is_endpoint_expecting(endpoint, "municipality"):
            values["municipality"] = g.municipality.slug
