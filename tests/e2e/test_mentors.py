"""Volunteer mentors from end to end in chromium: a coordinator finds a mentor for a citizen from the
citizen's page, both agree and the match starts; the coordinator invites the mentor on paper, the mentor
opens the link in a browser of their own, makes a log-in, sees their mentee's first name and what the
citizen agreed to share (nothing more), and logs a meeting."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.models import Background, ContactForm, Meeting, MentorStatus
from tests.e2e.conftest import LiveServer, PageChecker, another_person, unavailable
from tests.e2e.test_cafe import log_in

try:
    from playwright.sync_api import expect
except ImportError:
    unavailable("playwright is not installed (pip install playwright)", allow_module_level=True)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.browser
SHARED = "Likes fishing and walks by the lake."


def mentor_and_citizen(live_server: LiveServer, tag: str) -> tuple[str, int]:
    """An approved Silkeborg mentor who fishes, with an e-mail address, and a citizen to match: their names
    and the citizen's id."""
    app, world = live_server.app, live_server.world
    with app.app_context():
        db = app.extensions["broen.db"]
        silkeborg = world.municipalities["silkeborg"]
        accounts.set_plugin_enabled(db, silkeborg, "mentors", True)
        coordinator = world.user("silkeborg", "coordinator")
        name = f"Mentor {tag}"
        services.create_mentor(
            db,
            silkeborg,
            coordinator,
            services.MentorData(
                name=name,
                background=Background.RETIRED,
                email=f"mentor-{tag}@example.dk",
                interests="fishing, chess",
                area="Them",
                contact_forms=int(ContactForm.WALK),
            ),
            status=MentorStatus.APPROVED,
        )
        citizen = create_citizen(db, silkeborg, coordinator, CitizenData(name=f"Rasmus{tag} Secretsurname"))
        return name, citizen.id


