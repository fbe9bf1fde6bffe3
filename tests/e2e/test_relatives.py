"""Relatives from end to end in chromium: a relative refers someone through the municipality's public
page on a phone (a mistake is named on its field and nothing typed is lost), gets the receipt page; a
coordinator finds the referral from the start page, accepts it into a new citizen and opens the citizen's
page. Every page is checked with axe."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest

from broen.core import accounts
from tests.e2e.conftest import LiveServer, PageChecker, another_person, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser


def test_a_relative_refers_someone_and_a_coordinator_accepts_it_into_a_citizen(
    page: Page,
    browser: Browser,
    check: PageChecker,
    live_server: LiveServer,
    viewport: ViewportSize,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from broen.plugins.relatives import intake

    monkeypatch.setattr(intake, "MIN_SECONDS", 0.0)  # a person takes longer than the test to fill it in
    tag = f"{viewport['width']}"
    person = f"Mikkel{tag} Andersen"
    with live_server.app.app_context():
        db = live_server.app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, live_server.world.municipalities["silkeborg"], "relatives", True)

    # Without a log-in: the form, a mistake named on its field, then the receipt page.
    page.goto("/silkeborg/public/relatives/refer?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer someone to the programme")
    check("the public referral form")
    page.get_by_label("Someone close to me").check()
    page.get_by_label("The person's name").fill(person)
    page.get_by_label("Parent").check()
    page.get_by_label("Yes").check()
    page.get_by_label("Your name").fill(f"Lise{tag} Andersen")
    page.get_by_label("Your e-mail address").fill("not an address")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_role("alert").first).to_contain_text("e-mail")
    expect(page.get_by_label("The person's name")).to_have_value(person)
    check("the referral form with a mistake")
    page.get_by_label("Your e-mail address").fill(f"lise-{tag}@example.dk")
    page.get_by_label("I agree that what I send is stored").check()
    page.get_by_role("button", name="Send the referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your referral")
    expect(page.get_by_text(person)).to_have_count(0)
    check("the receipt page")

    # The coordinator finds it from the start page and accepts it into a new citizen.
    with another_person(browser, viewport, live_server) as (staff, staff_check):
        log_in(staff, live_server.world.user("silkeborg", "coordinator").email)
        staff.get_by_role("link", name="referral from the public form is waiting").first.click()
        staff_check("the intake queue")
        staff.get_by_role("link", name=person).click()
        expect(staff.get_by_text(f"Lise{tag} Andersen").first).to_be_visible()
        staff.get_by_label(f"A new citizen: {person}").check()
        staff_check("the referral with its accept form")
        staff.get_by_role("button", name="Accept the referral").click()
        expect(staff.get_by_text(f"The referral is accepted: {person}.")).to_be_visible()
        staff.get_by_role("link", name="Open the citizen's page").click()
        expect(staff.get_by_role("heading", level=1)).to_contain_text(person)
        expect(staff.get_by_role("heading", name="Relatives and network")).to_be_visible()
        staff_check("the new citizen's page")


def test_a_coordinator_records_a_relative_under_consent_refers_them_and_the_citizen_withdraws_it(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    tag = f"{viewport['width']}"
    relative = f"Hanne{tag} Jensen"
    app, world = live_server.app, live_server.world
    with app.app_context():
        db = app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, world.municipalities["silkeborg"], "relatives", True)
    citizen_id = world.citizens["silkeborg"][0 if viewport["width"] < 400 else 1]  # one server for both

    # From the citizen's page: the consent first, then the relative.
    log_in(page, world.user("silkeborg", "coordinator").email)
    page.goto(f"/silkeborg/citizens/{citizen_id}")
    page.get_by_role("link", name="Record a relative").click()
    page.get_by_role("link", name="Add a relative").click()
    page.get_by_label("The day the citizen gave their consent").fill(date.today().isoformat())
    page.get_by_label("In writing").check()
    page.get_by_label("The relative may be referred to counselling").check()
    page.get_by_label("The relative's name").fill(relative)
    page.get_by_label("Parent").check()
    page.get_by_label("E-mail").fill(f"hanne-{tag}@example.dk")
    check("the new relative form, consent first")
    page.get_by_role("button", name="Record the consent and the relative").click()
    expect(page.get_by_text("The relative and the citizen's consent are recorded.")).to_be_visible()
    check("the relative's page")

    # A referral to individual conversations: the letter shows what goes, and the citizen's name does not.
    page.get_by_role("link", name="Refer to counselling").click()
    page.get_by_label("Individual conversations").check()
    check("the referral form")
    page.get_by_role("button", name="Propose the referral").click()
    expect(page.get_by_text("The referral is proposed.")).to_be_visible()
    expect(page.locator("main")).to_contain_text(relative)
    expect(page.locator("main")).to_contain_text("(not shared)")
    check("the referral with its letter")

    # The citizen withdraws the consent: a confirmation, then the relative's details are gone.
    page.get_by_role("link", name=relative).first.click()
    page.get_by_role("link", name="Withdraw the consent").click()
    check("the withdrawal confirmation")
    page.get_by_role("button", name="Yes, withdraw the consent").click()
    expect(page.locator("main")).to_contain_text("consent withdrawn")
    expect(page.get_by_text(relative)).to_have_count(0)
    page.goto(f"/silkeborg/citizens/{citizen_id}")
    expect(page.get_by_text(relative)).to_have_count(0)
    check("the citizen's page after the withdrawal")
