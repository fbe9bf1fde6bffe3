"""Relatives from end to end in chromium: a relative refers someone through the municipality's public
page on a phone (a mistake is named on its field and nothing typed is lost), gets the receipt page; a
coordinator finds the referral from the start page, accepts it into a new citizen and opens the citizen's
page. Every page is checked with axe."""

from __future__ import annotations

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
