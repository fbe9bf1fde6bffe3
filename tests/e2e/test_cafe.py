"""The café from end to end in chromium: a coordinator creates a course, a participant signs up on their
phone (or desktop), sees the subscribe box, and the feed link shown there serves their sessions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from icalendar import Calendar

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer, PageChecker, another_person, unavailable

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str) -> None:
    page.goto("/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def participant_with_citizen(live_server: LiveServer, tag: str) -> str:
    """A participant log-in linked to an eligible citizen of Silkeborg (as an accepted invitation makes it)."""
    app, world = live_server.app, live_server.world
    with app.app_context():
        db = app.extensions["broen.db"]
        silkeborg = world.municipalities["silkeborg"]
        accounts.set_plugin_enabled(db, silkeborg, "cafe", True)
        user = accounts.create_user(db, f"cafe-{tag}@example.dk", f"Deltager {tag}", PASSWORD)
        user.language = "en"
        accounts.grant_role(db, user, silkeborg, Role.PARTICIPANT)
        citizen = create_citizen(
            db,
            silkeborg,
            world.user("silkeborg", "coordinator"),
            CitizenData(name=f"Deltager {tag}", flexjob_approved=True, flexjob_mental_health_basis=True),
        )
        citizen.user_id = user.id
        db.session.commit()
        return user.email


def test_a_coordinator_makes_a_course_and_a_participant_signs_up_and_subscribes(
    page: Page,
    browser: Browser,
    check: PageChecker,
    live_server: LiveServer,
    viewport: ViewportSize,
) -> None:
    tag = f"{viewport['width']}"
    title = f"Café på vej {tag}"
    participant = participant_with_citizen(live_server, tag)
    first = date.today() + timedelta(days=7)

    # The coordinator creates the course in one form (defaults: 5 weekly sessions of 2 hours).
    log_in(page, live_server.world.user("silkeborg", "coordinator").email)
    page.goto("/silkeborg/cafe/")
    check("the course list")
    page.get_by_role("link", name="New course").first.click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Venue").fill("Medborgerhuset, Silkeborg")
    page.get_by_label("First date").fill(first.isoformat())
    page.get_by_label("Start time").fill("17:00")
    check("the new course form")
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("17:00").first).to_be_visible()
    check("the course page")

    # The participant, in a browser of their own, signs up and subscribes.
    with another_person(browser, viewport, live_server) as (own, own_check):
        log_in(own, participant)
        own.goto("/silkeborg/cafe/me/")
        own.get_by_role("button", name=f"Sign up {title}").click()
        expect(own.get_by_role("heading", name="My courses")).to_be_visible()
        expect(own.get_by_text(title).first).to_be_visible()
        expect(own.get_by_role("heading", name="Subscribe to my calendar")).to_be_visible()
        own_check("the participant page after signing up")
        own.get_by_role("button", name="Make my calendar link").click()
        link = own.get_by_label("Calendar link").input_value()
        assert link.endswith(".ics")
        expect(own.get_by_role("link", name="Add to my calendar")).to_have_attribute(
            "href", "webcal://" + link.split("://", 1)[1]
        )
        own_check("the subscribe box with the link")

        # The link is made with the configured base URL; the path is what the phone would fetch.
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        response = own.request.get(live_server.url + path)
        assert response.status == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        events = Calendar.from_ical(response.body()).walk("VEVENT")
        mine = [e for e in events if str(e["SUMMARY"]) == title]
        assert len(mine) == 5
        assert {e.decoded("DTSTART").strftime("%H:%M") for e in mine} == {"17:00"}
