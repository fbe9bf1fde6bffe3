"""The volunteers' public sign-up form and the coordinators' intake list: a volunteer applies without a
log-in, the application waits in the intake list (not in the pool) until a coordinator adds them to the
pool or deletes it; the form's spam guards (hidden field, signed start time, rate limit), the consent
text, the receipt mail, and the fences (plugin off, the other municipality, roles)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from broen import api
from broen.core import accounts
from broen.core.models import AuditEntry, User
from broen.plugins.mentors import intake
from broen.plugins.mentors.models import (
    Application,
    Background,
    ContactForm,
    Mentor,
    MentorStatus,
    MentorStatusChange,
    slot_bit,
)
from broen.plugins.mentors.services import MentorError
from tests.conftest import Client, World, db_of, text_of
from tests.fixtures.smtp import Inbox, free_port, smtp_server
from tests.sqlcount import count_statements

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

APPLY = "/silkeborg/public/mentors/apply"
INTAKE = "/silkeborg/mentors/intake"
FORM = {
    "name": "Hanne Holm",
    "email": "hanne@example.org",
    "phone": "12 34 56 78",
    "background": "retired",
    "about": "Bogholder i 30 år. Jeg vil gerne give noget igen.",
    "interests": "Fiskeri, strik , fiskeri",
    "area": "Silkeborg  Nord",
    "availability": ["0-0", "2-2"],
    "contact_forms": ["1", "2"],
    "consent": "y",
    "website": "",
}


@pytest.fixture(autouse=True)
def no_mail_server(app: Flask) -> None:
    """[mail] points at a port where nothing listens (the mail tests point it at a real server)."""
    app.config["BROEN"].mail.host = "127.0.0.1"
    app.config["BROEN"].mail.port = free_port()


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """People take seconds to fill in the form; the tests need not."""
    monkeypatch.setattr(intake, "MIN_SECONDS", 0)


def volunteer(make_client: Any, address: str = "198.51.100.7") -> Client:
    client: Client = make_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def started_token(html: str) -> str:
    found = re.search(r'name="started"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="started"', html
    )
    assert found, "no start time on the form"
    return found.group(1)


def apply(client: Client, **changes: Any) -> Any:
    """GET the form, then send it (with its CSRF token and start time) with `changes` to FORM."""
    html = client.get(APPLY).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token
    data = {**FORM, "csrf_token": token.group(1), "started": started_token(html), **changes}
    return client.post(APPLY, data=data)


def applications(app: Flask) -> list[Application]:
    with app.app_context():
        return list(db_of(app).session.scalars(select(Application).order_by(Application.id)))


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db_of(app).session.scalar(select(func.count()).select_from(model)) or 0)


def worklist(app: Flask, world: World, role: str = "coordinator", slug: str = "silkeborg") -> list[Any]:
    """The intake's items on the start page of `slug`'s user in `role`."""
    with app.test_request_context(f"/{slug}/"):
        user = db_of(app).session.get(User, world.user(slug, role).id)
        return intake.worklist_items(world.municipalities[slug], user)


def body(message: EmailMessage) -> str:
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


# --- the public form -------------------------------------------------------------------------------------


def test_a_volunteer_applies_without_logging_in_and_waits_in_the_intake_list_not_in_the_pool(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    client = volunteer(make_client)
    form = client.get(APPLY)
    assert form.status_code == 200
    page = text_of(form)
    assert "Become a volunteer mentor" in page and "a walk, a coffee, a phone call" in page
    assert "the citizen's wishes come first" in page
    consent = (
        "Only the municipality's mentor coordinators see it. They use it only to contact you about "
        "becoming a volunteer mentor."
    )
    assert consent in page and "at the latest after 6 months" in page
    assert "withdraw your consent" in page and "complain to Datatilsynet" in page
    assert "Silkeborg Kommune stores what you have written" in page
    html = form.get_data(as_text=True)
    # The hidden field is there for robots only: out of sight, out of the tab order, never autofilled.
    honeypot = re.search(r'<div class="sr-only" aria-hidden="true">.*?</div>', html, re.S)
    assert honeypot and 'name="website"' in honeypot.group(0)
    assert 'tabindex="-1"' in honeypot.group(0) and 'autocomplete="off"' in honeypot.group(0)

    response = apply(client)
    assert response.status_code == 302
    thanks = text_of(client.get(response.location))
    assert "Thank you for your application" in thanks and "contacts you" in thanks

    (application,) = applications(app)
    assert application.name == "Hanne Holm" and application.email == "hanne@example.org"
    assert application.background == Background.RETIRED and application.area == "Silkeborg Nord"
    assert application.interests == ["fiskeri", "strik"]
    assert application.availability == slot_bit(0, 0) | slot_bit(2, 2)
    assert application.contact_forms == ContactForm.WALK | ContactForm.COFFEE
    assert application.about.startswith("Bogholder i 30 år")
    assert consent in application.consent_text and application.consent_text.startswith("When you send")
    assert application.consent_at is not None
    assert abs(application.consent_at - api.utcnow()) < timedelta(minutes=1)
    # Only a keyed hash of the address, for the rate limit.
    assert re.fullmatch(r"[0-9a-f]{64}", application.source) and "198.51.100" not in application.source
    assert count(app, Mentor) == 0
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(select(AuditEntry).where(AuditEntry.object_type == "mentors_application"))
            .one()
        )
    assert entry.action == "create" and entry.object_id == application.id and entry.details == {}
    assert entry.municipality_id == mentors_world.municipalities["silkeborg"].id


def test_missing_consent_or_a_bad_e_mail_is_refused_naming_the_field_and_keeping_the_input(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    client = volunteer(make_client)
    response = apply(client, consent="", email="hanne at home")
    assert response.status_code == 400
    text = text_of(response)
    assert "Your application is not sent yet" in text
    assert "E-mail: Write a valid e-mail address, e.g. name@example.dk." in text
    assert "Tick the box to agree, so that we may store your application." in text
    html = response.get_data(as_text=True)
    assert 'value="hanne at home"' in html and 'value="Fiskeri, strik , fiskeri"' in html
    assert re.search(r'value="2-2" checked', html) and re.search(r'value="retired" checked', html)
    assert "Bogholder i 30 år" in html
    no_name = apply(client, name="  ", email="")
    assert no_name.status_code == 400
    assert "Your name: Write your name." in text_of(no_name)
    assert "E-mail: Write your e-mail address." in text_of(no_name)
    # A rule only the service knows, on its field too.
    many = apply(client, interests=",".join(f"tag {n}" for n in range(31)))
    assert many.status_code == 400 and "Interests and hobbies: Give at most 30 interests." in text_of(many)
    assert applications(app) == []


def test_the_hidden_field_filled_in_is_thanked_for_and_nothing_is_stored_or_sent(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, mail_to: Inbox
) -> None:
    client = volunteer(make_client)
    response = apply(client, website="https://spam.example")
    assert response.status_code == 302
    assert "Thank you for your application" in text_of(client.get(response.location))
    assert applications(app) == [] and mail_to.messages == []


def test_a_form_sent_too_fast_is_refused_with_the_input_kept_and_goes_through_when_sent_again(
    app: Flask, mentors_world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "MIN_SECONDS", 60)
    client = volunteer(make_client)
    response = apply(client)
    assert response.status_code == 400
    text = text_of(response)
    assert "The form was sent very quickly. Please check your answers and send the form again." in text
    html = response.get_data(as_text=True)
    assert 'value="Hanne Holm"' in html and 'value="hanne@example.org"' in html
    assert re.search(r'value="0-0" checked', html) and 'id="consent" name="consent" value="y" checked' in html
    assert applications(app) == []
    # Once the time has passed (here: the wait is shortened), the same page sends.
    monkeypatch.setattr(intake, "MIN_SECONDS", 0)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token
    again = client.post(APPLY, data={**FORM, "csrf_token": token.group(1), "started": started_token(html)})
    assert again.status_code == 302 and len(applications(app)) == 1


def test_a_missing_forged_foreign_or_day_old_start_time_is_refused(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    silkeborg, norddjurs = (mentors_world.municipalities[s] for s in ("silkeborg", "norddjurs"))
    with app.app_context():
        consent = intake.standard_consent_text(silkeborg)
        forged = URLSafeTimedSerializer("not the secret key", salt="broen.public_forms.mentors.apply").dumps(
            {"m": silkeborg.id, "t": 0, "c": ""}
        )
        day_old = api.public_forms.start_token(intake.PURPOSE, silkeborg, consent)
        other = api.public_forms.start_token(
            intake.PURPOSE, norddjurs, intake.standard_consent_text(norddjurs)
        )
    client = volunteer(make_client)
    for started in ("", "nonsense", forged, other):
        response = apply(client, started=started)
        assert response.status_code == 400, started
        assert "The form could not be checked. Please check your answers" in text_of(response)
        assert 'value="Hanne Holm"' in response.get_data(as_text=True)
    # A day later the token has expired (here: the day is made shorter than its age).
    monkeypatch.setattr(api.public_forms, "TOKEN_MAX_AGE", -1)
    response = apply(client, started=day_old)
    assert response.status_code == 400 and "The form was open for too long." in text_of(response)
    assert applications(app) == []


def test_the_sixth_application_within_an_hour_from_one_address_is_refused(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    client = volunteer(make_client, "203.0.113.9")
    for n in range(5):
        assert apply(client, name=f"Person {n}").status_code == 302
    sixth = apply(client, name="Person 5")
    assert sixth.status_code == 429 and sixth.headers["Retry-After"] == "3600"
    assert "We have received several forms from here within the last hour" in text_of(sixth)
    assert len(applications(app)) == 5
    # Someone else, elsewhere, is not held up; nor is the same address after an hour.
    assert apply(volunteer(make_client, "203.0.113.10")).status_code == 302
    with app.app_context():
        db = db_of(app)
        for application in db.session.scalars(select(Application)):
            application.created_at = application.created_at - timedelta(minutes=61)
        db.session.commit()
    assert apply(client, name="Person 6").status_code == 302
    assert len(applications(app)) == 7


def test_a_municipality_takes_at_most_so_many_applications_a_day(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake, "PER_MUNICIPALITY_PER_DAY", 2)
    assert apply(volunteer(make_client, "192.0.2.1")).status_code == 302
    assert apply(volunteer(make_client, "192.0.2.2")).status_code == 302
    third = apply(volunteer(make_client, "192.0.2.3"))
    assert third.status_code == 429 and "We have received very many forms today" in text_of(third)
    assert len(applications(app)) == 2


def test_the_public_form_is_not_there_where_the_plugin_is_off(
    app: Flask, mentors_world: World, make_client: Any
) -> None:
    client = volunteer(make_client)
    token = client.csrf_token(APPLY)
    with app.app_context():
        db = db_of(app)
        accounts.set_plugin_enabled(db, mentors_world.municipalities["silkeborg"], "mentors", False)
    assert client.get(APPLY).status_code == 404
    assert client.post(APPLY, data={**FORM, "csrf_token": token}).status_code == 404
    assert client.get("/norddjurs/public/mentors/apply").status_code == 200
    assert applications(app) == []


def test_a_municipality_admin_writes_its_own_consent_text_and_it_is_stored_as_shown(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    silkeborg = mentors_world.municipalities["silkeborg"].id
    admin = logged_in(make_client, mentors_world, "admin")
    url = f"/admin/plugins/{silkeborg}/mentors/settings"
    own = "Silkeborg gemmer din ansøgning.\r\nKun koordinatorerne ser den.\r\n\r\nDu kan bede om sletning."
    assert admin.submit(url, {"candidates_shown": "20", "consent_text": own}).status_code == 302
    client = volunteer(make_client)
    page = client.get(APPLY).get_data(as_text=True)
    assert "<p>Silkeborg gemmer din ansøgning.<br>Kun koordinatorerne ser den.</p>" in page
    assert "<p>Du kan bede om sletning.</p>" in page and "at the latest after 6 months" not in page
    assert apply(client).status_code == 302
    (application,) = applications(app)
    assert application.consent_text == own.replace("\r\n", "\n")
    # Norddjurs keeps the standard text.
    assert "at the latest after 6 months" in text_of(client.get("/norddjurs/public/mentors/apply"))


def test_a_consent_text_changed_while_the_form_was_open_is_shown_again_not_stored_unseen(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    client = volunteer(make_client)
    html = client.get(APPLY).get_data(as_text=True)
    admin = logged_in(make_client, mentors_world, "admin")
    url = f"/admin/plugins/{mentors_world.municipalities['silkeborg'].id}/mentors/settings"
    assert admin.submit(url, {"candidates_shown": "20", "consent_text": "A new text."}).status_code == 302
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert token
    response = client.post(APPLY, data={**FORM, "csrf_token": token.group(1), "started": started_token(html)})
    assert response.status_code == 400
    assert "The consent text has changed since the form was shown" in text_of(response)
    assert "A new text." in text_of(response) and applications(app) == []
    resent = client.post(
        APPLY,
        data={
            **FORM,
            "csrf_token": token.group(1),
            "started": started_token(response.get_data(as_text=True)),
        },
    )
    assert resent.status_code == 302
    (application,) = applications(app)
    assert application.consent_text == "A new text."


# --- the receipt -----------------------------------------------------------------------------------------


def test_the_applicant_gets_a_receipt_by_e_mail_without_anything_they_typed(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, mail_to: Inbox
) -> None:
    client = volunteer(make_client)
    assert apply(client).status_code == 302
    (message,) = mail_to.messages
    assert message["To"] == "hanne@example.org"
    assert message["Subject"] == "Your application to become a volunteer mentor in Silkeborg Kommune"
    text = body(message)
    assert "We have received your application" in text and "will contact you" in text
    assert "Hanne" not in text and "Bogholder" not in text


def test_a_receipt_that_cannot_be_sent_loses_nothing(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, caplog: pytest.LogCaptureFixture
) -> None:
    client = volunteer(make_client)
    response = apply(client)
    assert response.status_code == 302
    thanks = text_of(client.get(response.location))
    assert "We could not send you a receipt by e-mail, but your application is received." in thanks
    assert "Thank you for your application" in thanks
    assert len(applications(app)) == 1
    assert "hanne@example.org" not in caplog.text


# --- the intake list -------------------------------------------------------------------------------------


def test_the_coordinator_finds_the_application_opens_it_and_adds_the_volunteer_to_the_pool(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    coordinator = logged_in(make_client, mentors_world)
    empty = coordinator.get(INTAKE)
    assert "No applications waiting" in text_of(empty)
    assert re.search(r'value="http[^"]*/silkeborg/public/mentors/apply"', empty.get_data(as_text=True))
    assert worklist(app, mentors_world) == []

    assert apply(volunteer(make_client)).status_code == 302
    (application,) = applications(app)
    assert worklist(app, mentors_world) == [api.WorklistItem("1 volunteer application is waiting", INTAKE)]
    listing = text_of(coordinator.get(INTAKE))
    assert "1 application" in listing and "Hanne Holm" in listing and "Silkeborg Nord" in listing
    assert "Retired" in listing

    page = text_of(coordinator.get(f"{INTAKE}/{application.id}"))
    for shown in ("Hanne Holm", "hanne@example.org", "12 34 56 78", "Bogholder i 30 år", "fiskeri, strik"):
        assert shown in page, shown
    assert "Monday: Morning" in page and "Wednesday: Evening" in page and "Walk, Coffee" in page
    assert "Only the municipality's mentor coordinators see it" in page and "Given on" in page
    with app.app_context():
        viewed = db_of(app).session.scalar(
            select(func.count()).where(
                AuditEntry.action == "view",
                AuditEntry.object_type == "mentors_application",
                AuditEntry.object_id == application.id,
            )
        )
    assert viewed == 1

    confirm = coordinator.get(f"{INTAKE}/{application.id}/add")
    assert confirm.status_code == 200 and "Add Hanne Holm to the pool?" in text_of(confirm)
    assert re.search(r'value="interviewed" checked', confirm.get_data(as_text=True))
    response = coordinator.submit(
        f"{INTAKE}/{application.id}/add", {"status": "interviewed", "since": "2026-03-02"}
    )
    assert response.status_code == 302
    mentor_page = text_of(coordinator.get(response.location))
    assert "Hanne Holm is added to the pool of mentors" in mentor_page and "Interviewed" in mentor_page
    with app.app_context():
        db = db_of(app)
        mentor = db.session.scalars(select(Mentor)).one()
        assert response.location.endswith(f"/silkeborg/mentors/{mentor.id}")
        assert mentor.status == MentorStatus.INTERVIEWED and mentor.status_since == date(2026, 3, 2)
        assert mentor.email == "hanne@example.org" and mentor.phone == "12 34 56 78"
        assert mentor.background == Background.RETIRED and mentor.interests == ["fiskeri", "strik"]
        assert mentor.area == "Silkeborg Nord" and mentor.work_experience == application.about
        assert mentor.availability == application.availability and mentor.contact_forms == 3
        assert mentor.consent_text == application.consent_text and mentor.consent_at == application.consent_at
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0
        deleted = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "mentors_application", AuditEntry.action == "delete"
            )
        ).one()
        assert deleted.details == {"mentor_id": mentor.id}
    assert "No applications waiting" in text_of(coordinator.get(INTAKE))
    assert coordinator.get(f"{INTAKE}/{application.id}").status_code == 404


def test_a_volunteer_can_be_added_as_approved_and_a_bad_status_is_refused(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    assert apply(volunteer(make_client)).status_code == 302
    (application,) = applications(app)
    coordinator = logged_in(make_client, mentors_world)
    url = f"{INTAKE}/{application.id}/add"
    bad = coordinator.submit(url, {"status": "left", "since": "2026-03-02"})
    assert bad.status_code == 400 and "Status in the pool:" in text_of(bad)
    assert count(app, Mentor) == 0 and len(applications(app)) == 1
    assert coordinator.submit(url, {"status": "approved", "since": "2026-03-02"}).status_code == 302
    with app.app_context():
        assert db_of(app).session.scalars(select(Mentor.status)).one() == MentorStatus.APPROVED


def test_an_application_another_coordinator_handled_meanwhile_is_not_added_twice(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert apply(volunteer(make_client)).status_code == 302
    (application,) = applications(app)
    lock_row = api.lock_row

    def meanwhile(db: Any, *args: Any, **kwargs: Any) -> None:
        db.session.execute(delete(Application))  # the other coordinator deleted it just before our lock
        db.session.commit()
        lock_row(db, *args, **kwargs)

    monkeypatch.setattr(api, "lock_row", meanwhile)
    coordinator = logged_in(make_client, mentors_world)
    url = f"{INTAKE}/{application.id}/add"
    response = coordinator.submit(url, {"status": "interviewed", "since": "2026-03-02"})
    assert response.status_code == 302 and response.location.endswith(INTAKE)
    assert "Someone else has handled this application meanwhile" in text_of(coordinator.get(INTAKE))
    assert count(app, Mentor) == 0 and applications(app) == []


def test_the_coordinator_deletes_an_application_after_confirming(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    assert apply(volunteer(make_client)).status_code == 302
    (application,) = applications(app)
    coordinator = logged_in(make_client, mentors_world)
    url = f"{INTAKE}/{application.id}/delete"
    confirm = coordinator.get(url)
    assert confirm.status_code == 200
    assert "Delete the application from Hanne Holm?" in text_of(confirm) and len(applications(app)) == 1
    response = coordinator.submit(url, {})
    assert response.status_code == 302 and response.location.endswith(INTAKE)
    after = text_of(coordinator.get(response.location))
    assert "The application is deleted" in after and "No applications waiting" in after
    assert applications(app) == [] and count(app, Mentor) == 0
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "mentors_application", AuditEntry.action == "delete"
                )
            )
            .one()
        )
    assert entry.object_id == application.id and entry.details == {}


def test_the_other_municipality_and_other_roles_cannot_reach_the_applications(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    assert apply(volunteer(make_client)).status_code == 302
    (application,) = applications(app)
    outsider = logged_in(make_client, mentors_world, "coordinator", "norddjurs")
    listing = text_of(outsider.get("/norddjurs/mentors/intake"))
    assert "No applications waiting" in listing and "Hanne Holm" not in listing
    assert worklist(app, mentors_world, slug="norddjurs") == []
    token = outsider.csrf_token("/norddjurs/mentors/intake")
    for path in ("", "/add", "/delete"):
        url = f"/norddjurs/mentors/intake/{application.id}{path}"
        assert outsider.get(url).status_code == 404, url
        if path:  # the confirmations
            form = {"csrf_token": token, "status": "approved", "since": "2026-03-02"}
            assert outsider.post(url, data=form).status_code == 404, url
        assert outsider.get(f"/silkeborg/mentors/intake/{application.id}{path}").status_code == 403
    for role in ("mentor", "participant"):
        client = logged_in(make_client, mentors_world, role)
        assert client.get(INTAKE).status_code == 403
        assert client.get(f"{INTAKE}/{application.id}").status_code == 403
        assert worklist(app, mentors_world, role) == []
    anonymous = make_client()
    assert anonymous.get(INTAKE).status_code == 302
    assert len(applications(app)) == 1 and count(app, Mentor) == 0


def test_the_intake_list_sends_as_many_statements_for_many_applications_as_for_one(
    app: Flask, mentors_world: World, make_client: Any, no_wait: None
) -> None:
    coordinator = logged_in(make_client, mentors_world)

    def listing() -> int:
        coordinator.get(INTAKE)
        with count_statements(app) as seen:
            assert coordinator.get(INTAKE).status_code == 200
        return len(seen)

    assert apply(volunteer(make_client, "192.0.2.1")).status_code == 302
    one = listing()
    for n in range(30):
        assert apply(volunteer(make_client, f"192.0.2.{n + 10}"), name=f"Person {n:02}").status_code == 302
    assert listing() == one
    first = text_of(coordinator.get(INTAKE))
    assert "31 applications" in first and "Page 1 of 2" in first and "Person 29" in first
    assert "Hanne Holm" not in first  # the oldest is on page 2
    assert "Hanne Holm" in text_of(coordinator.get(f"{INTAKE}?page=2"))


# --- the services ----------------------------------------------------------------------------------------


@pytest.fixture
def waiting(app: Flask, mentors_world: World) -> Iterator[Application]:
    """An application in Silkeborg's intake list, inside an app context."""
    with app.app_context():
        data = intake.ApplicationData(
            name="Ole Olsen", email="ole@example.org", background="student", consent=True, interests="kaffe"
        )
        yield intake.submit_application(
            db_of(app), mentors_world.municipalities["silkeborg"], data, consent="I agree.", source="x"
        )


