"""The hooks a broen plugin may implement. Each docstring is the plugin author's documentation.

A plugin is a module or object with functions marked `@hookimpl`, registered under the `broen`
entry-point group in its package's pyproject.toml::

    [project.entry-points.broen]
    myplugin = "my_package.plugin"

The entry-point name is the plugin's name: it prefixes its tables, its URLs (`/<municipality>/<name>/`)
and its settings. A plugin implements only the hooks it needs, each marked `@broen.api.hookimpl`.

Start-up hooks run once for every installed plugin; a plugin that is broken in a way start-up can see
(a misspelt or unmarked hook, an argument the spec does not have, a missing `broen_plugin_info`, an
exception in a start-up hook) stops broen with a `PluginError` naming the plugin. Hooks marked
*per municipality* are called only for plugins that municipality has turned on; if a plugin raises
inside such a hook, or answers something other than a list of the hook's item type, the error is logged
with the plugin's name, a municipality admin is shown which plugin failed, and the page renders without
that plugin's part; only `broen_invitation_accepted` is different: raising there refuses the invitation.
The full guide is docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from flask import Blueprint, Flask
    from sqlalchemy import ColumnElement

    from broen.calendar.events import CalendarEvent
    from broen.core.extra_columns import ListColumn, ListValues
    from broen.core.extra_fields import ExtraFact, ExtraField
    from broen.core.models import Citizen, Invitation, Municipality, User
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

hookspec = pluggy.HookspecMarker("broen")
hookimpl = pluggy.HookimplMarker("broen")


@hookspec(firstresult=True)
def broen_plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Describe the plugin: names in Danish and English, version, and its settings.

    Called once at start-up. Return a `PluginInfo` whose `name` is the plugin's entry-point name. Its
    `settings_form` (a `wtforms.Form` class) is what a municipality admin edits in the admin under
    "Plugins", and `defaults` gives a typed value for every field of that form (str, int, float, bool,
    list, dict, date, datetime, time or Decimal). Read a municipality's values with
    `broen.api.plugin_settings(name, municipality)`: they come back with the types of the defaults.
    Every plugin must implement this hook.
    """


@hookspec
def broen_register_blueprints(app: Flask) -> Sequence[Blueprint]:  # type: ignore[empty-body]
    """Return the plugin's Flask blueprints; called once while the app is built.

    Each blueprint is mounted under `/<municipality>/<plugin name>/`: its view functions receive no
    municipality argument; read it with `broen.api.current_municipality()`. Requests for a municipality
    that has the plugin turned off answer 404 before the view runs. Guard every view with
    `broen.api.require_role(...)`. A blueprint whose name ends in `_public` is mounted under
    `/<municipality>/public/<plugin name>/` and may be reached without logging in. A plugin's
    `templates/` folder is found when the blueprint is made with `template_folder="templates"`.
    """


@hookspec
def broen_register_admin_views(admin: Any, session: Any) -> None:
    """Add Flask-Admin views with `admin.add_view(MyView(Model, session, ...))`; called once while the
    app is built. `session` is broen's scoped SQLAlchemy session, to pass to each ModelView.

    Subclass `broen.api.ScopedModelView` (its model must have `municipality_id`): the view is then shown
    only to municipality admins, only for municipalities that have the plugin on, and only rows of
    those municipalities. Its `plugin` attribute is set to your plugin's name if you leave it out; a
    view that names another plugin stops start-up.
    """


@hookspec
def broen_migrations() -> Path | None:
    """Return the folder of the plugin's Alembic revisions, or None if it has no tables.

    Called when the migrations run (`broen db upgrade`, `broen demo`). The folder is a version location
    of broen's one Alembic environment. The plugin's first revision sets
    `branch_labels = ("<plugin name>",)` and `depends_on = "core"`; `broen db upgrade` applies the
    core's and every installed plugin's heads.
    """


@hookspec
def broen_menu_items(municipality: Municipality, user: User) -> Sequence[MenuItem]:  # type: ignore[empty-body]
    """*Per municipality.* Return menu entries for this user in this municipality (may be empty).

    Called on every page of a municipality a logged-in member sees. Return a list of `MenuItem`s. Check
    the user's role yourself (`user.role_in(municipality.id)`): show a user only what they may open.
    """


