"""Test plugins that are broken on purpose: at start-up (must stop broen) or inside a page hook
(must be logged and left out, the page still renders)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask
from sqlalchemy import text

from broen import api


def info(name: str) -> api.PluginInfo:
    return api.PluginInfo(name=name, title_da=name, title_en=name)


class Misspelt:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("misspelt")

    @api.hookimpl
    def broen_menu_item(self, municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
        return []


class WithoutInfo:
    @api.hookimpl
    def broen_menu_items(self, municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
        return []


class CalledSomethingElse:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("something_else")


class Unmarked:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("unmarked")

    def broen_menu_items(self, municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
        return []


class WrongArgument:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("wrong_argument")

    @api.hookimpl
    def broen_menu_items(self, municipality: api.Municipality, person: api.User) -> list[api.MenuItem]:
        return []


class Named:
    """A plugin that is fine apart from the name it is registered under."""

    def __init__(self, name: str) -> None:
        self.name = name

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info(self.name)


class SettingsWithoutDefaults:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        from wtforms import Form, IntegerField

        class Settings(Form):
            size = IntegerField("Size")

        return api.PluginInfo(
            name="no_defaults", title_da="x", title_en="x", settings_form=Settings, defaults={"colour": "red"}
        )


class BrokenBlueprints:
    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("broken_blueprints")

    @api.hookimpl
    def broen_register_blueprints(self, app: Flask) -> list[Blueprint]:
        raise RuntimeError("no blueprints today")


class ForgetfulAdmin:
    """Adds a scoped admin view but forgets `plugin = ...` on it."""

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("forgetful")

    @api.hookimpl
    def broen_register_admin_views(self, admin: Any, session: Any) -> None:
        admin.add_view(
            api.ScopedModelView(api.Citizen, session, name="Forgotten", endpoint="forgetful_citizens")
        )


class Failing:
    """Every page hook raises, so every page it touches must still render without it."""

    def __init__(self, name: str = "faulty") -> None:
        self.name = name

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info(self.name)

    @api.hookimpl
    def broen_menu_items(self, municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
        raise RuntimeError("menu exploded")

    @api.hookimpl
    def broen_worklist_items(self, municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
        raise RuntimeError("worklist exploded")

    @api.hookimpl
    def broen_citizen_panels(self, citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
        raise RuntimeError("panel exploded")

    @api.hookimpl
    def broen_calendar_events(
        self,
        municipality: api.Municipality,
        feed: str,
        viewer: api.User | None,
        start: datetime,
        end: datetime,
    ) -> list[api.CalendarEvent]:
        raise RuntimeError("calendar exploded")


class WrongAnswers:
    """Answers of the wrong shape: a bare item, strings, a generator that breaks half-way."""

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("wrong_answers")

    @api.hookimpl
    def broen_menu_items(self, municipality: api.Municipality, user: api.User) -> Any:
        return api.MenuItem("Bare item", "core.home")

    @api.hookimpl
    def broen_worklist_items(self, municipality: api.Municipality, user: api.User) -> Any:
        return ["a string is not a WorklistItem"]

    @api.hookimpl
    def broen_citizen_panels(self, citizen: api.Citizen, user: api.User) -> Iterator[api.CitizenPanel]:
        yield api.CitizenPanel("Half a panel", "<p>half</p>")
        raise RuntimeError("generator exploded")


class BadQuery:
    """Runs SQL that fails: on PostgreSQL that aborts the request's transaction for everyone after it."""

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return info("bad_query")

    @api.hookimpl
    def broen_worklist_items(self, municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
        api.db().session.execute(text("SELECT * FROM bad_query_no_such_table"))
        return []

    @api.hookimpl
    def broen_citizen_panels(self, citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
        api.db().session.execute(text("SELECT * FROM bad_query_no_such_table"))
        return []
