"""The public API of broen for plugins: everything a plugin may import from the core.

Anything not named here is private to the core and may change without notice. A plugin talks to
the core through the hooks in `broen.core.hookspecs` and these helpers only (plus Flask, SQLAlchemy
and WTForms themselves). `gettext`/`ngettext`/`lazy_gettext` are Flask-Babel's: a plugin's `translations/`
folder, next to its module, is found by itself; `force_locale` and `format_date` too (an e-mail in its
reader's language).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, format_date, format_decimal, lazy_gettext, ngettext
from flask_babel import gettext as _gettext
from flask_login import current_user as _current_user

from broen.admin.views import ScopedModelView
from broen.calendar import tokens as _calendar_tokens
from broen.calendar.cache import feed_view, municipality_feed
from broen.calendar.events import CalendarEvent
from broen.calendar.versions import CalendarSource
from broen.calendar.views import feed_links as _feed_links
from broen.core import audit, mail, public_forms
from broen.core.citizens.forms import ConfirmForm
from broen.core.citizens.services import CitizenData, CitizenError, add_citizen, citizens_named
from broen.core.configuration import ConfigurationError
from broen.core.dates import add_months, week_end
from broen.core.db import Base, Database, UTCDateTime, current_db, lock_row, utcnow
from broen.core.exports import csv_cell
from broen.core.extra_columns import (
    ListColumn,
    ListOptions,
    ListValues,
    list_options,
)
from broen.core.extra_fields import (
    ExtraFact,
    ExtraField,
    ExtraFieldError,
    extra_facts,
    extra_form,
    save_extras,
)
from broen.core.hookspecs import hookimpl
from broen.core.i18n import WEEKDAYS, language_of
from broen.core.invitations import (
    InvitationError,
    InvitationSubject,
    invitation_page,
    invite_subject,
    withdraw_invitation_page,
)
from broen.core.invitations import LoginState as _LoginState
from broen.core.invitations import login_state as _login_state
from broen.core.links import absolute_url
from broen.core.models import (
    Citizen,
    CitizenStatus,
    CitizenStatusChange,
    Invitation,
    Municipality,
    Role,
    TenantMixin,
    User,
)
from broen.core.pagination import Page, paginate, requested_page
from broen.core.plugin_values import (
    CitizenPanel,
    DataSection,
    FieldTarget,
    HomePanel,
    MenuItem,
    OutcomeFigure,
    PluginInfo,
    WorklistItem,
)
from broen.core.privacy import data_records
from broen.core.tenancy import current_municipality, current_role, get_scoped_or_404, require_role, scoped


def db() -> Database:
    """The current app's database (`db().session` is the request's session)."""
    return current_db()


def current_user() -> User:
    """The logged-in user (in a view behind `require_role`, there is one)."""
    user: User = _current_user._get_current_object()
    return user


def gettext(text: str, **values: Any) -> str:
    """Flask-Babel's `gettext`, typed: `_ = api.gettext` in a plugin module."""
    return str(_gettext(text, **values))


def local_today(municipality: Municipality) -> date:
    """Today in the municipality's time zone."""
    return datetime.now(ZoneInfo(municipality.timezone)).date()


def local_date(moment: datetime | None, municipality: Municipality) -> date | None:
    """The day of a stored (UTC) moment in the municipality's time zone (None for None)."""
    return moment.astimezone(ZoneInfo(municipality.timezone)).date() if moment is not None else None


def plugin_settings(plugin: str, municipality: Municipality) -> dict[str, Any]:
    """A plugin's settings in a municipality: defaults overlaid with what its admin saved.

    Every key of the plugin's `PluginInfo.defaults` is there, with the type of its default.
    """
    settings: dict[str, Any] = current_app.extensions["broen.plugins"].settings(plugin, municipality)
    return settings


def field_error(form: Any, error: Any, fallback: str) -> None:
    """Show a service's error (an exception with `.field` and `.message`) on the form field it names, or on
    `fallback` when the form has no such field; the page then shows it like a validation error."""
    name = error.field if error.field in form else fallback
    form[name].errors = [*form[name].errors, error.message]


def plugin_enabled(plugin: str, municipality: Municipality) -> bool:
    """Whether `plugin` is on in `municipality`. A plugin's pages and hooks are limited to where it is on
    already; this is for work outside them, e.g. a command that goes through every municipality."""
    enabled: bool = current_app.extensions["broen.plugins"].is_enabled(plugin, municipality)
    return enabled


