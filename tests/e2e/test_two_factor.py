"""Two-factor login in chromium: a coordinator sets it up from their account page (the key typed into an
authenticator app, here pyotp), saves the recovery codes, and logs in again with a code. The setup page,
the recovery codes and the code step are axe-clean at 360 and 1280 px."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pyotp
import pytest

from broen.core import accounts
from broen.core.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer, PageChecker, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.browser


def test_a_coordinator_sets_up_two_factor_login_and_logs_in_with_a_code(
    page: Page, check: PageChecker, live_server: LiveServer, viewport: ViewportSize
) -> None:
    app, world = live_server.app, live_server.world
    email = f"twofactor{viewport['width']}@silkeborg.example.dk"
    with app.app_context():
        db = app.extensions["broen.db"]
        user = accounts.create_user(db, email, "Tove Totrin", PASSWORD, language="en")
        accounts.grant_role(db, user, world.municipalities["silkeborg"], Role.COORDINATOR)
    log_in(page, email)

    page.goto("/me")
    page.get_by_role("link", name="Set up two-factor login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor login")
    expect(page.get_by_role("img", name="QR code to add broen to your authenticator app")).to_be_visible()
    check("the two-factor setup page")
    secret = "".join(page.locator("code.broen-key").inner_text().split())
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn two-factor login on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".broen-codes li")).to_have_count(10)
    check("the recovery codes")
    page.get_by_role("link", name="I have saved the codes").click()

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Type the code from your app")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("That code is not right.")).to_be_visible()
    check("the code step with an error")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))  # the first code is used up
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
