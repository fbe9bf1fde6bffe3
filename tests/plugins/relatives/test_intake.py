"""The public referral form and the coordinators' intake queue: a relative (or the person themself)
refers someone without a log-in; bad input, markup and floods are refused or escaped, never a 500; the
referral waits in the queue until a coordinator accepts it into a new or existing citizen, or closes it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen import api
from broen.core.models import AuditEntry, Citizen
from broen.plugins.relatives import intake
from broen.plugins.relatives.models import Intake, IntakeStatus, Relation
from tests.conftest import Client, World, db_of, text_of
from tests.fixtures.smtp import Inbox, free_port
from tests.sqlcount import count_statements

REFER = "/silkeborg/public/relatives/refer"
QUEUE = "/silkeborg/relatives/intake"
FORM = {
    "who": "other",
    "person_name": "Mikkel",
    "relation": "parent",
    "person_knows": "yes",
    "referrer_name": "Lise Andersen",
    "referrer_email": "lise@example.org",
    "referrer_phone": "",
    "message": "Min søn har været sygemeldt i et år.",
    "consent": "y",
    "website": "",
}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def no_mail_server(app: Flask) -> None:
    """[mail] points at a port where nothing listens (the receipt test points it at a real server)."""
    app.config["BROEN"].mail.host = "127.0.0.1"
    app.config["BROEN"].mail.port = free_port()


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """People take seconds to fill in the form; the tests need not."""
    monkeypatch.setattr(intake, "MIN_SECONDS", 0)


def visitor(make_client: Any, address: str = "198.51.100.7") -> Client:
    client: Client = make_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def coordinator(make_client: Any, world: World, slug: str = "silkeborg", role: str = "coordinator") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def refer(client: Client, url: str = REFER, **changes: Any) -> Any:
    """GET the form, then send it (with its CSRF token and start time) with `changes` to FORM."""
    html = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    started = re.search(r'name="started"[^>]*value="([^"]*)"', html) or re.search(
        r'value="([^"]*)"[^>]*name="started"', html
    )
    assert token and started
    return client.post(
        url, data={**FORM, "csrf_token": token.group(1), "started": started.group(1), **changes}
    )


def intakes(app: Flask) -> list[Intake]:
    with app.app_context():
        return list(db_of(app).session.scalars(select(Intake).order_by(Intake.id)))


def test_a_relative_refers_someone_and_it_waits_in_the_queue_with_the_consent_as_shown(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    client = visitor(make_client)
    page = text_of(client.get(REFER))
    assert "Refer someone to the programme" in page and "What happens next" in page
    assert "Silkeborg Kommune stores what you have written" in page and "Datatilsynet" in page

    response = refer(client)
    assert response.status_code == 302
    thanks = text_of(client.get(response.location))
    assert "Thank you for your referral" in thanks and "Mikkel" not in thanks and "Lise" not in thanks

    (found,) = intakes(app)
    assert (found.person_name, found.referrer_name, found.relation) == (
        "Mikkel",
        "Lise Andersen",
        Relation.PARENT,
    )
    assert found.status == IntakeStatus.NEW and not found.about_self
    assert found.consent_text.startswith("When you send this form, Silkeborg Kommune")
    assert re.fullmatch(r"[0-9a-f]{64}", found.source) and "198.51" not in found.source

    # Someone referring themself: no relation, the person's name is theirs.
    assert (
        refer(visitor(make_client, "198.51.100.8"), who="self", person_name="", relation="").status_code
        == 302
    )
    own = intakes(app)[-1]
    assert own.about_self and own.person_name == "Lise Andersen" and own.relation is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the form's checks, not the database's
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"referrer_name": "  "}, "referrer_name", "Write your name."),
        ({"referrer_name": "x" * 201}, "referrer_name", "at most 200 characters"),
        (
            {"referrer_email": "not-an-address", "referrer_phone": ""},
            "referrer_email",
            "valid e-mail address",
        ),
        (
            {"referrer_email": "", "referrer_phone": ""},
            "referrer_email",
            "e-mail address or your phone number",
        ),
        ({"referrer_phone": "<b>12</b>"}, "referrer_phone", "phone number"),
        ({"person_name": ""}, "person_name", "name of the person you refer"),
        ({"relation": "enemy"}, "relation", "how you are close"),
        ({"message": "x" * 2001}, "message", "at most 2000 characters"),
        ({"consent": ""}, "consent", "Tick the box"),
        ({"who": "<script>"}, "who", "yourself or someone close"),
    ],
)
def test_bad_input_is_refused_naming_the_field_keeping_the_input_and_storing_nothing(
    app: Flask, relatives_world: World, make_client: Any, changes: dict[str, str], field: str, message: str
) -> None:
    response = refer(visitor(make_client), **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html or f'id="{field}"' in html
    assert message in text_of(response)
    if "person_name" not in changes:
        assert 'value="Mikkel"' in html  # what was typed is kept
    assert intakes(app) == []


def test_the_honeypot_and_forged_start_times_store_nothing(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    robot = refer(visitor(make_client), website="http://spam.example")
    assert robot.status_code == 302 and "thanks" in robot.location
    forged = refer(visitor(make_client), started="forged")
    assert forged.status_code == 400 and "could not be checked" in text_of(forged)
    assert 'value="Lise Andersen"' in forged.get_data(as_text=True)
    assert intakes(app) == []


def test_fifty_posts_a_minute_from_one_address_get_429_after_the_limit_and_never_a_500(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    client = visitor(make_client, "203.0.113.9")
    codes = [refer(client, person_name=f"Person {n}").status_code for n in range(50)]
    assert codes[: intake.PER_SOURCE_PER_HOUR] == [302] * intake.PER_SOURCE_PER_HOUR
    assert set(codes[intake.PER_SOURCE_PER_HOUR :]) == {429}
    busy = refer(client)
    assert busy.headers["Retry-After"] == "3600" and "several forms from here" in text_of(busy)
    assert len(intakes(app)) == intake.PER_SOURCE_PER_HOUR
    # Someone else is not held up.
    assert refer(visitor(make_client, "203.0.113.10")).status_code == 302


def test_markup_sent_through_the_form_is_shown_as_text_on_the_coordinators_pages(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    payload = {"person_name": XSS, "referrer_name": "Lise " + XSS, "message": XSS + "\n" + XSS}
    assert refer(visitor(make_client), **payload).status_code == 302
    (found,) = intakes(app)
    staff = coordinator(make_client, relatives_world)
    for url in (QUEUE, f"{QUEUE}/{found.id}", f"{QUEUE}/{found.id}/close", "/silkeborg/"):
        html = staff.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in staff.get(f"{QUEUE}/{found.id}").get_data(
        as_text=True
    )


def test_the_referrer_gets_a_receipt_that_repeats_nothing_they_typed(
    app: Flask, relatives_world: World, make_client: Any, mail_to: Inbox
) -> None:
    assert refer(visitor(make_client)).status_code == 302
    (message,) = mail_to.messages
    assert message["To"] == "lise@example.org"
    body = message.get_content()
    assert "We have received it" in body and "Mikkel" not in body and "Lise" not in body


def test_a_coordinator_accepts_a_referral_into_a_new_citizen_once(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    assert refer(visitor(make_client)).status_code == 302
    (found,) = intakes(app)
    staff = coordinator(make_client, relatives_world)
    assert "1 referral from the public form is waiting" in text_of(staff.get("/silkeborg/"))
    page = text_of(staff.get(f"{QUEUE}/{found.id}"))
    assert "Lise Andersen" in page and "Min søn" in page and "A new citizen: Mikkel" in page

    accepted = staff.submit(f"{QUEUE}/{found.id}/accept", {"citizen": "new"}, page=f"{QUEUE}/{found.id}")
    assert accepted.status_code == 302
    (done,) = intakes(app)
    assert done.status == IntakeStatus.ACCEPTED and done.citizen_id is not None
    with app.app_context():
        citizen = db_of(app).session.get(Citizen, done.citizen_id)
        assert citizen is not None and citizen.name == "Mikkel"
        audit = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "relatives_intake", AuditEntry.action == "update"
                )
            )
            .one()
        )
        assert "Mikkel" not in str(audit.details)
    after = text_of(staff.get(f"{QUEUE}/{found.id}"))
    assert "Open the citizen's page" in after and "Record Lise Andersen as a relative" in after
    assert "waiting" not in text_of(staff.get("/silkeborg/"))

    # A second press (another coordinator at the same time) does not make a second citizen.
    again = staff.post(
        f"{QUEUE}/{found.id}/accept", data={"citizen": "new", "csrf_token": staff.csrf_token(QUEUE)}
    )
    assert again.status_code == 302
    assert "handled this referral meanwhile" in text_of(staff.get(again.location))
    with app.app_context():
        assert (
            db_of(app).session.scalar(
                select(func.count()).select_from(Citizen).where(Citizen.name == "Mikkel")
            )
            == 1
        )


def test_a_referral_is_linked_to_an_existing_citizen_but_never_one_of_another_municipality(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    assert refer(visitor(make_client), person_name="Anna").status_code == 302
    (found,) = intakes(app)
    staff = coordinator(make_client, relatives_world)
    other = relatives_world.citizens["norddjurs"][0]
    refused = staff.submit(f"{QUEUE}/{found.id}/accept", {"citizen": str(other)}, page=f"{QUEUE}/{found.id}")
    assert refused.status_code == 400 and "Choose a citizen of this municipality" in text_of(refused)
    assert intakes(app)[0].status == IntakeStatus.NEW

    anna = relatives_world.citizens["silkeborg"][0]
    assert "Anna Silkeborg" in text_of(staff.get(f"{QUEUE}/{found.id}?q=anna"))
    linked = staff.submit(f"{QUEUE}/{found.id}/accept", {"citizen": str(anna)}, page=f"{QUEUE}/{found.id}")
    assert linked.status_code == 302
    assert intakes(app)[0].citizen_id == anna


def test_a_coordinator_closes_a_referral_with_a_reason_after_confirming(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    assert refer(visitor(make_client)).status_code == 302
    (found,) = intakes(app)
    staff = coordinator(make_client, relatives_world)
    url = f"{QUEUE}/{found.id}/close"
    assert "Close the referral of Mikkel?" in text_of(staff.get(url))
    assert intakes(app)[0].status == IntakeStatus.NEW  # the confirmation page changes nothing
    missing = staff.submit(url, {"reason": " "})
    assert missing.status_code == 400 and "Write why the referral is closed" in text_of(missing)
    assert staff.submit(url, {"reason": "Henvist til andet tilbud"}).status_code == 302
    closed = intakes(app)[0]
    assert closed.status == IntakeStatus.CLOSED and closed.close_reason == "Henvist til andet tilbud"
    assert "Mikkel" not in text_of(staff.get(QUEUE))  # the queue shows new ones by default
    assert "Mikkel" in text_of(staff.get(f"{QUEUE}?status=all"))


def test_the_queue_is_for_staff_of_its_own_municipality_and_costs_the_same_statements_for_many(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    assert refer(visitor(make_client)).status_code == 302
    (found,) = intakes(app)
    for role in ("participant", "mentor"):
        assert coordinator(make_client, relatives_world, role=role).get(QUEUE).status_code == 403
    foreign = coordinator(make_client, relatives_world, slug="norddjurs")
    assert foreign.get(f"/norddjurs/relatives/intake/{found.id}").status_code == 404
    assert "Mikkel" not in text_of(foreign.get("/norddjurs/relatives/intake?status=all"))

    staff = coordinator(make_client, relatives_world)

    def listing() -> int:
        staff.get(QUEUE)
        with count_statements(app) as seen:
            assert staff.get(QUEUE).status_code == 200
        return len(seen)

    one = listing()
    with app.app_context():
        db = db_of(app)
        m = relatives_world.municipalities["silkeborg"].id
        db.session.add_all(
            Intake(
                municipality_id=m, referrer_name=f"R {n}", person_name=f"P {n:02}", consent_text="I agree."
            )
            for n in range(30)
        )
        db.session.commit()
    assert listing() == one
    assert "31 referrals" in text_of(staff.get(QUEUE))


def test_referrals_older_than_six_months_are_deleted_by_the_daily_command(
    app: Flask, relatives_world: World
) -> None:
    with app.app_context():
        db = db_of(app)
        m = relatives_world.municipalities["silkeborg"].id
        old = Intake(municipality_id=m, referrer_name="Old", person_name="O", consent_text="I agree.")
        old.created_at = old.consent_at = api.utcnow() - timedelta(days=200)
        db.session.add_all(
            [old, Intake(municipality_id=m, referrer_name="New", person_name="N", consent_text="ok")]
        )
        db.session.commit()
    runner = app.test_cli_runner()
    with app.app_context():
        first = runner.invoke(args=["relatives", "delete-expired-intake"])
        assert first.exit_code == 0 and "Silkeborg Kommune: 1 expired referrals deleted" in first.output
        second = runner.invoke(args=["relatives", "delete-expired-intake"])
        assert second.exit_code == 0 and "Silkeborg Kommune: 0 expired referrals deleted" in second.output
    assert [i.referrer_name for i in intakes(app)] == ["New"]
