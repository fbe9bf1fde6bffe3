"""The public API of broen for plugins: everything a plugin may import from the core.

Anything not named here is private to the core and may change without notice. A plugin talks to
the core through the hooks in `broen.core.hookspecs` and these helpers only (plus Flask, SQLAlchemy
and WTForms themselves). `gettext`/`lazy_gettext` are Flask-Babel's: a plugin's `translations/`
folder, next to its module, is found by itself.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext, lazy_gettext

from broen.admin.views import ScopedModelView
from broen.calendar.events import CalendarEvent
from broen.calendar.versions import CalendarSource
from broen.core import audit, mail
from broen.core.db import Base, Database, UTCDateTime, utcnow
from broen.core.hookspecs import hookimpl
from broen.core.models import Citizen, Municipality, Role, TenantMixin, User
from broen.core.plugin_values import CitizenPanel, MenuItem, PluginInfo, WorklistItem
from broen.core.tenancy import current_municipality, current_role, get_scoped_or_404, require_role, scoped


def db() -> Database:
    """The current app's database (`db().session` is the request's session)."""
    database: Database = current_app.extensions["broen.db"]
    return database


def plugin_settings(plugin: str, municipality: Municipality) -> dict[str, Any]:
    """A plugin's settings in a municipality: defaults overlaid with what its admin saved.

    Every key of the plugin's `PluginInfo.defaults` is there, with the type of its default.
    """
    settings: dict[str, Any] = current_app.extensions["broen.plugins"].settings(plugin, municipality)
    return settings


__all__ = [
    "Base",
    "CalendarEvent",
    "CalendarSource",
    "Citizen",
    "CitizenPanel",
    "Database",
    "MenuItem",
    "Municipality",
    "PluginInfo",
    "Role",
    "ScopedModelView",
    "TenantMixin",
    "UTCDateTime",
    "User",
    "WorklistItem",
    "audit",
    "current_municipality",
    "current_role",
    "db",
    "get_scoped_or_404",
    "gettext",
    "hookimpl",
    "lazy_gettext",
    "mail",
    "plugin_settings",
    "require_role",
    "scoped",
    "utcnow",
]