def test_a_coordinator_matches_a_citizen_and_the_mentor_logs_a_meeting(
    page: Page,
    browser: Browser,
    check: PageChecker,
    live_server: LiveServer,
    viewport: ViewportSize,
) -> None:
    tag = f"{viewport['width']}"
    mentor, citizen_id = mentor_and_citizen(live_server, tag)
    first_name = f"Rasmus{tag}"

    # From the citizen's page, the coordinator records the citizen's wishes and sees who fits, and why.
    log_in(page, live_server.world.user("silkeborg", "coordinator").email)
    page.goto(f"/silkeborg/citizens/{citizen_id}")
    expect(page.get_by_role("heading", name="Volunteer mentor")).to_be_visible()
    page.get_by_role("link", name="Find a mentor").click()
    page.get_by_label("Interests and hobbies").fill("Fishing, cooking")
    page.get_by_label("Town or area").fill("them")
    page.get_by_label("Walk").check()
    page.get_by_role("button", name="Save the wishes").click()
    expect(page.get_by_text("The citizen's wishes are saved.")).to_be_visible()
    candidate = (
        page.locator("li, tr, article").filter(has_text=mentor).filter(has_text="Shared interests: fishing")
    )
    expect(candidate.first).to_be_visible()
    expect(candidate.first).to_contain_text("Same area: Them")
    check("the citizen's mentor page with the ranked list")

    # The coordinator proposes the mentor; both agree; the match starts.
    page.get_by_role("button", name=f"Propose {mentor}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(mentor)
    page.get_by_role("button", name="The citizen agreed").click()
    page.get_by_role("button", name="The mentor agreed").click()
    page.get_by_label("Every 14 days").check()
    page.get_by_role("group", name="How they meet").get_by_label("Walk").check()
    page.get_by_label("What the citizen agreed to share with the mentor").fill(SHARED)
    check("the proposed match, both agreed")
    page.get_by_role("button", name="Start the match").click()
    expect(page.get_by_text("The match is active.")).to_be_visible()
    check("the active match")

    # The coordinator invites the mentor on paper; the page shows the link once.
    page.get_by_role("link", name=mentor).first.click()
    page.get_by_role("link", name="Invite").click()
    page.get_by_label("Print").check()
    page.get_by_role("button", name="Invite").click()
    link = re.sub(r"\s", "", page.locator("main code").inner_text())
    assert "/invitation/" in link
    path = "/invitation/" + link.split("/invitation/", 1)[1]

    # The mentor, in a browser of their own, makes a log-in and logs a meeting.
    with another_person(browser, viewport, live_server) as (own, own_check):
        own.goto(path + "?lang=en")
        own_check("the mentor's invitation page")
        own.get_by_label("E-mail").fill(f"mentor-{tag}@example.dk")
        own.get_by_label("Password", exact=True).fill("a long enough password")
        own.get_by_label("Repeat password").fill("a long enough password")
        own.get_by_role("button", name="Make my log-in").click()
        expect(own.get_by_role("button", name="Log out")).to_be_visible()
        own.get_by_role("navigation", name="Main menu").get_by_role("link", name="My mentees").click()
        expect(own.get_by_role("heading", name=first_name)).to_be_visible()
        expect(own.get_by_text(SHARED)).to_be_visible()
        expect(own.get_by_text("Secretsurname")).to_have_count(0)
        own_check("the mentor's own page")
        own.get_by_role("link", name=f"Log a meeting with {first_name}").click()
        # The municipality's date: in the hour after midnight in Copenhagen, UTC is still on yesterday.
        own.get_by_label("Date").fill(datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat())
        own.get_by_label("Duration in minutes").fill("60")
        own.get_by_label("Walk").check()
        own.get_by_label("Short note").fill(f"A walk by the lake ({tag}).")
        own_check("the log-a-meeting form")
        own.get_by_role("button", name="Log the meeting").click()
        expect(own.get_by_text("The meeting is logged.").first).to_be_visible()
        own_check("the mentor's page after logging")

    # The coordinator sees it in the match's meeting log.
    with live_server.app.app_context():
        db = live_server.app.extensions["broen.db"]
        logged = db.session.query(Meeting).filter(Meeting.note == f"A walk by the lake ({tag}).").one()
        match_id = logged.match_id
    page.goto(f"/silkeborg/mentors/matches/{match_id}")
    expect(page.get_by_text(f"A walk by the lake ({tag}).")).to_be_visible()


def test_a_volunteer_applies_on_a_phone_and_the_application_waits_in_the_intake_list(
    page: Page,
    browser: Browser,
    check: PageChecker,
    live_server: LiveServer,
    viewport: ViewportSize,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from broen.plugins.mentors import intake

    monkeypatch.setattr(intake, "MIN_SECONDS", 0.0)  # a person takes longer than the test to fill it in
    tag = f"{viewport['width']}"
    with live_server.app.app_context():
        db = live_server.app.extensions["broen.db"]
        accounts.set_plugin_enabled(db, live_server.world.municipalities["silkeborg"], "mentors", True)

    # Without a log-in: the form, a mistake named on its field, then the thanks page.
    page.goto("/silkeborg/public/mentors/apply?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Become a volunteer mentor")
    check("the volunteers' sign-up form")
    page.get_by_label("Your name").fill(f"Volunteer {tag}")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_label("Retired").check()
    page.get_by_label("Interests and hobbies").fill("baking, chess")
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_role("alert").first).to_contain_text("E-mail")
    expect(page.get_by_label("Your name")).to_have_value(f"Volunteer {tag}")
    check("the sign-up form with mistakes")
    page.get_by_label("E-mail").fill(f"volunteer-{tag}@example.dk")
    page.get_by_label("I agree that my application is stored").check()
    page.get_by_role("button", name="Send application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your application")
    check("the thanks page")

    # The coordinator finds it in the intake list, not in the pool.
    with another_person(browser, viewport, live_server) as (staff, staff_check):
        log_in(staff, live_server.world.user("silkeborg", "coordinator").email)
        staff.goto("/silkeborg/mentors/")
        expect(staff.get_by_role("link", name=f"Volunteer {tag}")).to_have_count(0)
        staff.get_by_role("link", name=re.compile("volunteer applications? (is|are) waiting")).click()
        expect(staff.get_by_role("link", name=f"Volunteer {tag}")).to_be_visible()
        staff_check("the intake list")