@hookspec
def broen_worklist_items(  # type: ignore[empty-body]
    municipality: Municipality, user: User
) -> Sequence[WorklistItem]:
    """*Per municipality.* Return what needs this user's attention today, for the start page.

    Return a list of `WorklistItem`s. Keep it cheap: it runs on every visit to the start page. Return
    an empty list when nothing is due.
    """


@hookspec
def broen_home_panels(municipality: Municipality, user: User) -> Sequence[HomePanel]:  # type: ignore[empty-body]
    """*Per municipality.* Return sections for this user's start page, under the worklist.

    For what needs more than a line of the worklist, e.g. a coordinator's citizens who are due a contact.
    Return a list of `HomePanel`s (escaped HTML, rendered with `render_template`). Keep it cheap: it runs
    on every visit to the start page, with a number of statements that does not grow with the records.
    """


@hookspec
def broen_citizen_panels(citizen: Citizen, user: User) -> Sequence[CitizenPanel]:  # type: ignore[empty-body]
    """*Per municipality.* Return sections for the citizen's page (the citizen's municipality).

    Called on every view of a citizen's page. Return a list of `CitizenPanel`s. The core has already
    checked that `user` may see the citizen and logged the view in the audit log. Render HTML with
    `render_template` so it is escaped.
    """


@hookspec
def broen_field_targets(municipality: Municipality) -> Sequence[FieldTarget]:  # type: ignore[empty-body]
    """*Per municipality.* Return the kinds of record of this plugin a municipality's admin may add fields
    to.

    Called when the list of targets is needed (`api.field_targets`, e.g. the municipal fields plugin's
    "Fields" page). Return a list of `FieldTarget(key, label_da, label_en)`; `key` is "<plugin>_<table>", e.g.
    "cafe_course"; the core offers "citizen" itself. A plugin that offers a target shows and saves the
    target's extra fields on its own pages.
    """


@hookspec
def broen_extra_fields(  # type: ignore[empty-body]
    municipality: Municipality, target: str, record_id: int | None, user: User
) -> Sequence[ExtraField]:
    """*Per municipality.* Return the extra fields `user` may fill in on the form of a record of `target`.

    Called when such a form is built (`api.extra_form`), on every request to it: `record_id` is the
    record's id, or None for a new one. Return a list of `ExtraField(name, field, value)`: `field` an unbound
    WTForms field with its label and validators, `value` the record's current value; names start with
    your plugin's name ("<plugin>__<key>").
    """


@hookspec
def broen_save_extra_fields(
    municipality: Municipality, target: str, record_id: int, user: User, data: Mapping[str, Any]
) -> None:
    """*Per municipality.* Store the extra fields' values of a record of `target` that was just saved.

    Called when such a form is saved (`api.save_extras`), after the record is written and before the
    commit, in the same transaction: write your values, do not commit. `data` maps every extra field's name
    (yours and other plugins': take yours) to the value the validated form gave. Return nothing; raise
    `api.ExtraFieldError(name, message)` to refuse a value: the page shows it on the field and nothing is
    saved. Any other exception also stops the save.
    """


@hookspec
def broen_extra_facts(  # type: ignore[empty-body]
    municipality: Municipality, target: str, record_id: int, user: User
) -> Sequence[ExtraFact]:
    """*Per municipality.* Return the labelled extra values of a record of `target` that `user` may see.

    Called when the record's page is shown (`api.extra_facts`). Return a list of `ExtraFact(label, value)`
    (plain text; the page escapes it). Audit what you show if it is sensitive.
    """


@hookspec
def broen_list_columns(  # type: ignore[empty-body]
    municipality: Municipality, target: str, user: User
) -> Sequence[ListColumn]:
    """*Per municipality.* Return the extra columns `user` may add to a list of records of `target`.

    Called when such a list or its export is built (`api.list_options`, e.g. the citizen list). Return a
    list of `ListColumn(name, label, sensitive, filter, options)`: `name` starts with your plugin's name
    ("<plugin>__<key>"); `filter` is None, "text", "choice" (with `options`), "number" or "date". A
    sensitive column is shown only when the user chooses it, and exported only then.
    """


