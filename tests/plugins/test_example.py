"""A stranger's plugin, installed the ordinary way, extends broen without a change to the core.

`broen_example` lives in tests/plugins/ (outside `broen/`) and imports only `broen.api` (plus Flask,
SQLAlchemy and WTForms). Here it is found the way an installed distribution is: through a
`*.dist-info` with a `broen` entry point on sys.path, and `pm.load_setuptools_entrypoints("broen")`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import broen_example
import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from broen.core.models import PluginState
from tests.conftest import Client, World, make_app


def install(site: Path) -> None:
    """What `pip install broen-example` leaves behind that matters here: metadata and the entry point."""
    dist = site / "broen_example-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broen-example\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[broen]\nexample = broen_example\n")


@pytest.fixture
def installed_app(
    database_url: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app built with no extra plugins: the example plugin comes from its entry point only."""
    install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    app = make_app(database_url, plugins=())
    yield app
    app.extensions["broen.db"].dispose()


def logged_in(app: Flask, user: Any) -> Client:
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.login(user).status_code == 302
    return client


def test_without_its_distribution_the_plugin_is_not_there(database_url: str, world: World) -> None:
    app = make_app(database_url, plugins=())
    try:
        assert "example" not in app.extensions["broen.plugins"].names
        client = logged_in(app, world.user("silkeborg", "coordinator"))
        assert client.get("/silkeborg/example/").status_code == 404
    finally:
        app.extensions["broen.db"].dispose()


def test_the_plugin_is_found_through_the_broen_entry_point_group(installed_app: Flask) -> None:
    pm = installed_app.extensions["broen.plugins"].pm
    assert pm.get_plugin("example") is broen_example
    found = [dist.metadata["Name"] for plugin, dist in pm.list_plugin_distinfo() if plugin is broen_example]
    assert found == ["broen-example"]
    assert installed_app.extensions["broen.plugins"].info["example"].title_en == "Example"


def test_a_coordinator_sees_its_menu_item_and_its_page_with_the_settings(
    installed_app: Flask, world: World
) -> None:
    client = logged_in(installed_app, world.user("silkeborg", "coordinator"))
    home = client.get("/silkeborg/").get_data(as_text=True)
    assert '<a href="/silkeborg/example/">Tips</a>' in home
    page = client.get("/silkeborg/example/")
    assert page.status_code == 200
    assert "Hej: tips" in page.get_data(as_text=True)
    danish = client.get("/silkeborg/?lang=da").get_data(as_text=True)
    assert '<a href="/silkeborg/example/">Gode råd</a>' in danish  # from the plugin's own catalogue


def test_a_mentor_gets_no_menu_item_and_no_page(installed_app: Flask, world: World) -> None:
    client = logged_in(installed_app, world.user("silkeborg", "mentor"))
    assert "/silkeborg/example/" not in client.get("/silkeborg/").get_data(as_text=True)
    assert client.get("/silkeborg/example/").status_code == 403


def test_its_worklist_item_and_citizen_panel_appear(installed_app: Flask, world: World) -> None:
    client = logged_in(installed_app, world.user("silkeborg", "coordinator"))
    assert "Example task in Silkeborg Kommune" in client.get("/silkeborg/").get_data(as_text=True)
    citizen = client.get(f"/silkeborg/citizens/{world.citizens['silkeborg'][0]}").get_data(as_text=True)
    assert "Example panel" in citizen and "Example facts about Anna Silkeborg" in citizen


def test_its_events_are_on_the_staff_calendar_and_in_the_public_feed(
    installed_app: Flask, world: World
) -> None:
    client = logged_in(installed_app, world.user("silkeborg", "coordinator"))
    calendar = client.get("/silkeborg/calendar/").get_data(as_text=True)
    assert all(f"Example meeting {i}" in calendar for i in (1, 2, 3))
    feed = installed_app.test_client().get("/silkeborg/public/calendar/public.ics")  # no login
    assert feed.status_code == 200 and feed.content_type.startswith("text/calendar")
    events = Calendar.from_ical(feed.data).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Example meeting 1",
        "Example meeting 2",
        "Example meeting 3",
    ]
    assert {str(e["LOCATION"]) for e in events} == {"Example venue"}
    assert all(str(e["UID"]).startswith("example-silkeborg-") for e in events)
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert [(b - a).days for a, b in itertools.pairwise(starts)] == [7, 7]


