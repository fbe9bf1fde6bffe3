"""Municipal fields: the fields a municipality's admin adds, in the browser, to the records of the core and
of the plugins (citizens, café courses, mentors, referrals: every `broen_field_targets`), with their types,
choices, roles and sensitivity; and their values.

The modules: `models` (tables), `services` (field definitions: every write), `views` (the admin's "Fields"
pages), `values` (the fields' values: on a record's form, saved with it, shown on its page), `lists` (the
fields as columns and filters of record lists and exports), `configuration` (the fields in a municipality's
configuration file), `privacy` (a citizen's values in the data export and erasure; the values of
records other plugins delete), `demo` (values for the demo's citizens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

import broen.plugins.municipal_fields.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.municipal_fields import configuration as _configuration
from broen.plugins.municipal_fields import demo, lists, privacy, values, views

NAME = "municipal_fields"


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Kommunens egne felter",
        title_en="Municipal fields",
        description="Fields a municipality adds to its records in the browser, with no code.",
        version="0.1",
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [views.bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return views.menu_items(municipality, user)


@api.hookimpl
def broen_extra_fields(
    municipality: api.Municipality, target: str, record_id: int | None, user: api.User
) -> list[api.ExtraField]:
    return values.form_fields(municipality, target, record_id, user)


@api.hookimpl
def broen_save_extra_fields(
    municipality: api.Municipality, target: str, record_id: int, user: api.User, data: Mapping[str, Any]
) -> None:
    values.save(municipality, target, record_id, user, data)


@api.hookimpl
def broen_extra_facts(
    municipality: api.Municipality, target: str, record_id: int, user: api.User
) -> list[api.ExtraFact]:
    return values.facts(municipality, target, record_id, user)


@api.hookimpl
def broen_list_columns(municipality: api.Municipality, target: str, user: api.User) -> list[api.ListColumn]:
    return lists.columns(municipality, target, user)


@api.hookimpl
def broen_list_values(
    municipality: api.Municipality,
    target: str,
    columns: Sequence[str],
    record_ids: Sequence[int],
    user: api.User,
) -> list[api.ListValues]:
    return lists.values(municipality, target, columns, record_ids, user)


@api.hookimpl
def broen_list_conditions(
    municipality: api.Municipality, target: str, id_column: Any, filters: Mapping[str, Any], user: api.User
) -> list[Any]:
    return lists.conditions(municipality, target, id_column, filters, user)


@api.hookimpl
def broen_export_configuration(municipality: api.Municipality) -> dict[str, Any] | None:
    return _configuration.export_section(municipality)


@api.hookimpl
def broen_import_configuration(
    municipality: api.Municipality, section: Mapping[str, Any], user: api.User | None, apply: bool
) -> list[str]:
    return _configuration.import_section(municipality, section, user, apply)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    demo.create(municipality, staff, citizens)


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    return privacy.citizen_data(citizen)


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    privacy.erase_citizen(citizen, by)


@api.hookimpl
def broen_records_deleted(municipality: api.Municipality, target: str, record_ids: Sequence[int]) -> None:
    privacy.records_deleted(municipality, target, record_ids)
