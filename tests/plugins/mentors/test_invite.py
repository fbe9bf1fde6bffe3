"""A mentor's log-in: the coordinator invites an approved mentor through the core's single-use link (by
e-mail or on paper), the mentor chooses a password and is a mentor in the municipality, linked to their
record; and the fences: who may invite whom, another municipality's mentors, accounts in other roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core import invitations
from broen.core.links import qr_data_uri
from broen.core.models import AuditEntry, Invitation, Role, User
from broen.plugins.mentors import invite, services
from broen.plugins.mentors.models import Mentor, MentorStatus
from tests.admin import routes
from tests.conftest import Client, World, db_of, text_of
from tests.fixtures.smtp import Inbox, smtp_server

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

MakeMentor = Callable[..., Mentor]
BASE = "/silkeborg/mentors"
NEW_PASSWORD = "a long enough password"
LINK = re.compile(r"(?:https?://[^/\s\"<]+)?/invitation/([A-Za-z0-9_-]{40,})")
SKIP = ("login_failure", "audit_entry")


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def hanne(app: Flask, make_mentor: MakeMentor, **kwargs: Any) -> int:
    with app.app_context():
        return make_mentor("Hanne Holm", email=kwargs.pop("email", "hanne@example.org"), **kwargs).id


def mentor_row(app: Flask, mentor_id: int) -> Mentor:
    found: Mentor | None = db_of(app).session.get(Mentor, mentor_id, populate_existing=True)
    assert found is not None
    return found


def invitations_of(app: Flask, mentor_id: int) -> list[Invitation]:
    db = db_of(app)
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.subject_type == "mentors_mentor", Invitation.subject_id == mentor_id)
            .order_by(Invitation.id)
        )
    )


def printed_token(client: Client, mentor_id: int) -> str:
    response = client.submit(f"{BASE}/{mentor_id}/invitation/new", {"channel": "print"})
    assert response.status_code == 200
    written = re.search(r"<code>(.*?)</code>", response.get_data(as_text=True))
    assert written, "no link on the print page"
    match = LINK.fullmatch(written.group(1).replace("<wbr>", ""))  # it may wrap anywhere on a narrow screen
    assert match
    return match.group(1)


def set_password(client: Client, token: str, email: str) -> Any:
    return client.submit(
        f"/invitation/{token}", {"email": email, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )


def test_an_approved_mentor_invited_by_e_mail_makes_a_mentor_log_in_once(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, mail_to: Inbox
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    page = text_of(coordinator.get(f"{BASE}/{mentor_id}"))
    assert "Log-in to the mentor pages" in page and "No log-in yet" in page
    assert f'href="{BASE}/{mentor_id}/invitation/new"' in coordinator.get(f"{BASE}/{mentor_id}").get_data(
        as_text=True
    )
    form = text_of(coordinator.get(f"{BASE}/{mentor_id}/invitation/new"))
    assert "Invite Hanne Holm to the mentor pages" in form and "How does the mentor get the link?" in form
    assert "Send by e-mail to hanne@example.org" in form and "participant" not in form

    sent = coordinator.submit(f"{BASE}/{mentor_id}/invitation/new", {"channel": "email"})
    assert sent.status_code == 302 and sent.location.endswith(f"{BASE}/{mentor_id}")
    after = text_of(coordinator.get(sent.location))
    assert "The invitation is sent to hanne@example.org" in after
    assert "Invited by e-mail on" in after and "The link works until" in after
    assert "New invitation" in after and "Withdraw" in after
    (message,) = mail_to.messages
    assert mail_to.envelopes[0][1] == ["hanne@example.org"]
    assert message["Subject"] == "Your log-in to the mentor pages – Silkeborg Kommune"
    body = message.get_content()
    assert "Hello Hanne Holm," in body and "invites you to the mentor pages" in body
    match = LINK.search(body)
    assert match
    token = match.group(1)

    person = make_client()
    opened = person.get(f"/invitation/{token}")
    assert opened.status_code == 200
    assert "Your log-in to the mentor pages" in text_of(opened)
    assert 'value="hanne@example.org"' in opened.get_data(as_text=True)  # e-mailed: the address is suggested
    done = set_password(person, token, "Hanne.Own@Example.org")
    assert done.status_code == 302 and done.location.endswith("/silkeborg/")
    assert "Welcome, Hanne Holm" in text_of(person.get("/silkeborg/"))

    db = db_of(app)
    user = db.session.scalar(select(User).where(User.email == "hanne.own@example.org"))
    assert user is not None and user.name == "Hanne Holm"
    assert user.role_in(mentors_world.municipalities["silkeborg"].id) == Role.MENTOR
    assert user.role_in(mentors_world.municipalities["norddjurs"].id) is None
    assert mentor_row(app, mentor_id).user_id == user.id
    assert "Has a log-in: hanne.own@example.org" in text_of(coordinator.get(f"{BASE}/{mentor_id}"))
    # The link works once; the new password logs in.
    assert make_client().get(f"/invitation/{token}").status_code == 404
    assert make_client().login("hanne.own@example.org", NEW_PASSWORD).status_code == 302

    trail = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "mentors_mentor", AuditEntry.object_id == mentor_id)
        .order_by(AuditEntry.id)
    ).all()
    steps = [(e.action, e.details.get("invitation"), e.details.get("fields")) for e in trail]
    assert ("update", "created", None) in steps and ("update", "used", None) in steps
    assert ("update", None, ["user_id"]) in steps  # the plugin's own entry for linking the record
    assert token not in repr(routes.snapshot(app, skip=()))  # only the token's hash is kept


def test_the_print_page_shows_the_link_and_its_qr_code_once(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    response = coordinator.submit(f"{BASE}/{mentor_id}/invitation/new", {"channel": "print"})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    page = response.get_data(as_text=True)
    written = re.search(r"<code>(.*?)</code>", page)
    assert written
    link = written.group(1).replace("<wbr>", "")
    assert LINK.fullmatch(link) and f'src="{qr_data_uri(link)}"' in page
    assert "Your log-in to the mentor pages" in page and "participant" not in page
    assert f'href="{BASE}/{mentor_id}"' in page  # back to the mentor, on screen only
    (row,) = invitations_of(app, mentor_id)
    assert row.channel == "print" and row.role == Role.MENTOR and row.name == "Hanne Holm"
    shown = coordinator.get(f"{BASE}/{mentor_id}").get_data(as_text=True)
    assert "Invited on paper on" in shown and link not in shown
    # A printed link does not suggest the mentor's address.
    assert "hanne@example.org" not in make_client().get(link).get_data(as_text=True)


def test_a_mentor_without_an_e_mail_address_can_only_get_a_printed_invitation(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor, email="")
    coordinator = logged_in(make_client, mentors_world)
    form = coordinator.get(f"{BASE}/{mentor_id}/invitation/new").get_data(as_text=True)
    assert 'value="email"' not in form and "the record has no e-mail address" in form
    assert f'href="{BASE}/{mentor_id}/edit"' in form
    refused = coordinator.submit(f"{BASE}/{mentor_id}/invitation/new", {"channel": "email"})
    assert refused.status_code == 400 and "Hanne Holm has no e-mail address" in text_of(refused)
    assert invitations_of(app, mentor_id) == []


@pytest.mark.parametrize("status", [MentorStatus.INTERVIEWED, MentorStatus.TRAINED, MentorStatus.PAUSED])
def test_a_mentor_who_is_not_approved_cannot_be_invited(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor, status: MentorStatus
) -> None:
    mentor_id = hanne(app, make_mentor, status=status)
    coordinator = logged_in(make_client, mentors_world)
    page = coordinator.get(f"{BASE}/{mentor_id}").get_data(as_text=True)
    assert "Only an approved mentor can be invited" in page and "/invitation/new" not in page
    shown = coordinator.get(f"{BASE}/{mentor_id}/invitation/new")
    assert shown.status_code == 200 and 'name="channel"' not in shown.get_data(as_text=True)
    assert "Only an approved mentor can be invited" in text_of(shown)
    refused = coordinator.submit(
        f"{BASE}/{mentor_id}/invitation/new", {"channel": "print"}, page=f"{BASE}/{mentor_id}"
    )
    assert refused.status_code == 409 and "Only an approved mentor can be invited" in text_of(refused)
    assert invitations_of(app, mentor_id) == []


def test_a_mentor_with_a_log_in_cannot_be_invited_again(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    token = printed_token(coordinator, mentor_id)
    assert set_password(make_client(), token, "hanne.own@example.org").status_code == 302
    page = coordinator.get(f"{BASE}/{mentor_id}").get_data(as_text=True)
    assert "/invitation/new" not in page and "/invitation/withdraw" not in page
    refused = coordinator.submit(
        f"{BASE}/{mentor_id}/invitation/new", {"channel": "print"}, page=f"{BASE}/{mentor_id}"
    )
    assert refused.status_code == 409 and "Hanne Holm has a log-in already" in text_of(refused)
    assert len(invitations_of(app, mentor_id)) == 1


def test_a_mentor_paused_after_the_invitation_cannot_accept_it_and_nothing_is_written(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    token = printed_token(coordinator, mentor_id)
    with app.app_context():
        services.set_status(db_of(app), mentor_row(app, mentor_id), None, MentorStatus.PAUSED)
    page = text_of(coordinator.get(f"{BASE}/{mentor_id}"))
    assert "Invited on paper on" in page and "Withdraw" in page and "New invitation" not in page
    person = make_client()
    person.get(f"/invitation/{token}")
    before = routes.snapshot(app, skip=SKIP)
    refused = set_password(person, token, "hanne.own@example.org")
    assert refused.status_code == 400
    assert "You are not an approved mentor at the moment" in text_of(refused)
    assert routes.differences(before, routes.snapshot(app, skip=SKIP)) == {}
    assert mentor_row(app, mentor_id).user_id is None


def test_a_participant_account_of_the_municipality_cannot_be_linked_as_mentor(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    token = printed_token(logged_in(make_client, mentors_world), mentor_id)
    participant = logged_in(make_client, mentors_world, "participant")
    offered = participant.get(f"/invitation/{token}").get_data(as_text=True)
    assert "Use my account" in offered
    before = routes.snapshot(app, skip=SKIP)
    refused = participant.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert refused.status_code == 409
    assert (
        "Your account works in Silkeborg Kommune in another role. A mentor needs a log-in of their own"
        in text_of(refused)
    )
    assert routes.differences(before, routes.snapshot(app, skip=SKIP)) == {}
    # Nor can a new log-in take the participant's e-mail address.
    taken = set_password(make_client(), token, mentors_world.user("silkeborg", "participant").email)
    assert taken.status_code == 400 and "There is a log-in with this e-mail address already" in text_of(taken)
    assert mentor_row(app, mentor_id).user_id is None


def test_one_log_in_is_one_mentor(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    """A mentor account that is linked to one mentor cannot take another mentor's invitation."""
    first = hanne(app, make_mentor)
    with app.app_context():
        second = make_mentor("Ib Ibsen").id
    coordinator = logged_in(make_client, mentors_world)
    assert (
        set_password(make_client(), printed_token(coordinator, first), "hanne.own@example.org").status_code
        == 302
    )
    token = printed_token(coordinator, second)
    hanne_client = make_client()
    assert hanne_client.login("hanne.own@example.org", NEW_PASSWORD).status_code == 302
    assert "You can use this account for the mentor pages" in text_of(
        hanne_client.get(f"/invitation/{token}")
    )
    refused = hanne_client.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert refused.status_code == 409 and "Your account belongs to another mentor" in text_of(refused)
    assert mentor_row(app, second).user_id is None

    # A mentor account without a mentor record (made by an admin) may take it, and keeps its one role.
    plain = logged_in(make_client, mentors_world, "mentor")
    linked = plain.submit(f"/invitation/{token}/use-my-account", {}, page=f"/invitation/{token}")
    assert linked.status_code == 302
    assert "Your account now has the mentor pages of Silkeborg Kommune" in text_of(plain.get(linked.location))
    assert mentor_row(app, second).user_id == mentors_world.user("silkeborg", "mentor").id