def test_a_failure_while_adding_to_the_pool_leaves_the_application_and_no_mentor(
    app: Flask, mentors_world: World, waiting: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = db_of(app)
    record = api.audit.record

    def failing(db: Any, action: str, object_type: str, *args: Any, **kwargs: Any) -> Any:
        if (action, object_type) == ("delete", "mentors_application"):
            raise RuntimeError("the database went away")
        return record(db, action, object_type, *args, **kwargs)

    monkeypatch.setattr(api.audit, "record", failing)
    with pytest.raises(RuntimeError):
        intake.add_to_pool(db, waiting, mentors_world.user("silkeborg", "coordinator"))
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Mentor)) == 0
    assert db.session.scalar(select(func.count()).select_from(MentorStatusChange)) == 0
    assert db.session.scalars(select(Application.name)).one() == "Ole Olsen"
    # Tried again, it goes through.
    mentor = intake.add_to_pool(db, waiting, None, status=MentorStatus.TRAINED)
    assert mentor.status == MentorStatus.TRAINED and mentor.consent_text == "I agree."


def test_an_application_added_twice_gives_one_mentor(
    app: Flask, mentors_world: World, waiting: Application
) -> None:
    db = db_of(app)
    intake.add_to_pool(db, waiting, None)
    with pytest.raises(MentorError, match="Someone else has handled this application meanwhile"):
        intake.add_to_pool(db, waiting, None)
    assert db.session.scalars(select(Mentor.name)).all() == ["Ole Olsen"]
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_applications_older_than_six_months_are_deleted_and_the_waiting_are_counted(
    app: Flask, mentors_world: World, waiting: Application
) -> None:
    db = db_of(app)
    silkeborg = mentors_world.municipalities["silkeborg"]
    old = intake.submit_application(
        db,
        silkeborg,
        intake.ApplicationData(name="Gammel", email="g@example.org", background="employed", consent=True),
        consent="I agree.",
        source="y",
    )
    old.created_at = api.utcnow() - timedelta(days=intake.KEEP_DAYS + 1)
    db.session.commit()
    assert intake.waiting_count(db, silkeborg) == 2
    assert intake.waiting_count(db, mentors_world.municipalities["norddjurs"]) == 0
    assert intake.delete_expired(db, silkeborg) == 1
    assert db.session.scalars(select(Application.name)).all() == ["Ole Olsen"]
    assert intake.waiting_count(db, silkeborg) == 1
