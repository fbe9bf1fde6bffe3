"""Employer outreach: the companies a citizen can see themselves in, each contact made on the citizen's
behalf, placements (hires), and the retention check-ins of the six months after a hire.

The modules: `models` (tables), `services` (every write, and the dates of the follow-up), `companies` (the
municipality's shared company list and pages), `staff` (a citizen's interests, contacts and placements, a
placement's check-ins and handover, the citizen page's panel), `checkins` (the start page's panel and the
worklist of open check-ins), `figures` (the outcome report's numbers), `forms`, `demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from flask import Blueprint, Flask

import broen.plugins.employers.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.employers import blueprint, checkins, companies, demo, figures, privacy, staff
from broen.plugins.employers.forms import DEFAULTS, SettingsForm

NAME = blueprint.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Virksomhedskontakt",
        title_en="Employer outreach",
        description="Companies, contacts on a citizen's behalf, placements and six months of retention.",
        version="0.1",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [blueprint.bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return companies.menu_items(municipality, user)


@api.hookimpl
def broen_citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return staff.citizen_panels(citizen, user)


@api.hookimpl
def broen_home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    return checkins.home_panels(municipality, user)


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
