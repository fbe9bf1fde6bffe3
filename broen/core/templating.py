"""What every page's template gets: the menu, the user's municipalities, plugin failures, languages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from broen.core.models import Role
from broen.core.plugin_values import MenuItem
from broen.core.plugins import PluginRegistry
from broen.core.tenancy import STAFF_ROLES

log = logging.getLogger(__name__)


def menu(plugins: PluginRegistry) -> list[tuple[str, str]]:
    """(label, url) pairs for the current user in the current municipality, core items first."""
    if "municipality" not in g or not current_user.is_authenticated:
        return []
    municipality = g.municipality
    role = current_user.role_in(municipality.id)
    if role is None:
        return []
    items = [MenuItem(_("Start"), "core.home", order=0)]
    if role in STAFF_ROLES:
        items.append(MenuItem(_("Citizens"), "citizens.index", order=10))
        items.append(MenuItem(_("Calendar"), "calendar.staff", order=20))
    items += plugins.call_flat("broen_menu_items", municipality, municipality=municipality, user=current_user)
    out = []
    for item in sorted(items, key=lambda i: i.order):
        try:
            out.append((item.label, url_for(item.endpoint)))
        except Exception:  # a plugin's bad endpoint must not take the menu down
            log.exception("menu item %r has an endpoint that cannot be built", item)
    return out


def init_app(app: Flask, plugins: PluginRegistry) -> None:
    @app.context_processor
    def page_context() -> dict[str, Any]:
        return {
            "broen_menu": lambda: menu(plugins),
            "plugin_failures": lambda: g.get("plugin_failures", []),
            "current_language": lambda: str(get_locale() or "da"),
            "is_municipality_admin": lambda: (
                "municipality" in g
                and current_user.is_authenticated
                and current_user.role_in(g.municipality.id) == Role.ADMIN
            ),
        }
