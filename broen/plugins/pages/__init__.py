"""Pages and news: the project's shared knowledge on the intranet (the method, how a café course is run,
letters to companies), written in Markdown by a municipality's admins and coordinators, kept in versions,
and published by its admins to the whole installation, the municipality, or one role.

The modules: `models` (tables), `visibility` (who reads which page: the one rule), `render` (Markdown to
sanitised HTML), `services` (every write), `reading` (the tree, breadcrumbs, news: bounded queries),
`views` (the pages), `news` (the news list, the start page's panel, the Atom feed), `forms`, `cli`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from flask import Blueprint, Flask

from broen import api
from broen.plugins.pages import attachments as attachments  # files on pages: routes on views.bp
from broen.plugins.pages import cli, demo, news, views
from broen.plugins.pages import search as search  # the search page, on views.bp
from broen.plugins.pages.services import NAME, _


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Sider og nyheder",
        title_en="Pages and news",
        description="Pages and news in Markdown, kept in versions and published to the installation, the "
        "municipality or one role.",
        version="0.1",
    )


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [views.bp, views.assets]


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    if user.role_in(municipality.id) is None:
        return []
    return [api.MenuItem(_("Pages and news"), "pages.index", order=60)]


@api.hookimpl
def broen_home_panels(municipality: api.Municipality, user: api.User) -> list[api.HomePanel]:
    return news.home_panels(municipality, user)


@api.hookimpl
def broen_demo_data(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    demo.create(municipality, staff)


@api.hookimpl
def broen_cli(group: click.Group) -> None:
    group.add_command(cli.pages)