@hookspec
def broen_list_values(  # type: ignore[empty-body]
    municipality: Municipality, target: str, columns: Sequence[str], record_ids: Sequence[int], user: User
) -> Sequence[ListValues]:
    """*Per municipality.* Return the texts of your chosen extra columns for the records of a list.

    Called once per page of a list (and once per export) with the chosen columns' names (yours and other
    plugins': take yours) and the records' ids (`ListOptions.values`). Return a list of
    `ListValues(column, values)`, `values` mapping record id to plain text. Use a fixed number of queries
    however many records and columns; audit sensitive values you show.
    """


@hookspec
def broen_list_conditions(  # type: ignore[empty-body]
    municipality: Municipality,
    target: str,
    id_column: Any,
    filters: Mapping[str, Any],
    user: User,
) -> Sequence[ColumnElement[bool]]:
    """*Per municipality.* Return SQL conditions on `id_column` for your extra columns' filters.

    Called when a list or its export is filtered by extra columns (`ListOptions.conditions`). `filters` maps
    a column's name (yours and other plugins': take yours) to the parsed filter: the text or the chosen
    option's value for "text" and "choice", a (from, to) pair of `Decimal`s or `date`s (None: open) for
    "number" and "date". Return a list of SQLAlchemy conditions on `id_column`, e.g.
    `id_column.in_(select(MyValue.record_id).where(...))`, which the list adds to its query.
    """


@hookspec
def broen_outcome_figures(  # type: ignore[empty-body]
    municipality: Municipality, start: date, end: date
) -> Sequence[OutcomeFigure]:
    """*Per municipality.* Return your figures of the outcome report for `start` to `end` (both included).

    Called when the outcome report is shown or downloaded (`api.outcome_figures`), once per municipality
    in it. Count the municipality's records only, as they stood in that period, with a number of statements
    that does not grow with the records. Return a list of `OutcomeFigure`s (texts in the request's
    language); the report adds municipalities up by `key` and compares with the targets set for it.
    """


@hookspec
def broen_citizen_data(citizen: Citizen) -> Sequence[DataSection]:  # type: ignore[empty-body]
    """Return everything your plugin holds about `citizen`, for the export of the citizen's data (GDPR art. 15).

    Called for every installed plugin, on or off in the citizen's municipality (a plugin turned off keeps
    its rows), when an admin exports or is about to erase the citizen's data. Return a list of
    `DataSection`s: one per kind of record, with every field you store about the citizen (free texts
    included); an empty list if you hold nothing. Raising stops the export: it must be complete.
    """


@hookspec
def broen_erase_citizen(citizen: Citizen, by: User | None) -> None:
    """Delete or anonymise everything your plugin holds about `citizen` (GDPR art. 17).

    Called for every installed plugin, on or off in the citizen's municipality, inside the erasure's one
    transaction: flush if you must, never commit. Afterwards no row of yours may hold the citizen's name,
    contact details or a free text about them; keep only anonymous numbers the reports need (a
    placement's type, dates and hours, without its note). Raising stops the erasure and undoes all of it.
    Return nothing.
    """


@hookspec
def broen_records_deleted(municipality: Municipality, target: str, record_ids: Sequence[int]) -> None:
    """Forget what you keep about records of another plugin that it has just deleted (their extra values).

    Called for every installed plugin when a plugin calls `api.records_deleted(municipality, target,
    record_ids)`, e.g. while erasing a citizen's referrals, inside the caller's transaction: flush if you
    must, never commit. `target` is the records' kind (a `FieldTarget` key). Raising undoes the caller's
    work. Return nothing.
    """


