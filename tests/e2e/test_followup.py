"""The follow-up plugins from end to end in chromium: a Silkeborg coordinator finds an overdue citizen on the
start page, logs a contact from the citizen's contacts page, and the citizen leaves the overdue list; then the
outcome report shows its charts for a cohort (a screenshot of it is kept in artifacts/e2e/ for people to
look at), and its printable page has them too, without the menu."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from tests.e2e.conftest import LiveServer, PageChecker, unavailable
from tests.e2e.test_cafe import log_in
from tests.plugins.test_outcome_cohort import PERIOD, build_cohort

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser

#: Where the report's screenshots are kept (CI may collect the folder); not in git.
ARTIFACTS = Path(os.environ.get("BROEN_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts")) / "e2e"


@pytest.fixture(scope="module")
def cohort(live_server: LiveServer) -> None:
    """The hand-computed cohort of the report's tests, in the live server's database, once."""
    build_cohort(live_server.app, live_server.world)


def overdue_citizen(live_server: LiveServer, name: str) -> None:
    """A citizen of the Silkeborg coordinator's who started 40 days ago and has had no contact."""
    app, world = live_server.app, live_server.world
    with app.test_request_context("/silkeborg/"):
        db = app.extensions["broen.db"]
        silkeborg = world.municipalities["silkeborg"]
        accounts.set_plugin_enabled(db, silkeborg, "contacts", True)
        coordinator = world.user("silkeborg", "coordinator")
        data = CitizenData(
            name=name, contact_person_id=coordinator.id, status_since=date.today() - timedelta(40)
        )
        create_citizen(db, silkeborg, coordinator, data)


def test_a_logged_contact_takes_the_citizen_off_the_overdue_list_and_the_report_shows_its_charts(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize, cohort: None
) -> None:
    tag = f"{viewport['width']}"
    name = f"Overdue Person{tag}"
    overdue_citizen(live_server, name)
    log_in(page, live_server.world.user("silkeborg", "coordinator").email)

    page.goto("/silkeborg/")
    panel = page.locator("section.broen-panel").filter(has=page.get_by_role("heading", name="Due a contact"))
    expect(panel.locator(".broen-due-overdue").get_by_role("link", name=name)).to_be_visible()
    check("the start page with who is due a contact")

    panel.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page.get_by_label("Date").fill(date.today().isoformat())
    page.get_by_role("group", name="How").get_by_label("Walk").check()
    page.get_by_role("group", name="Who took the initiative").get_by_label("The citizen").check()
    page.get_by_label("Short note").fill("A walk by the lake; next time we look at the bakery.")
    check("the citizen's contacts page, filled in")
    page.get_by_role("button", name="Log the contact").click()
    expect(page.get_by_text("The contact is logged.")).to_be_visible()

    page.goto("/silkeborg/")
    expect(page.get_by_role("heading", name="Good to see you", exact=False)).to_be_visible()
    expect(page.locator(".broen-due-overdue").get_by_role("link", name=name)).to_have_count(0)

    query = "&".join(f"{k}={v}" for k, v in PERIOD.items() if k != "scope")
    page.goto(f"/silkeborg/outcomes/?{query}&scope=this")
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(4)  # course, work, retention, wellbeing
    expect(page.get_by_role("img", name="Work and education", exact=False)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^Enrolled\b")).first).to_contain_text("2")
    check("the outcome report with its charts")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"outcome-report-{tag}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

    page.get_by_role("link", name="Printable page").click()
    expect(page.locator("svg[role=img]")).to_have_count(4)
    expect(page.get_by_role("navigation")).to_have_count(0)
    check("the report's printable page")
