"""Volunteer mentors (frivillige sociale mentorer): the municipality's pool of volunteers, what a
citizen wishes from a mentor, ranking the pool for a citizen, the matches between the two and their
meetings, the volunteers' public sign-up form, and the mentors' own pages.

The modules: `models` (tables), `services` (mentors, wishes, matches, meetings: every write), `matching`
(the ranked, explained list of mentors for a citizen), `staff` (the coordinator's pool pages), `matches`
(a citizen's wishes and matches, the coordinator's overview), `intake` (the public sign-up form and the
intake list), `mentor_pages` (a mentor's own mentees and meetings), `invite` (a mentor's log-in through
the core's invitation link), `feed` (planned meetings in the mentor's calendar feed), `demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, Flask

from broen import api
from broen.plugins.mentors import (
    blueprint,
    cli,
    demo,
    intake,
    invite,
    matches,
    mentor_pages,
    privacy,
    services,
    staff,
)
from broen.plugins.mentors import feed as mentor_feed
from broen.plugins.mentors.forms import DEFAULTS, SettingsForm

NAME = services.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Frivillige mentorer",
        title_en="Volunteer mentors",
        description="A pool of volunteer mentors, matched with citizens by their wishes.",
        version="0.2",
        settings_form=SettingsForm,
        defaults=DEFAULTS,
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [blueprint.bp, mentor_pages.bp, intake.public_bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return staff.menu_items(municipality, user) + mentor_pages.menu_items(municipality, user)


@api.hookimpl
def broen_citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return matches.citizen_panels(citizen, user)


@api.hookimpl
def broen_worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    return matches.worklist_items(municipality, user) + intake.worklist_items(municipality, user)


@api.hookimpl
def broen_calendar_events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    return mentor_feed.events(municipality, feed, viewer, start, end)


@api.hookimpl
def broen_invitation_accepted(invitation: api.Invitation, user: api.User) -> bool | None:
    return invite.accepted(invitation, user)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    demo.create(municipality, staff, citizens)


@api.hookimpl
def broen_cli(group: click.Group) -> None:
    group.add_command(cli.mentors)


@api.hookimpl
def broen_field_targets(municipality: api.Municipality) -> list[api.FieldTarget]:
    """A municipality's admin may add fields to mentors in the pool."""
    return [api.FieldTarget(staff.FIELD_TARGET, "Frivillig mentor", "Volunteer mentor")]


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    return privacy.citizen_data(citizen)


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    privacy.erase_citizen(citizen, by)
