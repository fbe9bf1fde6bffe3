"""An example third-party plugin: it lives outside `broen/` and uses only `broen.api`.

It adds a page (a list of "tips" per municipality), a menu item, an admin view, calendar events,
a worklist item, a citizen panel, a CLI command, a settings form, a Danish translation and a table of
its own with its own migration branch. The tests use it to prove a stranger can extend broen without
touching the core; docs/plugins.md walks through the same shape.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask, render_template
from sqlalchemy import ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import Form, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from broen import api

NAME = "example"
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)


class Tip(api.TenantMixin, api.Base):
    __tablename__ = "example_tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.text


class CitizenNote(api.TenantMixin, api.Base):
    """A note about a citizen: the example of a plugin's data about a person (exported, erased)."""

    __tablename__ = "example_citizen_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))


class SettingsForm(Form):
    greeting = StringField("Greeting", validators=[Length(max=40)])
    tips_per_page = IntegerField("Tips per page", validators=[InputRequired(), NumberRange(min=1, max=100)])


def add_note(citizen: api.Citizen, text: str) -> CitizenNote:
    """Write a note about a citizen (committed)."""
    note = CitizenNote(municipality_id=citizen.municipality_id, citizen_id=citizen.id, text=text)
    api.db().session.add(note)
    api.db().session.commit()
    return note


def add_tip(municipality: api.Municipality, text: str, by: api.User | None = None) -> Tip:
    """The one way to write a tip (views, CLI and tests alike): with its audit entry, in one commit."""
    database = api.db()
    tip = Tip(municipality_id=municipality.id, text=text)
    database.session.add(tip)
    database.session.flush()
    api.audit.record(database, "create", "example_tip", tip.id, by=by, municipality_id=municipality.id)
    database.session.commit()
    return tip


bp = Blueprint("example", __name__, template_folder="templates")
public_bp = Blueprint("example_public", __name__)


@bp.route("/")
@api.require_role(*STAFF)
def tips() -> str:
    municipality = api.current_municipality()
    settings = api.plugin_settings(NAME, municipality)
    rows = api.db().session.scalars(api.scoped(Tip).order_by(Tip.id).limit(settings["tips_per_page"])).all()
    return render_template("example/tips.html", tips=rows, greeting=settings["greeting"])


@public_bp.route("/hello")
def hello() -> str:
    # A string returned from a view is served as HTML: escape what the data says.
    return f"Hello from {escape(api.current_municipality().name)}"


@api.hookimpl
def broen_plugin_info() -> api.PluginInfo:
    return api.PluginInfo(
        name=NAME,
        title_da="Eksempel",
        title_en="Example",
        description="A plugin that shows every hook.",
        version="1.0",
        settings_form=SettingsForm,
        defaults={"greeting": "Hej", "tips_per_page": 10},
    )


@api.hookimpl
def broen_register_blueprints(app: Flask) -> list[Blueprint]:
    return [bp, public_bp]


class TipView(api.ScopedModelView):
    plugin = NAME
    column_list = ("text", "municipality")
    form_columns = ("text", "municipality")


@api.hookimpl
def broen_register_admin_views(admin: Any, session: Any) -> None:
    admin.add_view(TipView(Tip, session, name="Tips", endpoint="example_tips"))


@api.hookimpl
def broen_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@api.hookimpl
def broen_menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    if user.role_in(municipality.id) in STAFF:
        return [api.MenuItem(api.gettext("Tips"), "example.tips", order=50)]
    return []


@api.hookimpl
def broen_worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    return [api.WorklistItem(f"Example task in {municipality.name}", level="warning")]


@api.hookimpl
def broen_citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return [api.CitizenPanel("Example panel", render_template("example/panel.html", citizen=citizen))]


@api.hookimpl
def broen_citizen_data(citizen: api.Citizen) -> list[api.DataSection]:
    rows = api.db().session.execute(
        select(CitizenNote.id, CitizenNote.text)
        .where(CitizenNote.citizen_id == citizen.id)
        .order_by(CitizenNote.id)
    )
    return [api.DataSection("notes", "Notes", [{"id": id_, "text": text} for id_, text in rows])]


@api.hookimpl
def broen_erase_citizen(citizen: api.Citizen, by: api.User | None) -> None:
    api.db().session.execute(delete(CitizenNote).where(CitizenNote.citizen_id == citizen.id))


@api.hookimpl
def broen_calendar_events(
    municipality: api.Municipality, feed: str, viewer: api.User | None, start: datetime, end: datetime
) -> list[api.CalendarEvent]:
    # Three weekly meetings a few days after the window opens (the window starts a month back), so
    # they are always upcoming; the uid is the date, so the same meeting keeps its uid.
    first = (start + timedelta(days=35)).replace(hour=16, minute=0, second=0, microsecond=0)
    return [
        api.CalendarEvent(
            uid=f"example-{municipality.slug}-{day:%Y%m%d}@broen",
            start=day,
            end=day + timedelta(hours=2),
            summary=f"Example meeting {i + 1}",
            location="Example venue",
            last_modified=datetime(2026, 11, 1, tzinfo=UTC),
        )
        for i, day in enumerate(first + timedelta(days=7 * n) for n in range(3))
        if day < end
    ]


@api.hookimpl
def broen_cli(group: click.Group) -> None:
    @group.command("example-count")
    def count() -> None:
        """Print how many tips there are, in every municipality."""
        click.echo(f"{api.db().session.scalar(select(func.count()).select_from(Tip))} tips")
