"""The plugin machinery: broken plugins stop start-up, enablement per municipality, failures isolated.

The sample plugins live in tests/plugins/ (outside `broen/`): `broen_example` (every hook, the way a
stranger would write it), `recorder` (writes down each hook call) and `faulty` (broken on purpose).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import select

from broen.core import accounts
from broen.core.models import PluginState
from broen.core.plugins import PluginError, decode_setting, encode_setting
from tests.conftest import EXAMPLE_PLUGIN, Client, World, make_app
from tests.plugins import faulty
from tests.plugins.recorder import Recorder

# ---------------------------------------------------------------------------------------------------
# Start-up: a broken plugin stops broen with a message naming the plugin (no database is needed).


def start(tmp_path: Path, *plugins: tuple[str, object]) -> Flask:
    return make_app(f"sqlite:///{tmp_path / 'unused.db'}", plugins=(EXAMPLE_PLUGIN, *plugins))


def test_a_misspelt_hook_stops_start_up_naming_the_plugin_and_the_hook(tmp_path: Path) -> None:
    with pytest.raises(PluginError) as caught:
        start(tmp_path, ("misspelt", faulty.Misspelt()))
    message = str(caught.value)
    assert "'misspelt'" in message and "'broen_menu_item'" in message
    assert "did you mean 'broen_menu_items'" in message


def test_a_hook_function_without_the_hookimpl_marker_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"'unmarked'.*broen_menu_items.*not marked with @hookimpl"):
        start(tmp_path, ("unmarked", faulty.Unmarked()))


def test_a_hook_argument_the_spec_does_not_have_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"'wrong_argument'.*person"):
        start(tmp_path, ("wrong_argument", faulty.WrongArgument()))


def test_a_plugin_without_broen_plugin_info_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"plugin 'anonymous': it must implement broen_plugin_info"):
        start(tmp_path, ("anonymous", faulty.WithoutInfo()))


def test_a_plugin_whose_info_names_another_plugin_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"plugin 'registered'.*'something_else'"):
        start(tmp_path, ("registered", faulty.CalledSomethingElse()))


@pytest.mark.parametrize("name", ["calendar", "citizens", "public", "Bad-Name", "x"])
def test_a_plugin_name_that_would_shadow_the_core_or_is_no_identifier_is_refused(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(PluginError, match=f"plugin '{name}': a plugin's name is"):
        start(tmp_path, (name, faulty.Named(name)))


def test_two_different_plugins_under_one_name_stop_start_up(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="another plugin is installed under the same name"):
        start(tmp_path, ("example", faulty.Named("example")))


def test_every_settings_field_needs_a_default(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"'no_defaults'.*no default: \['size'\], no field: \['colour'\]"):
        start(tmp_path, ("no_defaults", faulty.SettingsWithoutDefaults()))


def test_a_plugin_that_raises_while_the_app_is_built_is_named(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match=r"'broken_blueprints' failed in broen_register_blueprints"):
        start(tmp_path, ("broken_blueprints", faulty.BrokenBlueprints()))


def test_a_scoped_admin_view_that_forgot_its_plugin_is_tied_to_it(tmp_path: Path) -> None:
    app = start(tmp_path, ("forgetful", faulty.ForgetfulAdmin()))
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    assert views["forgetful_citizens"].plugin == "forgetful"
    assert views["example_tips"].plugin == "example"
    assert views["membership"].plugin is None  # the core's own views are not touched


# ---------------------------------------------------------------------------------------------------
# Settings keep their types through the JSON column.


@pytest.mark.parametrize(
    ("default", "value"),
    [
        (10, 3),
        (1.5, 2.25),
        (True, False),
        ("Hej", "Goddag"),
        (date(2026, 1, 1), date(2027, 5, 17)),
        (datetime(2026, 1, 1, 8, 0), datetime(2027, 1, 1, 9, 30)),
        (Decimal("1.50"), Decimal("2.75")),
    ],
)
def test_a_setting_comes_back_with_the_type_of_its_default(default: Any, value: Any) -> None:
    back = decode_setting(default, encode_setting(value))
    assert back == value and type(back) is type(default)


@pytest.mark.parametrize(
    ("default", "saved"), [(10, "ten"), (10, True), (True, 1), ("x", 3), (date(2026, 1, 1), "no")]
)
def test_a_saved_value_of_another_type_is_refused(default: Any, saved: Any) -> None:
    with pytest.raises(ValueError):
        decode_setting(default, saved)


def test_a_saved_setting_that_no_longer_fits_falls_back_to_the_default(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    silkeborg = world.municipalities["silkeborg"]
    with app.app_context():
        db = app.extensions["broen.db"]
        state = db.session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == silkeborg.id, PluginState.plugin == "example"
            )
        )
        state.settings = {"tips_per_page": "many", "greeting": "Goddag", "gone": 1}
        db.session.commit()
        settings = app.extensions["broen.plugins"].settings("example", silkeborg)
    assert settings == {"tips_per_page": 10, "greeting": "Goddag"}
    assert "tips_per_page" in caplog.text


# ---------------------------------------------------------------------------------------------------
# Enablement per municipality: pages 404, hooks not called, admin view closed.


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorded_app(database_url: str, world: World, recorder: Recorder) -> Iterator[Flask]:
    """The example plugin on in Silkeborg only, the recorder on in Silkeborg only."""
    app = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("recorder", recorder)))
    with app.app_context():
        db = app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, world.municipalities["norddjurs"], "example", False)
        accounts.set_plugin_enabled(db, world.municipalities["silkeborg"], "recorder", True)
    recorder.calls.clear()
    yield app
    app.extensions["broen.db"].dispose()


def logged_in(app: Flask, user: Any | None) -> Client:
    """A fresh client (its own cookies) logged in as `user`, or anonymous for None."""
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    if user is not None:
        assert client.login(user).status_code == 302
    return client


def pages(world: World, slug: str) -> dict[str, str]:
    return {
        "home": f"/{slug}/",
        "citizen": f"/{slug}/citizens/{world.citizens[slug][0]}",
        "calendar": f"/{slug}/calendar/",
    }


def feed_summaries(client: Client, slug: str) -> list[str]:
    response = client.get(f"/{slug}/public/calendar/public.ics")
    assert response.status_code == 200
    return [str(event["SUMMARY"]) for event in Calendar.from_ical(response.data).walk("VEVENT")]


def test_a_disabled_plugins_pages_answer_404_in_that_municipality_only(
    recorded_app: Flask, world: World
) -> None:
    client = logged_in(recorded_app, world.user("silkeborg", "coordinator"))
    assert client.get("/silkeborg/example/").status_code == 200
    assert client.get("/silkeborg/public/example/hello").status_code == 200
    client = logged_in(recorded_app, world.user("norddjurs", "coordinator"))
    assert client.get("/norddjurs/example/").status_code == 404
    assert client.get("/norddjurs/public/example/hello").status_code == 404
    anonymous = logged_in(recorded_app, None)
    assert anonymous.get("/norddjurs/public/example/hello").status_code == 404
    assert (
        anonymous.get("/silkeborg/public/example/hello").get_data(as_text=True)
        == "Hello from Silkeborg Kommune"
    )


def test_a_disabled_plugin_adds_nothing_to_that_municipalitys_pages(
    recorded_app: Flask, world: World
) -> None:
    example_parts = (">Tips</a>", "Example task in", "Example panel", "Example meeting")
    for slug, present in (("silkeborg", True), ("norddjurs", False)):
        rclient = logged_in(recorded_app, world.user(slug, "coordinator"))
        text = ""
        for url in pages(world, slug).values():
            response = rclient.get(url)
            assert response.status_code == 200, url
            text += response.get_data(as_text=True)
        for part in example_parts:
            assert (part in text) is present, (slug, part)
        assert any(s.startswith("Example meeting") for s in feed_summaries(rclient, slug)) is present


def test_a_plugins_hooks_are_not_called_at_all_where_it_is_off(
    recorded_app: Flask, world: World, recorder: Recorder
) -> None:
    per_municipality = {
        "broen_menu_items",
        "broen_worklist_items",
        "broen_home_panels",
        "broen_citizen_panels",
        "broen_extra_facts",
        "broen_calendar_events",
    }
    for slug in ("norddjurs", "silkeborg"):
        rclient = logged_in(recorded_app, world.user(slug, "coordinator"))
        for url in pages(world, slug).values():
            assert rclient.get(url).status_code == 200
        feed_summaries(rclient, slug)
    assert recorder.hooks_for("norddjurs") == set()
    assert recorder.hooks_for("silkeborg") == per_municipality
    assert recorder.slugs() == {"silkeborg"}


def test_turning_a_plugin_on_in_the_admin_opens_its_pages_there(recorded_app: Flask, world: World) -> None:
    norddjurs = world.municipalities["norddjurs"]
    rclient = logged_in(recorded_app, world.user("norddjurs", "admin"))
    assert rclient.get("/norddjurs/example/").status_code == 404
    response = rclient.submit(
        f"/admin/plugins/{norddjurs.id}/example/toggle", {"enabled": "1"}, page="/admin/plugins/"
    )
    assert response.status_code == 302
    assert rclient.get("/norddjurs/example/").status_code == 200
    with recorded_app.app_context():
        assert recorded_app.extensions["broen.plugins"].enabled_names(norddjurs) == {"example"}


def test_enablement_is_read_afresh_for_each_request_even_in_one_app_context(
    recorded_app: Flask, world: World
) -> None:
    rclient = logged_in(recorded_app, world.user("silkeborg", "coordinator"))
    with recorded_app.app_context():  # the test client's requests share this context and its g
        assert rclient.get("/silkeborg/example/").status_code == 200
        db = recorded_app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, world.municipalities["silkeborg"], "example", False)
        assert rclient.get("/silkeborg/example/").status_code == 404


def test_a_disabled_plugins_admin_view_is_closed_to_that_municipalitys_admin(
    recorded_app: Flask, world: World
) -> None:
    rclient = logged_in(recorded_app, world.user("norddjurs", "admin"))
    assert rclient.get("/admin/example_tips/").status_code == 403
    assert "/admin/example_tips/" not in rclient.get("/admin/").get_data(as_text=True)
    rclient = logged_in(recorded_app, world.user("silkeborg", "admin"))
    assert rclient.get("/admin/example_tips/").status_code == 200
    assert "/admin/example_tips/" in rclient.get("/admin/").get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------
# A plugin that raises inside a page hook: logged by name, page renders, admins are told.


@pytest.fixture
def faulty_app(database_url: str, world: World) -> Iterator[Flask]:
    app = make_app(
        database_url,
        plugins=(
            ("bad_query", faulty.BadQuery()),
            EXAMPLE_PLUGIN,
            ("faulty", faulty.Failing()),
            ("wrong_answers", faulty.WrongAnswers()),
        ),
    )
    with app.app_context():
        for name in ("bad_query", "faulty", "wrong_answers"):
            accounts.set_plugin_enabled(
                app.extensions["broen.db"], world.municipalities["silkeborg"], name, True
            )
    yield app
    app.extensions["broen.db"].dispose()


def test_a_plugin_that_raises_is_logged_by_name_and_the_page_still_renders(
    world: World, faulty_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    faulty_client = logged_in(faulty_app, world.user("silkeborg", "coordinator"))
    expected = {"home": "Example task in", "citizen": "Example panel", "calendar": "Example meeting"}
    for page, url in pages(world, "silkeborg").items():
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="broen.core.plugins"):
            response = faulty_client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert expected[page] in text and ">Tips</a>" in text  # the other plugins' parts are there
        assert "<strong>faulty</strong>" not in text  # the notice is for admins, not for a coordinator
        failed = {(r.args[0], r.args[1]) for r in caplog.records if r.name == "broen.core.plugins"}  # type: ignore[index]
        assert ("faulty", "broen_menu_items") in failed
        if page in ("home", "citizen"):  # its SQL failed first; the pages' later queries still worked
            assert (
                "bad_query",
                "broen_worklist_items" if page == "home" else "broen_citizen_panels",
            ) in failed
        assert any(r.exc_info and "exploded" in str(r.exc_info[1]) for r in caplog.records)
    with caplog.at_level(logging.ERROR, logger="broen.core.plugins"):
        assert "Example meeting 1" in feed_summaries(faulty_client, "silkeborg")
    assert "plugin faulty failed in broen_calendar_events" in caplog.text


def test_answers_of_the_wrong_shape_count_as_failures_of_that_plugin(
    world: World, faulty_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    faulty_client = logged_in(faulty_app, world.user("silkeborg", "coordinator"))
    with caplog.at_level(logging.ERROR, logger="broen.core.plugins"):
        home = faulty_client.get("/silkeborg/").get_data(as_text=True)
        citizen = faulty_client.get(pages(world, "silkeborg")["citizen"]).get_data(as_text=True)
    assert "Bare item" not in home and "a string is not" not in home and "Example task in" in home
    assert "Half a panel" not in citizen and "Example panel" in citizen  # all of a plugin's answer, or none
    for hook in ("broen_menu_items", "broen_worklist_items", "broen_citizen_panels"):
        assert f"plugin wrong_answers failed in {hook}" in caplog.text


def test_a_municipality_admin_sees_which_plugin_failed(world: World, faulty_app: Flask) -> None:
    faulty_client = logged_in(faulty_app, world.user("silkeborg", "admin"))
    for url in pages(world, "silkeborg").values():
        text = faulty_client.get(url).get_data(as_text=True)
        assert "<strong>faulty</strong>" in text, url
