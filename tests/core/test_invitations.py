"""A coordinator invites a citizen by e-mail or on paper; the link makes a log-in once, then never again."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from broen.core import accounts, invitations, privacy
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.db import utcnow
from broen.core.links import qr_data_uri
from broen.core.models import AuditEntry, Citizen, Invitation, Membership, Role, User
from tests.admin import routes
from tests.conftest import EXAMPLE_PLUGIN, Client, World, db_of, make_app
from tests.crowd import all_at_once
from tests.fixtures.smtp import Inbox, free_port, smtp_server
from tests.plugins.recorder import Recorder

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

NEW_PASSWORD = "a long enough password"
GONE = "This link does not work any more"
LINK = re.compile(r"(?:https?://[^/\s\"<]+)?/invitation/([A-Za-z0-9_-]{40,})")


def citizen(app: Flask, citizen_id: int) -> Citizen:
    found: Citizen | None = db_of(app).session.get(Citizen, citizen_id, populate_existing=True)
    assert found is not None
    return found


def invite(app: Flask, world: World, citizen_id: int, channel: str = "print") -> str:
    with app.app_context():
        return invitations.invite(
            db_of(app), citizen(app, citizen_id), world.user("silkeborg", "coordinator"), channel
        )


def token_in(text: str) -> str:
    match = LINK.search(text)
    assert match, "no invitation link"
    return match.group(1)


def invitation_rows(app: Flask, citizen_id: int) -> list[Invitation]:
    db = db_of(app)
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Invitation).where(Invitation.citizen_id == citizen_id).order_by(Invitation.id)
        )
    )


def audit_details(app: Flask, citizen_id: int) -> list[dict[str, Any]]:
    db = db_of(app)
    rows = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "citizen", AuditEntry.object_id == citizen_id)
        .order_by(AuditEntry.id)
    )
    return [{"action": e.action, "by": e.user_name, **e.details} for e in rows]


def set_password(client: Client, token: str, email: str, password: str = NEW_PASSWORD, **extra: Any) -> Any:
    return client.submit(
        f"/invitation/{token}",
        {"email": email, "password": password, "confirm": extra.get("confirm", password)},
        page=extra.get("page"),
    )


# --- the whole way, by e-mail ------------------------------------------------------------------------


def test_an_emailed_link_makes_a_participant_log_in_once_and_only_its_hash_is_kept(
    app: Flask, world: World, make_client: Any, mail_to: Inbox
) -> None:
    anna = world.citizens["silkeborg"][0]
    coordinator = make_client()
    coordinator.login(world.user("silkeborg", "coordinator"))
    page = coordinator.get(f"/silkeborg/citizens/{anna}").get_data(as_text=True)
    assert "Log-in to the participant pages" in page and "No log-in yet" in page
    form = coordinator.get(f"/silkeborg/citizens/{anna}/invitation/new").get_data(as_text=True)
    assert "Send by e-mail to anna@silkeborg.example.dk" in form

    sent = coordinator.submit(f"/silkeborg/citizens/{anna}/invitation/new", {"channel": "email"})
    assert sent.status_code == 302 and sent.location.endswith(f"/silkeborg/citizens/{anna}")
    (message,) = mail_to.messages
    assert mail_to.envelopes[0][1] == ["anna@silkeborg.example.dk"]
    body = message.get_content()
    assert "Silkeborg Kommune" in message["Subject"]
    token = token_in(body)
    assert f"http://127.0.0.1:5000/invitation/{token}" in body  # the full link, from broen.base_url
    expires = invitation_rows(app, anna)[0].expires_at
    assert expires - utcnow() > timedelta(days=13, hours=23)
    with app.test_request_context():
        assert invitations.local_time(expires, "Europe/Copenhagen") in body
    page = coordinator.get(f"/silkeborg/citizens/{anna}").get_data(as_text=True)
    assert "Invited by e-mail on" in page and "Withdraw" in page and token not in page

    citizen_client = make_client()
    opened = citizen_client.get(f"/invitation/{token}")
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    assert 'value="anna@silkeborg.example.dk"' in opened.get_data(as_text=True)  # sent by e-mail: prefilled
    done = set_password(citizen_client, token, "Anna.Own@Example.dk")
    assert done.status_code == 302 and done.location.endswith("/silkeborg/")
    home = citizen_client.get("/silkeborg/")
    assert home.status_code == 200 and "Welcome, Anna Silkeborg" in home.get_data(as_text=True)

    db = db_of(app)
    user = db.session.scalar(select(User).where(User.email == "anna.own@example.dk"))
    assert user is not None and user.name == "Anna Silkeborg"
    assert user.role_in(world.municipalities["silkeborg"].id) == Role.PARTICIPANT
    assert user.role_in(world.municipalities["norddjurs"].id) is None
    assert citizen(app, anna).user_id == user.id
    assert "Has a log-in: anna.own@example.dk" in coordinator.get(f"/silkeborg/citizens/{anna}").get_data(
        as_text=True
    )

    # The new password logs in, in a fresh browser.
    fresh = make_client()
    assert fresh.login("anna.own@example.dk", NEW_PASSWORD).location.endswith("/")
    assert fresh.get("/silkeborg/").status_code == 200
    # The link works once.
    again = make_client().get(f"/invitation/{token}")
    assert again.status_code == 404 and GONE in again.get_data(as_text=True)
    second = set_password(make_client(), token, "someone.else@example.dk", page="/login")
    assert second.status_code == 404
    assert db.session.scalar(select(User).where(User.email == "someone.else@example.dk")) is None

    # Only the hash is kept: the token is nowhere in the database, audit log included.
    (row,) = invitation_rows(app, anna)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and row.used_at is not None
    everything = repr(routes.snapshot(app, skip=()))
    assert token not in everything
    trail = audit_details(app, anna)
    steps = [(e["action"], e["invitation"]) for e in trail if "invitation" in e]
    # made, opened (each time the page was shown), used
    assert steps[0] == ("update", "created") and steps[-1] == ("update", "used")
    assert set(steps[1:-1]) == {("view", "opened")}
    (used,) = [e for e in trail if e.get("invitation") == "used"]
    assert used["by"] == "Anna Silkeborg" and used["fields"] == ["user_id"]
    assert not any("@" in str(e) for e in trail)  # no e-mail address (or other value) in the log


def test_a_mail_server_that_refuses_leaves_no_open_invitation(
    app: Flask, world: World, client: Client
) -> None:
    app.config["BROEN"].mail.host = "127.0.0.1"
    app.config["BROEN"].mail.port = free_port()  # nobody listens there
    anna = world.citizens["silkeborg"][0]
    client.login(world.user("silkeborg", "admin"))
    response = client.submit(f"/silkeborg/citizens/{anna}/invitation/new", {"channel": "email"})
    assert response.status_code == 502
    assert "The e-mail could not be sent, so no link was made" in response.get_data(as_text=True)
    (row,) = invitation_rows(app, anna)
    assert row.revoked_at is not None
    assert "No log-in yet" in client.get(f"/silkeborg/citizens/{anna}").get_data(as_text=True)


# --- on paper ----------------------------------------------------------------------------------------


def test_the_print_page_shows_the_link_and_its_qr_code_once(app: Flask, world: World, client: Client) -> None:
    bo = world.citizens["silkeborg"][1]
    client.login(world.user("silkeborg", "coordinator"))
    response = client.submit(f"/silkeborg/citizens/{bo}/invitation/new", {"channel": "print"})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    written = re.search(r"<code>(.*?)</code>", page)
    assert written, "no link written out"
    link = written.group(1).replace("<wbr>", "")  # it may wrap anywhere on a narrow screen
    token = token_in(link)
    assert link == f"http://127.0.0.1:5000/invitation/{token}" and "Silkeborg Kommune" in page
    assert f'src="{qr_data_uri(link)}"' in page  # the QR code encodes exactly the link
    assert re.search(r'<nav class="container d-print-none"', page)  # the screen-only part is not printed
    assert "broen-menu" not in page  # no navigation on paper
    assert "The link works once, until" in page and "http://127.0.0.1:5000/login" in page
    (row,) = invitation_rows(app, bo)
    assert row.channel == "print"
    # The link is never shown again; the citizen page says how it was handed over.
    shown = client.get(f"/silkeborg/citizens/{bo}").get_data(as_text=True)
    assert "Invited on paper on" in shown and token not in shown
    # Printed links do not prefill the citizen's e-mail address.
    opened = Client(app).get(f"/invitation/{token}").get_data(as_text=True)
    assert "bo@silkeborg.example.dk" not in opened


def test_a_citizen_without_an_e_mail_address_can_only_get_a_printed_invitation(
    app: Flask, world: World, client: Client
) -> None:
    with app.app_context():
        silkeborg = world.municipalities["silkeborg"]
        dorte = create_citizen(
            db_of(app), silkeborg, world.user("silkeborg", "coordinator"), CitizenData(name="Dorte Uden")
        ).id
    client.login(world.user("silkeborg", "coordinator"))
    form = client.get(f"/silkeborg/citizens/{dorte}/invitation/new").get_data(as_text=True)
    assert 'value="email"' not in form and "the record has no e-mail address" in form
    refused = client.submit(f"/silkeborg/citizens/{dorte}/invitation/new", {"channel": "email"})
    assert refused.status_code == 400
    assert "Dorte Uden has no e-mail address. Add one in the field &#39;E-mail&#39;" in refused.get_data(
        as_text=True
    )
    assert invitation_rows(app, dorte) == []
    with app.app_context(), pytest.raises(invitations.InvitationError) as err:
        invitations.invite(db_of(app), citizen(app, dorte), world.user("silkeborg", "coordinator"), "email")
    assert err.value.field == "channel" and "'E-mail'" in err.value.message


# --- links that no longer work -----------------------------------------------------------------------


def test_expired_withdrawn_used_and_unknown_links_get_the_same_page(
    app: Flask, world: World, client: Client
) -> None:
    anna, bo, carl = world.citizens["silkeborg"]
    expired, withdrawn, used = invite(app, world, anna), invite(app, world, bo), invite(app, world, carl)
    db = db_of(app)
    with app.app_context():
        db.session.execute(
            update(Invitation)
            .where(Invitation.citizen_id == anna)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        row = invitations.find_open(db, withdrawn)
        assert row is not None
        assert invitations.withdraw(db, row, world.user("silkeborg", "coordinator"))
        row = invitations.find_open(db, used)
        assert row is not None
        invitations.accept(db, row, "carl@example.dk", NEW_PASSWORD)
    bodies = set()
    for token in (expired, withdrawn, used, "x" * 43, "short"):
        with app.app_context():
            assert invitations.find_open(db, token) is None
        response = client.get(f"/invitation/{token}")
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert GONE in body and "Ask your coordinator for a new one." in body
        bodies.add(body.replace(token, "TOKEN"))
    assert len(bodies) == 1  # nothing tells one case from another
    # Setting a password through an expired link writes nothing.
    assert set_password(client, expired, "anna@example.dk", page="/login").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "anna@example.dk")) is None
        # The citizen page of an expired invitation offers a new one.
        assert invitations.login_state(db, citizen(app, anna)).open is None


def test_a_new_invitation_ends_the_open_one(app: Flask, world: World) -> None:
    anna = world.citizens["silkeborg"][0]
    first = invite(app, world, anna, "email")
    second = invite(app, world, anna, "print")
    db = db_of(app)
    with app.app_context():
        assert invitations.find_open(db, first) is None
        assert invitations.find_open(db, second) is not None
    old, new = invitation_rows(app, anna)
    assert old.revoked_at is not None and new.revoked_at is None and new.channel == "print"
    replaced = [e for e in audit_details(app, anna) if e.get("invitation") == "withdrawn"]
    assert replaced == [
        {
            "action": "update",
            "by": "Coordinator Silkeborg",
            "invitation": "withdrawn",
            "invitation_id": old.id,
            "reason": "replaced",
        }
    ]


def test_withdrawing_asks_first_then_stops_the_link(app: Flask, world: World, client: Client) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    client.login(world.user("silkeborg", "coordinator"))
    confirm = client.get(f"/silkeborg/citizens/{anna}/invitation/withdraw")
    assert confirm.status_code == 200 and "Withdraw the invitation of Anna Silkeborg?" in confirm.get_data(
        as_text=True
    )
    assert invitation_rows(app, anna)[0].revoked_at is None  # looking at the question changes nothing
    done = client.submit(f"/silkeborg/citizens/{anna}/invitation/withdraw", {}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "The invitation is withdrawn" in page and "No log-in yet" in page
    assert Client(app).get(f"/invitation/{token}").status_code == 404
    assert [e.get("reason") for e in audit_details(app, anna) if e.get("invitation") == "withdrawn"] == [
        "withdrawn"
    ]


# --- the password form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        (NEW_PASSWORD, "another password!", "Repeat password: The passwords differ."),
        ("short", "short", "Password: At least 10 characters."),
    ],
)
def test_a_bad_password_names_the_field_keeps_the_e_mail_and_makes_nothing(
    app: Flask, world: World, client: Client, password: str, confirm: str, message: str
) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    response = set_password(client, token, "typed@example.dk", password, confirm=confirm)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'value="typed@example.dk"' in page
    assert NEW_PASSWORD not in page  # passwords are not sent back
    db = db_of(app)
    assert db.session.scalar(select(User).where(User.email == "typed@example.dk")) is None
    with app.app_context():
        assert invitations.find_open(db, token) is not None and citizen(app, anna).user_id is None


def test_an_e_mail_with_an_account_says_log_in_first_and_then_offers_that_account(
    app: Flask, world: World, client: Client
) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    elsewhere = world.user("norddjurs", "participant")  # a participant in Norddjurs, no role in Silkeborg
    response = set_password(client, token, elsewhere.email.upper())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        "E-mail: There is a log-in with this e-mail address already. Log in first, then open the link again."
        in page
    )
    assert f"/login?next=/invitation/{token}" in page
    assert citizen(app, anna).user_id is None

    client.login(elsewhere)
    offered = client.get(f"/invitation/{token}").get_data(as_text=True)
    assert "Use my account" in offered and 'name="password"' not in offered
    linked = client.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert linked.status_code == 302 and linked.location.endswith("/silkeborg/")
    assert client.get("/silkeborg/").status_code == 200
    db = db_of(app)
    assert citizen(app, anna).user_id == elsewhere.id
    roles = dict(
        db.session.execute(
            select(Membership.municipality_id, Membership.role).where(Membership.user_id == elsewhere.id)
        ).all()
    )
    assert roles == {
        world.municipalities["norddjurs"].id: Role.PARTICIPANT,
        world.municipalities["silkeborg"].id: Role.PARTICIPANT,
    }
    assert client.get(f"/invitation/{token}").status_code == 404


def test_staff_cannot_use_their_own_account_and_nothing_is_written(
    app: Flask, world: World, client: Client
) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    client.login(world.user("silkeborg", "mentor"))
    before = routes.snapshot(app, skip=("login_failure", "audit_entry"))
    refused = client.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert refused.status_code == 409
    assert "Your account works in Silkeborg Kommune as staff" in refused.get_data(as_text=True)
    assert routes.differences(before, routes.snapshot(app, skip=("login_failure", "audit_entry"))) == {}
    with app.app_context():
        assert invitations.find_open(db_of(app), token) is not None


def test_a_citizen_with_a_log_in_cannot_be_invited_again(app: Flask, world: World) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    db = db_of(app)
    with app.app_context():
        row = invitations.find_open(db, token)
        assert row is not None
        invitations.accept(db, row, "anna.own@example.dk", NEW_PASSWORD)
        with pytest.raises(invitations.InvitationError, match="has a log-in already"):
            invitations.invite(db, citizen(app, anna), world.user("silkeborg", "coordinator"), "print")


def test_two_people_sending_the_form_at_once_make_one_log_in(app: Flask, world: World) -> None:
    """Single use holds under a race: each thread has its own session and connection."""
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    db = db_of(app)
    outcomes: list[str] = []

    def attempt(n: int, go: Callable[[], None]) -> None:
        with app.app_context():
            row = invitations.find_open(db, token)
            go()
            try:
                assert row is not None
                invitations.accept(db, row, f"racer{n}@example.dk", NEW_PASSWORD)
                outcomes.append("made")
            except invitations.InvitationGone:
                outcomes.append("gone")
            finally:
                db.session.remove()

    assert all_at_once(attempt, range(4)) == []
    assert sorted(outcomes) == ["gone", "gone", "gone", "made"]
    made = db.session.scalars(select(User.email).where(User.email.like("racer%"))).all()
    assert len(made) == 1 and citizen(app, anna).user_id is not None


# --- who may do what ---------------------------------------------------------------------------------


def test_only_admins_and_coordinators_of_the_citizens_municipality_invite(
    app: Flask, world: World, make_client: Any
) -> None:
    anna = world.citizens["silkeborg"][0]
    invite(app, world, anna)  # so the withdraw page has something to withdraw
    pages = [f"/silkeborg/citizens/{anna}/invitation/new", f"/silkeborg/citizens/{anna}/invitation/withdraw"]
    for who, expected in (
        ("admin@silkeborg", 200),
        ("coordinator@silkeborg", 200),
        ("mentor@silkeborg", 403),
        ("participant@silkeborg", 403),
    ):
        c = make_client()
        c.login(world.users[who])
        for page in pages:
            assert c.get(page).status_code == expected, (who, page)
        if expected == 403:
            assert (
                c.post(pages[0], data={"channel": "print", "csrf_token": c.csrf_token("/me")}).status_code
                == 403
            )
    outsider = make_client()
    outsider.login(world.user("norddjurs", "coordinator"))
    for page in pages:
        assert outsider.get(page.replace("/silkeborg/", "/norddjurs/")).status_code == 404
    assert routes.is_login_redirect(make_client().get(pages[0]))
    assert len(invitation_rows(app, anna)) == 1


def test_there_is_no_way_to_register_without_an_invitation(app: Flask, client: Client) -> None:
    for path in ("/register", "/signup", "/sign-up", "/invitation", "/invitation/"):
        assert client.get(path, follow_redirects=True).status_code == 404, path
    anonymous_posts = {
        rule.endpoint
        for rule in routes.rules(app)
        if "POST" in routes.methods(rule)
        and routes.public_reason(rule)
        and "municipality" not in rule.arguments
    }
    assert anonymous_posts == {"auth.login", "invitations.accept_page", "invitations.use_account"}


def test_erasing_a_citizen_deletes_their_invitations(app: Flask, world: World) -> None:
    anna = world.citizens["silkeborg"][0]
    token = invite(app, world, anna)
    with app.test_request_context("/silkeborg/"):
        privacy.erase_citizen(
            db_of(app), app.extensions["broen.plugins"], citizen(app, anna), world.user("silkeborg", "admin")
        )
        assert invitations.find_open(db_of(app), token) is None
    assert invitation_rows(app, anna) == []


# --- a plugin's record -------------------------------------------------------------------------------
# The recorder (tests/plugins/recorder.py) owns records of type "recorder_thing": it links them in its
# broen_invitation_accepted, or raises what its `refuse` holds.


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def recorded(database_url: str, world: World, recorder: Recorder) -> Iterator[Flask]:
    """The app with the recorder plugin, on in Silkeborg only."""
    app = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("recorder", recorder)))
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), world.municipalities["silkeborg"], "recorder", True)
    yield app
    db_of(app).dispose()


def thing(world: World, role: Role = Role.MENTOR, slug: str = "silkeborg") -> invitations.InvitationSubject:
    return invitations.InvitationSubject(
        type="recorder_thing",
        id=7,
        municipality_id=world.municipalities[slug].id,
        name="Tove Ting",
        role=role,
        email="tove@example.dk",
    )


def invite_thing(app: Flask, world: World, role: Role = Role.MENTOR, channel: str = "print") -> str:
    with app.app_context():
        return invitations.invite_subject(
            db_of(app), thing(world, role), world.user("silkeborg", "coordinator"), channel
        )


def thing_audit(app: Flask) -> list[dict[str, Any]]:
    rows = db_of(app).session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "recorder_thing", AuditEntry.object_id == 7)
        .order_by(AuditEntry.id)
    )
    return [{"action": e.action, "by": e.user_name, **e.details} for e in rows]


def test_a_plugins_record_is_invited_and_its_plugin_links_the_new_mentor_log_in(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    token = invite_thing(recorded, world)
    db = db_of(recorded)
    (row,) = db.session.scalars(select(Invitation).where(Invitation.subject_type == "recorder_thing")).all()
    assert (row.citizen_id, row.subject_id, row.name, row.email) == (None, 7, "Tove Ting", "tove@example.dk")
    assert row.role == Role.MENTOR
    with recorded.app_context():
        state = invitations.login_state(db, thing(world))
        assert state.open is not None and state.open.id == row.id and state.user is None
        # A citizen with the same id is another record: its invitations are its own.
        assert invitations.open_invitation(db, thing(world, slug="norddjurs")) is None

    person = Client(recorded)
    opened = person.get(f"/invitation/{token}")
    page = opened.get_data(as_text=True)
    assert opened.status_code == 200 and "Your log-in to the mentor pages" in page
    assert "participant pages" not in page
    done = set_password(person, token, "tove.own@example.dk")
    assert done.status_code == 302 and done.location.endswith("/silkeborg/")

    user = db.session.scalar(select(User).where(User.email == "tove.own@example.dk"))
    assert user is not None and user.name == "Tove Ting"
    assert user.role_in(world.municipalities["silkeborg"].id) == Role.MENTOR
    assert recorder.linked == [(7, user.id)]
    assert ("broen_invitation_accepted", "silkeborg") in recorder.calls
    steps = [(e["action"], e["invitation"]) for e in thing_audit(recorded)]
    assert steps[0] == ("update", "created") and steps[-1] == ("update", "used")
    assert set(steps[1:-1]) == {("view", "opened")}
    assert Client(recorded).get(f"/invitation/{token}").status_code == 404  # once only


class Refused(Exception):
    """As a plugin's service error: a `message` for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@pytest.mark.parametrize(
    ("refusal", "shown"),
    [
        (Refused("This thing has a log-in already."), "This thing has a log-in already."),
        (RuntimeError("a bug in the plugin"), "Your log-in could not be made. Ask your coordinator."),
    ],
)
def test_a_plugin_that_refuses_the_accepted_invitation_leaves_nothing_written(
    recorded: Flask,
    world: World,
    recorder: Recorder,
    refusal: Exception,
    shown: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = invite_thing(recorded, world)
    recorder.refuse = refusal
    person = Client(recorded)
    before = routes.snapshot(recorded, skip=("login_failure", "audit_entry"))
    with caplog.at_level(logging.ERROR, logger="broen.core.invitations"):
        response = set_password(person, token, "tove.own@example.dk")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert shown in page and "a bug in the plugin" not in page
    assert 'value="tove.own@example.dk"' in page  # what was typed stays
    after = routes.snapshot(recorded, skip=("login_failure", "audit_entry"))
    assert routes.differences(before, after) == {}  # no user, no membership, the link not used
    assert {e["invitation"] for e in thing_audit(recorded)} == {"created", "opened"}
    assert bool(caplog.records) is isinstance(refusal, RuntimeError)  # only a bug is logged

    # Using an account one is logged in with is refused the same way.
    person.login(world.user("norddjurs", "participant"))
    before = routes.snapshot(recorded, skip=("login_failure", "audit_entry"))
    linked = person.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert linked.status_code == 409 and shown in linked.get_data(as_text=True)
    assert routes.differences(before, routes.snapshot(recorded, skip=("login_failure", "audit_entry"))) == {}

    # Once the plugin agrees, the same link works.
    recorder.refuse = None
    assert set_password(Client(recorded), token, "tove.own@example.dk").status_code == 302


def test_a_record_whose_plugin_is_off_there_now_has_a_link_that_does_not_work(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    token = invite_thing(recorded, world)
    with recorded.app_context():
        accounts.set_plugin_enabled(db_of(recorded), world.municipalities["silkeborg"], "recorder", False)
    before = routes.snapshot(recorded, skip=("login_failure", "audit_entry"))
    response = set_password(Client(recorded), token, "tove.own@example.dk")
    assert response.status_code == 404 and GONE in response.get_data(as_text=True)
    assert routes.differences(before, routes.snapshot(recorded, skip=("login_failure", "audit_entry"))) == {}
    assert recorder.linked == [] and ("broen_invitation_accepted", "silkeborg") not in recorder.calls


def test_an_account_with_another_role_there_cannot_take_a_mentor_invitation(
    recorded: Flask, world: World, recorder: Recorder
) -> None:
    token = invite_thing(recorded, world)
    client = Client(recorded)
    client.login(world.user("silkeborg", "participant"))
    offered = client.get(f"/invitation/{token}").get_data(as_text=True)
    assert "You can use this account for the mentor pages" in offered
    refused = client.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert refused.status_code == 409
    assert (
        "Your account works in Silkeborg Kommune in another role. A mentor needs a log-in of their own"
        in (refused.get_data(as_text=True))
    )
    assert recorder.linked == []

    # An account that is a mentor there already, without a record, may take it: it keeps its one role.
    mentor = world.user("silkeborg", "mentor")
    client = Client(recorded)
    client.login(mentor)
    linked = client.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert linked.status_code == 302
    assert "Your account now has the mentor pages of Silkeborg Kommune" in client.get(
        linked.location
    ).get_data(as_text=True)
    assert recorder.linked == [(7, mentor.id)]
    roles = (
        db_of(recorded).session.scalars(select(Membership.role).where(Membership.user_id == mentor.id)).all()
    )
    assert roles == [Role.MENTOR]
    used = [e for e in thing_audit(recorded) if e.get("invitation") == "used"]
    assert used == [
        {
            "action": "update",
            "by": "Mentor Silkeborg",
            "invitation": "used",
            "invitation_id": used[0]["invitation_id"],
            "existing_account": True,
        }
    ]


def test_an_e_mailed_invitation_of_a_record_names_the_mentor_pages(
    recorded: Flask, world: World, mail_to: Inbox
) -> None:
    token = invite_thing(recorded, world, channel="email")
    with recorded.test_request_context():
        invitation = invitations.find_open(db_of(recorded), token)
        assert invitation is not None
        subject, body = invitations.mail_text(
            invitations.subject_of(invitation), invitation.municipality, "LINK", invitation.expires_at
        )
    assert subject == "Your log-in to the mentor pages – Silkeborg Kommune"
    assert body.startswith("Hello Tove Ting,") and "invites you to the mentor pages in broen" in body
    # Opening an e-mailed link suggests the record's address.
    assert 'value="tove@example.dk"' in Client(recorded).get(f"/invitation/{token}").get_data(as_text=True)


def test_invite_subject_refuses_what_no_invitation_can_be_for(app: Flask, world: World) -> None:
    coordinator = world.user("silkeborg", "coordinator")
    base = thing(world)
    with app.app_context():
        db = db_of(app)
        for bad in (
            invitations.InvitationSubject(**{**base.__dict__, "type": "citizen"}),
            invitations.InvitationSubject(**{**base.__dict__, "type": "Not A Table"}),
            invitations.InvitationSubject(**{**base.__dict__, "role": Role.COORDINATOR}),
            invitations.InvitationSubject(**{**base.__dict__, "name": " "}),
        ):
            with pytest.raises(ValueError):
                invitations.invite_subject(db, bad, coordinator, "print")
        no_email = invitations.InvitationSubject(**{**base.__dict__, "email": ""})
        with pytest.raises(invitations.InvitationError, match="Tove Ting has no e-mail address"):
            invitations.invite_subject(db, no_email, coordinator, "email")
    assert db.session.scalars(select(Invitation)).all() == []


def test_an_invitation_is_for_a_citizen_or_for_a_plugins_record_never_both(app: Flask, world: World) -> None:
    anna = world.citizens["silkeborg"][0]
    with app.app_context():
        db = db_of(app)
        for whom in (
            {"citizen_id": anna, "subject_type": "recorder_thing", "subject_id": 7},
            {},
            {"subject_type": "recorder_thing"},
        ):
            db.session.add(
                Invitation(
                    municipality_id=world.municipalities["silkeborg"].id,
                    token_hash=hashlib.sha256(repr(whom).encode()).hexdigest(),
                    channel="print",
                    expires_at=utcnow(),
                    **whom,
                )
            )
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()