def test_its_admin_view_lists_only_the_admins_own_municipalitys_tips(
    installed_app: Flask, world: World
) -> None:
    with installed_app.app_context():
        broen_example.add_tip(world.municipalities["norddjurs"], "Norddjurs secret tip")
    silkeborg = world.municipalities["silkeborg"]
    client = logged_in(installed_app, world.user("silkeborg", "admin"))
    created = client.submit(
        "/admin/example_tips/new/", {"text": "Silkeborg tip", "municipality": str(silkeborg.id)}
    )
    assert created.status_code == 302
    listing = client.get("/admin/example_tips/").get_data(as_text=True)
    assert "Silkeborg tip" in listing and "Norddjurs secret tip" not in listing
    norddjurs_admin = logged_in(installed_app, world.user("norddjurs", "admin"))
    listing = norddjurs_admin.get("/admin/example_tips/").get_data(as_text=True)
    assert "Norddjurs secret tip" in listing and "Silkeborg tip" not in listing
    # The tip the admin added is the plugin's page's too, in its own municipality only.
    coordinator = logged_in(installed_app, world.user("silkeborg", "coordinator"))
    page = coordinator.get("/silkeborg/example/").get_data(as_text=True)
    assert "Silkeborg tip" in page and "Norddjurs secret tip" not in page


def test_its_cli_command_runs(installed_app: Flask, world: World) -> None:
    with installed_app.app_context():
        broen_example.add_tip(world.municipalities["silkeborg"], "One")
        broen_example.add_tip(world.municipalities["norddjurs"], "Two")
    result = installed_app.test_cli_runner().invoke(args=["example-count"])
    assert result.exit_code == 0, result.output
    assert result.output == "2 tips\n"


# ---------------------------------------------------------------------------------------------------
# Settings: declared by the plugin (WTForms + typed defaults), edited per municipality in the admin.


def settings_url(world: World, slug: str) -> str:
    return f"/admin/plugins/{world.municipalities[slug].id}/example/settings"


def saved_settings(app: Flask, world: World, slug: str) -> dict[str, Any] | None:
    with app.app_context():
        return app.extensions["broen.db"].session.scalar(
            select(PluginState.settings).where(
                PluginState.municipality_id == world.municipalities[slug].id, PluginState.plugin == "example"
            )
        )


def test_an_admin_changes_the_settings_for_their_municipality_only(app: Flask, world: World) -> None:
    with app.app_context():
        for text in ("First", "Second", "Third"):
            broen_example.add_tip(world.municipalities["silkeborg"], text)
    admin = logged_in(app, world.user("silkeborg", "admin"))
    form = admin.get(settings_url(world, "silkeborg")).get_data(as_text=True)
    assert 'value="Hej"' in form and 'value="10"' in form  # the defaults, until changed
    # One token only: a second (Flask-WTF's) before it would be the one a browser's POST is read by.
    assert form.count('name="csrf_token"') == 1
    response = admin.submit(settings_url(world, "silkeborg"), {"greeting": "Goddag", "tips_per_page": "2"})
    assert response.status_code == 302
    assert saved_settings(app, world, "silkeborg") == {"greeting": "Goddag", "tips_per_page": 2}
    with app.app_context():
        settings = app.extensions["broen.plugins"].settings("example", world.municipalities["silkeborg"])
    assert type(settings["tips_per_page"]) is int
    page = (
        logged_in(app, world.user("silkeborg", "coordinator"))
        .get("/silkeborg/example/")
        .get_data(as_text=True)
    )
    assert "Goddag: tips" in page
    assert "First" in page and "Second" in page and "Third" not in page  # tips_per_page = 2, as a number
    other = (
        logged_in(app, world.user("norddjurs", "coordinator"))
        .get("/norddjurs/example/")
        .get_data(as_text=True)
    )
    assert "Hej: tips" in other
    assert saved_settings(app, world, "norddjurs") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Number must be between 1 and 100"),
        ("abc", "Not a valid integer value"),
        ("", "This field is required"),
    ],
)
def test_an_invalid_setting_is_refused_with_a_message_and_nothing_is_saved(
    app: Flask, world: World, value: str, message: str
) -> None:
    admin = logged_in(app, world.user("silkeborg", "admin"))
    response = admin.submit(settings_url(world, "silkeborg"), {"greeting": "Goddag", "tips_per_page": value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert saved_settings(app, world, "silkeborg") == {}
    page = (
        logged_in(app, world.user("silkeborg", "coordinator"))
        .get("/silkeborg/example/")
        .get_data(as_text=True)
    )
    assert "Hej: tips" in page


def test_a_settings_form_without_its_csrf_token_is_refused(app: Flask, world: World) -> None:
    admin = logged_in(app, world.user("silkeborg", "admin"))
    response = admin.post(settings_url(world, "silkeborg"), data={"greeting": "Goddag", "tips_per_page": "5"})
    assert response.status_code == 200  # the form again, nothing saved
    assert saved_settings(app, world, "silkeborg") == {}


def test_an_admin_cannot_open_another_municipalitys_settings(app: Flask, world: World) -> None:
    admin = logged_in(app, world.user("norddjurs", "admin"))
    assert admin.get(settings_url(world, "silkeborg")).status_code == 404
    response = admin.post(settings_url(world, "silkeborg"), data={"greeting": "Hacked", "tips_per_page": "5"})
    assert response.status_code == 404
    assert saved_settings(app, world, "silkeborg") == {}
