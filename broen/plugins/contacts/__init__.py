"""Contact rhythm: the coordinator's log of contacts with each citizen, the rhythm they are due in, and
the citizen's wellbeing (WHO-5) at the start and every three months.

The modules: `models` (tables), `services` (contacts, the citizen's own rhythm, WHO-5: every write), `due`
(who is due a contact and when), `figures` (the outcome report's WHO-5 figures), `staff` (the worklist,
a citizen's contacts, the citizen page's and the start page's panels), `participant` (the citizen's own
page), `forms`, `demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flask import Blueprint, Flask

import broen.plugins.contacts.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.contacts import blueprint, demo, figures, participant, privacy, staff
from broen.plugins.contacts.forms import DEFAULTS, SettingsForm

NAME = blueprint.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Kontaktrytme",
        title_en="Contact rhythm",
        description="A log of contacts with each citizen, who is due a contact, and wellbeing (WHO-5).",
        version="0.1",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [blueprint.bp, blueprint.me_bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return staff.menu_items(municipality, user) + participant.menu_items(municipality, user)


@api.hookimpl
def broen_citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return staff.citizen_panels(citizen, user)


@api.hookimpl
def broen_home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    return staff.home_panels(municipality, user)


@api.hookimpl
def broen_outcome_figures(municipality: api.Municipality, start: date, end: date) -> list[api.OutcomeFigure]:
    return figures.outcome_figures(municipality, start, end)


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    return privacy.citizen_data(citizen)


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    privacy.erase_citizen(citizen, by)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    demo.create(municipality, staff, citizens)
