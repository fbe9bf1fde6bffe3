"""Relatives and network (pårørende): a citizen's relatives, recorded under the citizen's consent; their
referrals to counselling (SIND Pårørenderådgivning: individual conversations, group courses, teaching);
referrals to the programme from the municipality's public page; and the group courses for relatives in
the calendar feeds.

The modules: `models` (tables), `services` (relatives, consent and referrals: every write), `letters`
(the referral letter from the municipality's template, with only what the consent allows), `staff` (the
coordinator's pages and the overview of open referrals), `intake` (the public referral form and the
coordinators' intake queue), `courses` (group courses and their sessions), `feed` (the courses in the
calendar feeds), `privacy` (a citizen's part of the data export and erasure), `demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask

import broen.plugins.relatives.courses  # its routes, on `bp`
import broen.plugins.relatives.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.relatives import blueprint, demo, intake, privacy, staff
from broen.plugins.relatives import feed as relatives_feed
from broen.plugins.relatives.forms import DEFAULTS, SettingsForm

NAME = blueprint.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Pårørende og netværk",
        title_en="Relatives and network",
        description="A citizen's relatives and network, their referrals to counselling, and referrals "
        "to the programme from relatives.",
        version="0.1",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [blueprint.bp, blueprint.public_bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return staff.menu_items(municipality, user)


@api.hookimpl
def broen_citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return staff.citizen_panels(citizen, user)


@api.hookimpl
def broen_worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    return intake.worklist_items(municipality, user) + staff.worklist_items(municipality, user)


@api.hookimpl
def broen_calendar_events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    return relatives_feed.events(municipality, feed, viewer, start, end)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    demo.create(municipality, staff, citizens)


@api.hookimpl
def broen_cli(group: click.Group) -> None:
    group.add_command(intake.cli)


@api.hookimpl
def broen_field_targets(municipality: api.Municipality) -> list[api.FieldTarget]:
    """A municipality's admin may add fields to referrals of relatives to counselling."""
    return [api.FieldTarget(staff.FIELD_TARGET, "Henvisning af pårørende", "Referral of a relative")]


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    return privacy.citizen_data(citizen)


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    privacy.erase_citizen(citizen, by)
