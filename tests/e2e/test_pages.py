"""A page for mentors only, from end to end in chromium: a Silkeborg admin writes it (with the live preview)
and publishes it to the mentors; a Silkeborg mentor finds it by searching its words and reads it; a Norddjurs
coordinator finds nothing, and its address answers 404. Every page is axe-clean at 360 and 1280 px."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from broen.core import accounts
from tests.e2e.conftest import LiveServer, PageChecker, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser


def test_a_page_for_mentors_is_found_by_a_mentor_and_by_no_one_in_the_other_municipality(
    page: Page, browser: Browser, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    app, world = live_server.app, live_server.world
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "pages", True)
    word = f"Mentorkaffe{viewport['width']}"  # each viewport's run writes its own page
    title = f"Sådan holder du kontakten {viewport['width']}"

    log_in(page, world.user("silkeborg", "admin").email)
    page.goto("/silkeborg/pages/")
    page.get_by_role("link", name="New page").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Text").fill(f"## Gåtur eller kaffe\n\nAftal selv en **{word}** med din borger.")
    expect(page.locator("#page-preview h2")).to_have_text("Gåtur eller kaffe")  # the live preview
    check("the editor")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Publish").click()
    page.get_by_label("One role in the municipality").check()
    page.get_by_label("The role, if one role").select_option("mentor")
    check("the publishing form")
    page.get_by_role("button", name="Yes, publish").click()
    expect(page.get_by_text("The page is published.")).to_be_visible()
    page_url = re.sub(r"^https?://[^/]+", "", page.url)

    mentor = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    try:
        reader = mentor.new_page()
        log_in(reader, world.user("silkeborg", "mentor").email)
        reader.goto("/silkeborg/pages/")
        reader.get_by_label("Search pages and news").fill(word.lower())
        reader.get_by_role("button", name="Search", exact=True).click()
        expect(reader.get_by_text("1 result", exact=True)).to_be_visible()
        expect(reader.locator("mark")).to_have_text(word)
        PageChecker(reader, viewport, []).__call__("the mentor's search results")
        reader.get_by_role("link", name=title).click()
        expect(reader.get_by_role("heading", level=2)).to_have_text("Gåtur eller kaffe")
    finally:
        mentor.close()

    other = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    try:
        stranger = other.new_page()
        log_in(stranger, world.user("norddjurs", "coordinator").email)
        stranger.goto(f"/norddjurs/pages/search?q={word}")
        expect(stranger.get_by_text(f"Nothing matches '{word}'.", exact=False)).to_be_visible()
        PageChecker(stranger, viewport, []).__call__("a search that finds nothing")
        page_id = page_url.rstrip("/").rsplit("/", 1)[1]
        assert stranger.goto(f"/norddjurs/pages/{page_id}").status == 404  # type: ignore[union-attr]
        assert stranger.goto(page_url).status in (403, 404)  # type: ignore[union-attr]
    finally:
        other.close()