@hookspec
def broen_calendar_events(  # type: ignore[empty-body]
    municipality: Municipality, feed: str, viewer: User | None, start: datetime, end: datetime
) -> Sequence[CalendarEvent]:
    """*Per municipality.* Return the `CalendarEvent`s this plugin has for a feed between start and end.

    Called when the staff calendar page, the municipality's public feed or a user's personal feed is
    built. Return a list of `CalendarEvent`s (time-zone aware times, a `uid` that never changes for the
    same event) for the time-zone aware window `start`..`end`. `feed` names the feed: "public" (the
    municipality's public calendar, `viewer` is None), "staff" (the staff calendar page) or "personal"
    (`/feeds/<token>.ics`: only the events of `viewer`, e.g. the café sessions they signed up for). A
    public feed must never name a participant; a personal one never another participant.
    """


@hookspec
def broen_invitation_accepted(invitation: Invitation, user: User) -> bool | None:
    """*Per municipality.* Link your record to the log-in that accepted its invitation to it.

    Called inside the accepting transaction when someone accepts an invitation to a plugin's record
    (`invitation.subject_type` and `invitation.subject_id`, as given to `broen.api.invite_subject`),
    with a new log-in or the one they were logged in with: `user` has `invitation.role` in
    `invitation.municipality_id` by now. Return None for any other plugin's record (check
    `invitation.subject_type` first). For yours, link it (e.g. set its `user_id` to `user.id`), add your
    audit entry and return True. Do not commit. Raise to refuse (e.g. the record has a log-in already):
    nothing is written, the link keeps working, and the person sees the exception's `message` attribute
    (your service error's) or else a general text. If no plugin returns True, the link counts as no
    longer working.
    """


@hookspec
def broen_demo_data(municipality: Municipality, staff: Sequence[User], citizens: Sequence[Citizen]) -> None:
    """*Per municipality.* Add the plugin's demo data to a municipality that `broen demo` has just made.

    Called once per demo municipality by `broen demo`, after its staff (`staff`: admins, coordinators,
    mentors, a participant) and its made-up citizens (`citizens`) exist and every plugin is turned on.
    Make everything through your own services, so the demo shows the real rules at work; use dates
    relative to today, so the demo looks alive whenever it is run. Return nothing.
    """


@hookspec
def broen_export_configuration(municipality: Municipality) -> Mapping[str, Any] | None:
    """*Per municipality.* Return your plugin's own part of the municipality's configuration file, or None.

    Called when a municipality's configuration is exported (the admin's "Configuration" page, `broen
    config export`), for each plugin that is on there. Return a mapping of TOML-safe values (text, numbers,
    true/false, dates, lists and mappings of them; never None) without the keys `enabled` and `settings`,
    which broen writes itself: it becomes the rest of the plugin's `[plugins.<name>]` table. Export
    definitions a municipality set up (fields, categories), never personal data. A plugin that raises stops
    the export: a configuration file is never written with a part missing.
    """


@hookspec
def broen_import_configuration(  # type: ignore[empty-body]
    municipality: Municipality, section: Mapping[str, Any], user: User | None, apply: bool
) -> Sequence[str]:
    """*Per municipality.* Check, and with `apply` true write, your part of an imported configuration file.

    Called when a configuration file is previewed (`apply` false) and imported (`apply` true) into a
    municipality (the admin's "Configuration" page, `broen config import`, the presets of `broen demo`), for
    each plugin the file names and turns on, even one that was off: the file's plugin states and settings
    are in the session already, so `api.field_targets` and `api.plugin_settings` answer as they will be.
    `section` is the plugin's `[plugins.<name>]` table without `enabled` and `settings` (empty if it has
    nothing else); `user` is None for the command line and the demo. Return plain-language lines in the
    user's language saying what would change (or changed). Check everything first and raise
    `api.ConfigurationError(problems)`, one line per problem naming its place inside `section`
    (`"fields[3].choices: Give at most 200 choices."`; broen puts `plugins.<name>.` in front): nothing is
    written. With `apply` true, write in the caller's transaction and do not commit: broen commits the
    whole import at once, or rolls all of it back if any plugin raises.
    """


@hookspec
def broen_cli(group: click.Group) -> None:
    """Add click commands to the `broen` command line, e.g. `group.add_command(my_group)`.

    Called once at start-up. Commands run inside an app context, so `broen.api.db` and the services
    work as in a request (there is no current municipality: take it as an argument).
    """
