"""Extra fields from plugins on the core's citizen form and page (`api.extra_form`, `save_extras`,
`extra_facts`): the field shows where the plugin is on, its value is saved with the citizen in one
transaction, a value the plugin refuses is shown on the field with nothing saved, and a plugin that fails
while saving stops the save instead of losing the value."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import Citizen
from tests.conftest import EXAMPLE_PLUGIN, Client, World, db_of, make_app, text_of
from tests.plugins.recorder import Recorder

NEW = "/silkeborg/citizens/new"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorded(database_url: str, world: World, recorder: Recorder) -> Iterator[Flask]:
    """The recorder (with its extra field "Recorder note") on in Silkeborg only."""
    app = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("recorder", recorder)))
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), world.municipalities["silkeborg"], "recorder", True)
    yield app
    app.extensions["broen.db"].dispose()


def coordinator(app: Flask, world: World, slug: str = "silkeborg") -> Client:
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.login(world.user(slug, "coordinator")).status_code == 302
    return client


def citizens_named(app: Flask, name: str) -> int:
    with app.app_context():
        return int(
            db_of(app).session.scalar(select(func.count()).select_from(Citizen).where(Citizen.name == name))
        )


def test_the_extra_field_is_on_the_form_saved_with_the_citizen_and_shown_on_its_page(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    client = coordinator(recorded, world)
    form = text_of(client.get(NEW))
    assert (
        "The municipality's own fields" in form and "Recorder note" in form and "Up to 20 characters." in form
    )
    made = client.submit(NEW, {"name": "Extra Person", "status": "intake", "recorder__note": "likes tea"})
    assert made.status_code == 302
    page = text_of(client.get(made.location))
    assert "Recorder note likes tea" in page
    citizen_id = int(made.location.rstrip("/").rsplit("/", 1)[1])
    assert recorder.extra[("citizen", citizen_id)] == "likes tea"
    # The edit form shows the value, and an edit saves the new one.
    edit = f"/silkeborg/citizens/{citizen_id}/edit"
    assert 'value="likes tea"' in client.get(edit).get_data(as_text=True)
    assert (
        client.submit(
            edit, {"name": "Extra Person", "status": "intake", "recorder__note": "coffee"}
        ).status_code
        == 302
    )
    assert recorder.extra[("citizen", citizen_id)] == "coffee"


def test_a_refused_or_invalid_value_is_shown_on_its_field_and_nothing_is_saved(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    client = coordinator(recorded, world)
    refused = client.submit(NEW, {"name": "Refused Person", "status": "intake", "recorder__note": "refused"})
    assert refused.status_code == 400 and "The recorder refuses this note." in text_of(refused)
    assert 'value="Refused Person"' in refused.get_data(as_text=True)  # what was typed is kept
    too_long = client.submit(NEW, {"name": "Refused Person", "status": "intake", "recorder__note": "x" * 21})
    assert too_long.status_code == 400 and "20 characters" in text_of(too_long)
    assert citizens_named(recorded, "Refused Person") == 0


def test_a_plugin_that_fails_while_saving_stops_the_save(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    recorded.config["PROPAGATE_EXCEPTIONS"] = False
    recorder.fail_saving = RuntimeError("disk full")
    client = coordinator(recorded, world)
    response = client.submit(NEW, {"name": "Half Person", "status": "intake", "recorder__note": "x"})
    assert response.status_code == 500
    assert citizens_named(recorded, "Half Person") == 0


def test_where_the_plugin_is_off_there_is_no_extra_field(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    client = coordinator(recorded, world, "norddjurs")
    assert "Recorder note" not in text_of(client.get("/norddjurs/citizens/new"))
    made = client.submit("/norddjurs/citizens/new", {"name": "Plain Person", "status": "intake"})
    assert made.status_code == 302
    assert "Recorder note" not in text_of(client.get(made.location))
    assert recorder.extra == {}
