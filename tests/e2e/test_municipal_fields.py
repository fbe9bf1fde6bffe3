"""Municipal fields from end to end in chromium: Norddjurs's admin adds a required one-choice field to
citizens under "Fields"; a Norddjurs coordinator who leaves it empty sees the error on that field, then
chooses, saves and sees the value on the citizen's page, and finds the citizen in the list by it, with the
field as a column; Silkeborg's new-citizen form has no such field. Then the admin changes a field's type and
is told how many values would not convert and asked what happens to them, and purges an archived field after
a confirmation that says how many values go."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from broen.core import accounts
from broen.plugins.municipal_fields import services
from tests.e2e.conftest import LiveServer, PageChecker, another_person, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser


def plugin_on_everywhere(live_server: LiveServer, tag: str) -> None:
    """The plugin on in both municipalities, no citizen field from an earlier run (the other viewport's
    required field would stop the coordinator's save), and an optional several-choices field in Norddjurs
    (its check boxes are on the pages axe checks)."""
    app, world = live_server.app, live_server.world
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "municipal_fields", True)
            for definition in services.fields_for(db, m, "citizen"):
                services.archive_field(db, definition, world.user(m.slug, "admin"))
        norddjurs = world.municipalities["norddjurs"]
        choices = [{"value": "cv", "da": "CV", "en": "CV"}, {"value": "it", "da": "IT", "en": "Computers"}]
        data = services.FieldData(
            target="citizen",
            key=f"support_{tag}",
            label_da=f"Støtte {tag}",
            label_en=f"Support {tag}",
            type="choices",
            choices=choices,
            see_roles=["admin", "coordinator"],
            edit_roles=["admin", "coordinator"],
        )
        services.create_field(db, norddjurs, world.user("norddjurs", "admin"), data)


def test_an_admin_adds_a_required_choice_and_a_coordinator_fills_it_in(
    page: Page,
    browser: Browser,
    check: PageChecker,
    live_server: LiveServer,
    viewport: ViewportSize,
) -> None:
    tag = f"{viewport['width']}"
    plugin_on_everywhere(live_server, tag)
    key, label = f"benefit_{tag}", f"Benefit {tag}"
    world = live_server.world

    # Norddjurs's admin adds the field under "Fields".
    log_in(page, world.user("norddjurs", "admin").email)
    page.goto("/norddjurs/")
    page.get_by_role("link", name="Fields", exact=True).first.click()
    expect(page.get_by_role("heading", name="Fields", level=1)).to_be_visible()
    check("the admin's fields page")
    page.get_by_role("link", name=re.compile(r"Add a field.*Citizen")).click()
    page.get_by_label("Key").fill(key)
    page.get_by_label("Type").select_option("choice")
    page.get_by_label("Label in Danish").fill(f"Ydelse {tag}")
    page.get_by_label("Label in English").fill(label)
    page.get_by_label("Choices").fill(
        "cash | Kontanthjælp | Cash benefit\nsick | Sygedagpenge | Sickness benefit"
    )
    page.get_by_label("Must be filled in").check()
    page.get_by_role("group", name="Who may see it").get_by_label("Coordinator").check()
    page.get_by_role("group", name="Who may fill it in and change it").get_by_label("Coordinator").check()
    check("the new field form, filled in")
    page.get_by_role("button", name="Add the field").click()
    expect(page.get_by_text(key, exact=True)).to_be_visible()

    # A Norddjurs coordinator creates a citizen without it, sees the error on the field, then fills it in.
    with another_person(browser, viewport, live_server) as (own, own_check):
        log_in(own, world.user("norddjurs", "coordinator").email)
        own.goto("/norddjurs/citizens/new")
        own.get_by_label("Name", exact=True).fill(f"Fielda{tag} Person")
        own.get_by_role("button", name="Save").click()
        field = own.get_by_label(label)
        expect(field).to_be_visible()
        expect(own.locator(".form-error").filter(has=field)).to_contain_text(f"Fill in {label}.")
        expect(own.get_by_label("Name", exact=True)).to_have_value(f"Fielda{tag} Person")
        own_check("the new-citizen form with the field's error")
        field.select_option(label="Sickness benefit")
        own.get_by_role("group", name=f"Support {tag}").get_by_label("Computers").check()
        own.get_by_role("button", name="Save").click()
        expect(own.get_by_role("heading", level=1)).to_contain_text(f"Fielda{tag} Person")
        expect(own.locator("dl.broen-facts")).to_contain_text(label)
        expect(own.locator("dl.broen-facts dd").filter(has_text="Sickness benefit")).to_be_visible()
        expect(own.locator("dl.broen-facts dd").filter(has_text="Computers")).to_be_visible()
        own_check("the citizen page with the field's value")

        # In the citizen list the field is a column to choose and a filter.
        own.goto("/norddjurs/citizens/")
        own.get_by_text("More columns and filters").click()
        own.get_by_role("group", name="Show columns").get_by_label(label).check()
        own.get_by_role("group", name="Filter by").get_by_label(label).select_option(label="Sickness benefit")
        own.get_by_role("button", name="Find").last.click()
        row = own.get_by_role("row").filter(has_text=f"Fielda{tag} Person")
        expect(row).to_contain_text("Sickness benefit")
        expect(own.locator("thead th", has_text=label)).to_have_count(1)
        own_check("the citizen list with a field's column and filter")

    # Silkeborg's coordinator's new-citizen form does not show it.
    with another_person(browser, viewport, live_server) as (other, _other_check):
        log_in(other, world.user("silkeborg", "coordinator").email)
        other.goto("/silkeborg/citizens/new")
        expect(other.get_by_label("Name", exact=True)).to_be_visible()
        expect(other.get_by_label(label)).to_have_count(0)
        expect(other.locator(f'[name="municipal_fields__{key}"]')).to_have_count(0)

    # The admin changes the several-choices field to a whole number: the coordinator's choice cannot
    # convert, so the page says how many and asks what happens to it; then archives the field and sees how
    # many values a purge would delete.
    page.goto("/norddjurs/municipal_fields/")
    page.get_by_role("link", name=f"Edit Support {tag}").click()
    page.get_by_label("Type").select_option("integer")
    page.get_by_label("Choices").fill("")  # a whole number has none
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("1 of 1 value cannot become Whole number.", exact=True)).to_be_visible()
    check("the type change's report and choice")
    page.get_by_label("Delete them").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("1 value that did not fit was deleted.", exact=False)).to_be_visible()
    page.get_by_role("link", name=f"Archive {label}").click()
    page.get_by_role("button", name="Yes, archive").click()
    page.get_by_role("link", name=re.compile(rf"Delete values for good\W+{label}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)
    expect(page.get_by_text("1 value will be deleted (of 1 record).")).to_be_visible()
    check("the purge confirmation")
    page.get_by_role("button", name="Yes, delete for good").click()
    expect(page.get_by_text("The field is deleted, with its 1 value.")).to_be_visible()
