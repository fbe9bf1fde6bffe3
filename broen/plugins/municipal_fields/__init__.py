"""Municipal fields: the fields a municipality's admin adds, in the browser, to the records of the core and
of the plugins (citizens, café courses, mentors, referrals: every `broen_field_targets`), with their types,
choices, roles and sensitivity; and their values.

The modules: `models` (tables), `services` (field definitions: every write), `views` (the admin's "Fields"
pages), `values` (the fields' values: on a record's form, saved with it, shown on its page).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

import broen.plugins.municipal_fields.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.municipal_fields import values, views

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
