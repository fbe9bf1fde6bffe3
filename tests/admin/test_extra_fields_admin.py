"""A Flask-Admin view with `extra_fields_target` carries the municipality's own fields: built per request (a
field added after the app was made is on the form at once), of the admin's municipality only, saved with
the row in one transaction, and a refused value shown on its field with nothing saved."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from wtforms import StringField

from broen import api
from broen.core.models import Citizen
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import EXAMPLE_PLUGIN, World, db_of, make_app
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    count_rows,
    fields_world_with,
    logged_in,
    stored,
)

NAME = "admin_fields_test"
URL = "/admin/citizen_fields"
CODE = f"{NAME}__code"


class CitizenFieldsView(api.ScopedModelView):
    """Citizens in Flask-Admin, with the municipality's own citizen fields (a view for this test only)."""

    extra_fields_target = "citizen"
    column_list = ("name",)
    form_columns = ("name", "status_since", "municipality")

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        model.search_name = (model.name or "").casefold()
        super().on_model_change(form, model, is_created)


class AdminFieldsPlugin:
    """Registers the view, and adds a field of its own whose value "refuse" it refuses when saving (a
    plugin's refusal after the form was valid: the row must not be saved either)."""

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return api.PluginInfo(name=NAME, title_da="Test", title_en="Test")

    @api.hookimpl
    def broen_register_admin_views(self, admin: Any, session: Any) -> None:
        admin.add_view(CitizenFieldsView(Citizen, session, name="Citizens", endpoint="citizen_fields"))

    @api.hookimpl
    def broen_extra_fields(
        self, municipality: api.Municipality, target: str, record_id: int | None, user: api.User
    ) -> list[api.ExtraField]:
        return [api.ExtraField(CODE, StringField("Code"))] if target == "citizen" else []

    @api.hookimpl
    def broen_save_extra_fields(
        self,
        municipality: api.Municipality,
        target: str,
        record_id: int,
        user: api.User,
        data: Mapping[str, Any],
    ) -> None:
        if data.get(CODE) == "refuse":
            raise api.ExtraFieldError(CODE, "Code: that one is taken.")


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    made = make_app(database_url, plugins=(EXAMPLE_PLUGIN, (NAME, AdminFieldsPlugin())))
    yield made
    made.extensions["broen.db"].dispose()


fields_world = fields_world_with(NAME)


def citizens_named(app: Flask, name: str) -> list[int]:
    with app.app_context():
        return list(db_of(app).session.scalars(select(Citizen.id).where(Citizen.name == name)))


@SQLITE_ONLY
def test_a_field_added_while_the_app_runs_is_on_the_admin_form_of_its_municipality_only(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    norddjurs = logged_in(make_client, fields_world, "admin")
    assert "municipal_fields__case" not in norddjurs.get(f"{URL}/new/").get_data(as_text=True)
    # After the app (and its admin views) was made:
    add_field(app, fields_world, "citizen", "case", label_en="Case number")
    html = norddjurs.get(f"{URL}/new/").get_data(as_text=True)
    assert 'name="municipal_fields__case"' in html and "Case number" in html and f'name="{CODE}"' in html
    silkeborg = logged_in(make_client, fields_world, "admin", "silkeborg")
    assert "municipal_fields__case" not in silkeborg.get(f"{URL}/new/").get_data(as_text=True)


def test_the_fields_are_saved_with_the_row_and_a_refused_value_saves_nothing(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, "citizen", "case", label_en="Case number", required=True)
    add_field(app, fields_world, "citizen", "hours", FieldType.INTEGER)
    client = logged_in(make_client, fields_world, "admin")
    row = {
        "name": "Admin Borger",
        "status_since": "2026-03-02",
        "municipality": str(fields_world.municipalities["norddjurs"].id),
    }
    cases = [
        ({"municipal_fields__case": ""}, "Fill in Case number."),
        ({"municipal_fields__case": "ND-1", "municipal_fields__hours": "twelve"}, "Write Hours as a whole"),
        ({"municipal_fields__case": "ND-1", CODE: "refuse"}, "Code: that one is taken."),  # on save
    ]
    for extra, message in cases:
        refused = client.submit(f"{URL}/new/", {**row, **extra})
        assert refused.status_code == 200 and message in unescape(refused.get_data(as_text=True)), message
        assert 'value="Admin Borger"' in refused.get_data(as_text=True)  # what was typed stays
    assert citizens_named(app, "Admin Borger") == [] and stored(app) == {}

    made = client.submit(
        f"{URL}/new/", {**row, "municipal_fields__case": "ND-1", "municipal_fields__hours": "4"}
    )
    assert made.status_code == 302
    [citizen_id] = citizens_named(app, "Admin Borger")
    assert stored(app) == {("case", citizen_id): "ND-1", ("hours", citizen_id): "4"}

    edit = f"{URL}/edit/?id={citizen_id}"
    assert 'value="ND-1"' in client.get(edit).get_data(as_text=True)
    refused = client.submit(
        edit, {**row, "name": "Nyt Navn", "municipal_fields__case": "ND-2", CODE: "refuse"}
    )
    assert "Code: that one is taken." in unescape(refused.get_data(as_text=True))
    assert citizens_named(app, "Nyt Navn") == [] and stored(app)[("case", citizen_id)] == "ND-1"
    changed = client.submit(edit, {**row, "municipal_fields__case": "ND-2", "municipal_fields__hours": ""})
    assert changed.status_code == 302
    assert stored(app) == {("case", citizen_id): "ND-2"}
    assert count_rows(app, Citizen) == 7
