"""Outcome reporting: the project lead's report to the funder, per municipality and for all together,
against the targets the admin set; its numbers come from every plugin through `broen_outcome_figures`.

The modules: `models` (the targets' table), `services` (targets: every write), `figures` (this plugin's
own figures: the course of the citizens, from the core's status history), `report` (the figures of one or
more municipalities added up, with targets, as texts), `charts` (the SVG charts' geometry), `views` (the
report, its CSV and printable page, the targets page), `configuration` (targets in the configuration
file; `broen demo` sets Rampen's targets through the presets).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

import broen.plugins.outcomes.models  # noqa: F401  # the tables
from broen import api
from broen.plugins.outcomes import blueprint, figures, views
from broen.plugins.outcomes import configuration as _configuration

NAME = blueprint.NAME


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Resultater",
        title_en="Outcomes",
        description="The outcome report: enrolment, work, retention and wellbeing against targets.",
        version="0.1",
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [blueprint.bp]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return views.menu_items(municipality, user)


@api.hookimpl
def broen_outcome_figures(municipality: api.Municipality, start: date, end: date) -> list[api.OutcomeFigure]:
    return figures.course_figures(municipality, start, end)


@api.hookimpl
def broen_export_configuration(municipality: api.Municipality) -> dict[str, Any] | None:
    return _configuration.export_section(municipality)


@api.hookimpl
def broen_import_configuration(
    municipality: api.Municipality, section: Mapping[str, Any], user: api.User | None, apply: bool
) -> list[str]:
    return _configuration.import_section(municipality, section, user, apply)
