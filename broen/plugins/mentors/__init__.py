"""Volunteer mentors (frivillige sociale mentorer): the municipality's pool of volunteers, what a
citizen wishes from a mentor, ranking the pool for a citizen, and the matches between the two.

The modules: `models` (tables), `services` (mentors, wishes, matches: every write), `matching` (the
ranked, explained list of mentors for a citizen), `staff` (the coordinator's pool pages). The
volunteers' sign-up form, matching pages, meetings and the mentors' own log-in come in later steps.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask

from broen import api
from broen.plugins.mentors import services, staff
from broen.plugins.mentors.forms import DEFAULTS, SettingsForm

NAME = services.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Frivillige mentorer",
        title_en="Volunteer mentors",
        description="A pool of volunteer mentors, matched with citizens by their wishes.",
        version="0.1",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [staff.bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return staff.menu_items(municipality, user)