def test_withdrawing_asks_first_then_stops_the_link(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    nothing = coordinator.get(f"{BASE}/{mentor_id}/invitation/withdraw", follow_redirects=True)
    assert "There is no invitation to withdraw" in text_of(nothing)
    token = printed_token(coordinator, mentor_id)
    confirm = coordinator.get(f"{BASE}/{mentor_id}/invitation/withdraw")
    assert confirm.status_code == 200 and "Withdraw the invitation of Hanne Holm?" in text_of(confirm)
    assert invitations_of(app, mentor_id)[0].revoked_at is None  # looking at the question changes nothing
    done = coordinator.submit(f"{BASE}/{mentor_id}/invitation/withdraw", {}, follow_redirects=True)
    page = text_of(done)
    assert "The invitation is withdrawn" in page and "No log-in yet" in page
    assert make_client().get(f"/invitation/{token}").status_code == 404


def test_a_new_invitation_ends_the_open_one(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    coordinator = logged_in(make_client, mentors_world)
    first = printed_token(coordinator, mentor_id)
    form = text_of(coordinator.get(f"{BASE}/{mentor_id}/invitation/new"))
    assert "When you make a new one, its link stops working" in form and "Make new invitation" in form
    second = printed_token(coordinator, mentor_id)
    assert make_client().get(f"/invitation/{first}").status_code == 404
    assert make_client().get(f"/invitation/{second}").status_code == 200


def test_only_admins_and_coordinators_of_the_mentors_municipality_invite(
    app: Flask, mentors_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    mentor_id = hanne(app, make_mentor)
    with app.app_context():
        elsewhere = make_mentor("Norddjurs mentor", slug="norddjurs").id
        # So that the withdraw page has something to withdraw.
        invitations.invite_subject(
            db_of(app),
            invite.subject(mentor_row(app, mentor_id)),
            mentors_world.user("silkeborg", "admin"),
            "print",
        )
    pages = [f"{BASE}/{mentor_id}/invitation/new", f"{BASE}/{mentor_id}/invitation/withdraw"]
    for role, expected in (("admin", 200), ("coordinator", 200), ("mentor", 403), ("participant", 403)):
        client = logged_in(make_client, mentors_world, role)
        for page in pages:
            assert client.get(page).status_code == expected, (role, page)
        if expected == 403:
            token = client.csrf_token("/me")
            assert client.post(pages[0], data={"channel": "print", "csrf_token": token}).status_code == 403
    coordinator = logged_in(make_client, mentors_world)
    for page in (f"{BASE}/{elsewhere}/invitation/new", f"{BASE}/{elsewhere}/invitation/withdraw"):
        assert coordinator.get(page).status_code == 404
    refused = coordinator.submit(
        f"{BASE}/{elsewhere}/invitation/new", {"channel": "print"}, page=f"{BASE}/{mentor_id}"
    )
    assert refused.status_code == 404
    assert routes.is_login_redirect(make_client().get(pages[0]))
    assert len(invitations_of(app, mentor_id)) == 1 and invitations_of(app, elsewhere) == []