def new_calendar_link(user: User) -> dict[str, str]:
    """Make `user` a new personal calendar link (any earlier one stops working; audited, committed) and
    return it as "https" and "webcal" URLs and "qr" (a data: URI of a QR code of the https link). Only
    the token's hash is kept: show the link now, once. In a request."""
    links: dict[str, str] = _feed_links(_calendar_tokens.issue(db(), user))
    return links


def invitation_state(subject: InvitationSubject) -> _LoginState:
    """A plugin's record's invitations: `.open` (the one whose link still works, or None) and `.last` (the
    latest, whatever became of it), each an `Invitation` (`channel`, `created_at`, `expires_at`, `used_at`,
    `revoked_at`). Whether the record has a log-in is the plugin's own to know."""
    return _login_state(db(), subject)


def field_targets(municipality: Municipality) -> list[FieldTarget]:
    """The kinds of record a municipality's admin may add fields to: the core's citizens, then what the
    plugins on in `municipality` offer (`broen_field_targets`); a key offered twice counts once."""
    offered = current_app.extensions["broen.plugins"].call_flat(
        "broen_field_targets", municipality, municipality=municipality
    )
    targets: dict[str, FieldTarget] = {}
    for target in [FieldTarget("citizen", "Borger", "Citizen"), *offered]:
        targets.setdefault(target.key, target)
    return list(targets.values())


def outcome_figures(municipality: Municipality, start: date, end: date) -> list[OutcomeFigure]:
    """The figures of the outcome report from every plugin on in `municipality`, for `start` to `end`
    (`broen_outcome_figures`), ordered by `order`; a plugin that fails is left out (and logged)."""
    figures: list[OutcomeFigure] = current_app.extensions["broen.plugins"].call_flat(
        "broen_outcome_figures", municipality, municipality=municipality, start=start, end=end
    )
    return sorted(figures, key=lambda f: f.order)


def records_deleted(municipality: Municipality, target: str, record_ids: Sequence[int]) -> None:
    """Tell every plugin that records of `target` (a `FieldTarget` key) were deleted, so what they keep about
    them (e.g. extra values) goes too, in the caller's transaction (`broen_records_deleted`). Call it when
    your plugin deletes records others may have data on, e.g. in `broen_erase_citizen`."""
    if record_ids:
        current_app.extensions["broen.plugins"].call_each(
            "broen_records_deleted", municipality=municipality, target=target, record_ids=list(record_ids)
        )


def has_calendar_link(user: User) -> bool:
    """Whether `user` has a live personal calendar link (its token cannot be shown again)."""
    return _calendar_tokens.live_token(db(), user) is not None


__all__ = [
    "WEEKDAYS",
    "Base",
    "CalendarEvent",
    "CalendarSource",
    "Citizen",
    "CitizenData",
    "CitizenError",
    "CitizenPanel",
    "CitizenStatus",
    "CitizenStatusChange",
    "ConfigurationError",
    "ConfirmForm",
    "DataSection",
    "Database",
    "ExtraFact",
    "ExtraField",
    "ExtraFieldError",
    "FieldTarget",
    "HomePanel",
    "Invitation",
    "InvitationError",
    "InvitationSubject",
    "ListColumn",
    "ListOptions",
    "ListValues",
    "MenuItem",
    "Municipality",
    "OutcomeFigure",
    "Page",
    "PluginInfo",
    "Role",
    "ScopedModelView",
    "TenantMixin",
    "UTCDateTime",
    "User",
    "WorklistItem",
    "absolute_url",
    "add_citizen",
    "add_months",
    "audit",
    "citizens_named",
    "csv_cell",
    "current_municipality",
    "current_role",
    "current_user",
    "data_records",
    "db",
    "extra_facts",
    "extra_form",
    "feed_view",
    "field_error",
    "field_targets",
    "force_locale",
    "format_date",
    "format_decimal",
    "get_scoped_or_404",
    "gettext",
    "has_calendar_link",
    "hookimpl",
    "invitation_page",
    "invitation_state",
    "invite_subject",
    "language_of",
    "lazy_gettext",
    "list_options",
    "local_date",
    "local_today",
    "lock_row",
    "mail",
    "municipality_feed",
    "new_calendar_link",
    "ngettext",
    "outcome_figures",
    "paginate",
    "plugin_enabled",
    "plugin_settings",
    "public_forms",
    "records_deleted",
    "requested_page",
    "require_role",
    "save_extras",
    "scoped",
    "utcnow",
    "week_end",
    "withdraw_invitation_page",
]
