"""Café meetings (cafémøder): courses of group meetings for citizens granted a flex job on the basis of
mental illness or psychological vulnerability, their sessions, sign-ups, waitlist, attendance and agenda.

The modules: `models` (tables), `services` (courses, sessions, sign-ups: every write), `program`
(attendance and agenda), `notify` (e-mails), `feed` (calendar events), `staff` (coordinator pages),
`participant` (the citizen's own pages), `public` (the public course feed), `cli` (`broen cafe ...`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask

from broen import api
from broen.plugins.cafe import cli, demo, participant, privacy, public, services, staff
from broen.plugins.cafe import feed as cafe_feed
from broen.plugins.cafe.forms import DEFAULTS, SettingsForm

NAME = services.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Cafémøder",
        title_en="Café meetings",
        description="Courses of café meetings: sessions, sign-ups, waitlist, attendance and agenda.",
        version="0.2",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [staff.bp, participant.bp, public.bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return staff.menu_items(municipality, user) + participant.menu_items(municipality, user)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: list[api.User], citizens: list[api.Citizen]
) -> None:
    demo.create(municipality, staff, citizens)


@api.hookimpl
def broen_cli(group: click.Group) -> None:
    group.add_command(cli.cafe)


@api.hookimpl
def broen_calendar_events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    return cafe_feed.events(municipality, feed, viewer, start, end)


@api.hookimpl
def broen_field_targets(municipality: api.Municipality) -> list[api.FieldTarget]:
    """A municipality's admin may add fields to café courses."""
    return [api.FieldTarget(staff.FIELD_TARGET, "Caféforløb", "Café course")]


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    return privacy.citizen_data(citizen)


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    privacy.erase_citizen(citizen, by)
