"""A coordinator's day in the browser, on a phone and on a desktop: every page is axe-clean and fits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer, PageChecker, unavailable

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str) -> None:
    """Log in through the form, in English (the world's users prefer English too)."""
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_coordinator_creates_finds_and_opens_a_citizen(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    coordinator = live_server.world.user("silkeborg", "coordinator")
    name = f"Dorte Testesen {viewport['width']}"  # one world per module: each viewport makes its own citizen

    page.goto("/login?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    check("login")

    page.get_by_label("E-mail").fill(coordinator.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail or password.")
    check("login with a wrong password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/silkeborg/$"))
    check("start page")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Citizens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Citizens")
    expect(page.get_by_role("link", name="Anna Silkeborg")).to_be_visible()
    check("citizens list")

    page.get_by_role("link", name="New citizen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New citizen")
    check("new-citizen form")

    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Write the citizen's name.")
    expect(page.get_by_role("alert")).to_contain_text("Write a valid e-mail address.")
    check("new-citizen form with errors")

    page.get_by_role("alert").get_by_role("link", name=re.compile("^Name")).click()
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail").fill("dorte@example.dk")
    page.get_by_label("Phone").fill("+45 12 34 56 78")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status").filter(has_text="is created")).to_be_visible()
    check("citizen page after saving")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Citizens").click()
    page.get_by_role("searchbox", name="Search by name").fill(name.lower())
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("1 citizen found")).to_be_visible()
    expect(page.get_by_role("link", name="Anna Silkeborg")).to_have_count(0)
    check("citizens list with a search")
    table_fits = page.evaluate(
        "(() => { const t = document.querySelector('main table');"
        " return t.getBoundingClientRect().right <= window.innerWidth; })()"
    )
    assert table_fits, "the citizens table is wider than the screen"

    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text("dorte@example.dk")).to_be_visible()
    check("citizen page")

    page.get_by_role("link", name="End course").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    check("end-course confirmation")
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    page.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")
    check("my account")

    page.goto("/silkeborg/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    check("staff calendar")

    response = page.goto("/silkeborg/citizens/999999")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("The page does not exist")
    check("404 page")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")


def test_language_link_keeps_the_page_and_its_query(
    page: Page, check: PageChecker, live_server: LiveServer
) -> None:
    log_in(page, live_server.world.user("norddjurs", "coordinator").email)
    expect(page).to_have_url(re.compile(r"/norddjurs/$"))

    page.goto("/norddjurs/citizens/?q=Bo&status=intake")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("contentinfo").get_by_role("link", name="Dansk").click()

    expect(page.locator("html")).to_have_attribute("lang", "da")
    url = urlsplit(page.url)
    assert url.path == "/norddjurs/citizens/"
    assert parse_qs(url.query) == {"q": ["Bo"], "status": ["intake"], "lang": ["da"]}
    expect(page.locator("#q")).to_have_value("Bo")
    check("citizens list in Danish")  # Danish words are longer: the page must still fit a phone

    # Switching back from the switched page replaces lang rather than adding another.
    page.get_by_role("contentinfo").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert parse_qs(urlsplit(page.url).query) == {"q": ["Bo"], "status": ["intake"], "lang": ["en"]}


def test_an_account_without_a_municipality_gets_a_calm_explanation(
    page: Page, check: PageChecker, live_server: LiveServer
) -> None:
    log_in(page, live_server.world.users["installation"].email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose municipality")
    expect(page.get_by_role("link", name="Go to administration")).to_be_visible()
    check("choose municipality")
