"""A citizen's data from end to end in chromium: a Silkeborg admin reads everything broen holds about a
citizen, then erases it after the confirmation that lists what goes; the citizen list no longer has them.
Both pages are axe-clean at 360 and 1280 px."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from broen.core.citizens.services import CitizenData, create_citizen
from tests.e2e.conftest import LiveServer, PageChecker, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser


def test_an_admin_reads_a_citizens_data_and_erases_it(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    app, world = live_server.app, live_server.world
    name = f"Erasable Person{viewport['width']}"
    with app.test_request_context("/silkeborg/"):
        db = app.extensions["broen.db"]
        admin = world.user("silkeborg", "admin")
        data = CitizenData(
            name=name, email=f"erasable{viewport['width']}@example.dk", phone="+45 11 22 33 44"
        )
        citizen_id = create_citizen(db, world.municipalities["silkeborg"], admin, data).id
    log_in(page, world.user("silkeborg", "admin").email)

    page.goto(f"/silkeborg/citizens/{citizen_id}")
    page.get_by_role("link", name="See and export the data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Data about {name}")
    expect(page.get_by_text("+45 11 22 33 44")).to_be_visible()
    expect(page.get_by_role("link", name="Download as JSON")).to_be_visible()
    check("the citizen's data")

    page.goto(f"/silkeborg/citizens/{citizen_id}")
    page.get_by_role("link", name="Erase the data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Erase all data about {name}?")
    expect(page.get_by_role("listitem").filter(has_text="The citizen's record (1)")).to_be_visible()
    check("the erasure's confirmation")
    page.get_by_role("button", name="Yes, erase the data").click()
    expect(page.get_by_text(f"The data about {name} is erased.")).to_be_visible()
    expect(page.get_by_role("link", name=name)).to_have_count(0)
