"""A participant makes a calendar link on /me, on a phone and on a desktop: every page axe-clean and fitting."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, LiveServer, PageChecker, unavailable

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser


def test_a_participant_makes_replaces_and_stops_a_calendar_link(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    # One world per module: each viewport uses its own account, so each starts without a link.
    role = "participant" if viewport == PHONE else "mentor"
    user = live_server.world.user("silkeborg", role)
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto("/me")
    expect(page.get_by_role("heading", name="Subscribe to my calendar")).to_be_visible()
    check("/me without a calendar link")

    page.get_by_role("button", name="Make my calendar link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar link")
    link = page.get_by_label("Calendar link")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:5000/feeds/[A-Za-z0-9_-]{43}\.ics$"))
    webcal = "webcal://" + link.input_value().split("://", 1)[1]
    expect(page.get_by_role("link", name="Add to my calendar")).to_have_attribute("href", webcal)
    expect(page.get_by_role("img", name="QR code with your calendar link")).to_be_visible()
    check("the new calendar link")

    page.get_by_role("link", name="Back to my account").click()
    page.get_by_role("link", name="Make a new link (the old one stops working)").click()
    check("confirming a new link")
    page.get_by_role("button", name="Yes, make a new link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar link")

    page.goto("/me")
    page.get_by_role("link", name="Stop my calendar link").click()
    check("confirming to stop the link")
    page.get_by_role("button", name="Yes, stop the link").click()
    expect(page.get_by_role("button", name="Make my calendar link")).to_be_visible()
    check("/me after stopping the link")
