"""Logging in and out, password guessing slowed down, safe redirects, one's own account, quiet logs."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import LoginFailure, User
from tests.conftest import PASSWORD, Client, World, db_of

WRONG = "Wrong e-mail or password."


def in_english(client: Client) -> Client:
    """Anonymous pages in English for this browser (the messages below are checked in English)."""
    client.get("/login?lang=en")
    return client


def set_language(app: Flask, user: User, language: str = "en") -> None:
    with app.app_context():
        db_of(app).session.get_one(User, user.id).language = language
        db_of(app).session.commit()


def stored(app: Flask, user: User) -> User:
    with app.app_context():
        found: User = db_of(app).session.get_one(User, user.id)
        db_of(app).session.refresh(found)
    return found


def failures(app: Flask, email: str) -> int:
    with app.app_context():
        count: int = db_of(app).session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
        )
    return count


def logged_in(client: Client) -> bool:
    return client.get("/me").status_code == 200


def test_a_user_logs_in_and_out(world: World, client: Client) -> None:
    response = client.login(world.user("silkeborg", "coordinator"))
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").location == "/silkeborg/"  # one municipality: straight there
    assert logged_in(client)
    client.get("/logout", follow_redirects=True)  # a link or an image cannot log anyone out
    assert logged_in(client)
    assert client.post("/logout").status_code == 400  # nor can a form without the CSRF token
    assert logged_in(client)
    out = client.submit("/logout", {}, page="/me")
    assert out.status_code == 302 and urlsplit(out.location).path == "/login"
    assert not logged_in(client)
    assert urlsplit(client.get("/silkeborg/citizens/").location).path == "/login"


def test_passwords_are_stored_as_argon2id_hashes(app: Flask, world: World) -> None:
    with app.app_context():
        hashes = list(db_of(app).session.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_a_wrong_password_and_an_unknown_e_mail_get_the_same_answer(world: World, make_client: Any) -> None:
    def answer(email: str) -> tuple[int, str]:
        client = in_english(make_client())
        response = client.submit("/login", {"email": email, "password": "not the password"})
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        return response.status_code, re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", body)

    known = answer("coordinator@silkeborg.example.dk")
    unknown = answer("nobody@silkeborg.example.dk")
    assert known[0] == unknown[0] == 200
    assert WRONG in known[1]
    assert known[1] == unknown[1]  # nothing tells whether the account exists


def test_after_too_many_failures_even_the_right_password_must_wait(
    app: Flask, world: World, make_client: Any
) -> None:
    security = app.config["BROEN"].security
    user = world.user("silkeborg", "mentor")
    client = in_english(make_client())
    for _ in range(security.login_max_failures_per_account):
        assert client.login(user, "a wrong guess").status_code == 200
    refused = client.login(user)
    assert refused.status_code == 429
    assert f"Wait {security.login_lockout_minutes} minutes" in refused.get_data(as_text=True)
    assert not logged_in(client)
    # From another address too: the lock is on the account, not on the guesser's machine.
    elsewhere = make_client()
    elsewhere.environ_base = {"REMOTE_ADDR": "198.51.100.7"}
    assert elsewhere.login(user).status_code == 429
    # Other accounts are not locked by it.
    assert make_client().login(world.user("silkeborg", "participant")).status_code == 302


def test_many_accounts_tried_from_one_address_lock_that_address(
    app: Flask, world: World, make_client: Any
) -> None:
    security = app.config["BROEN"].security
    # Wrong guesses spread over every account, too few per account to lock any of them.
    accounts_tried = [u for u in world.users.values() if u.email != world.user("silkeborg", "mentor").email]
    per_account = -(-security.login_max_failures_per_address // len(accounts_tried))
    assert per_account < security.login_max_failures_per_account
    guesser = in_english(make_client())
    guesser.environ_base = {"REMOTE_ADDR": "203.0.113.9"}
    for i in range(security.login_max_failures_per_address):
        assert guesser.login(accounts_tried[i % len(accounts_tried)], "a wrong guess").status_code == 200
    refused = guesser.login(world.user("silkeborg", "mentor"))
    assert refused.status_code == 429 and "minutes" in refused.get_data(as_text=True)
    assert not logged_in(guesser)
    colleague = make_client()  # the same account from another address is fine
    colleague.environ_base = {"REMOTE_ADDR": "203.0.113.10"}
    assert colleague.login(world.user("silkeborg", "mentor")).status_code == 302


def test_a_successful_login_clears_the_account_failures(app: Flask, world: World, make_client: Any) -> None:
    limit = app.config["BROEN"].security.login_max_failures_per_account
    user = world.user("silkeborg", "coordinator")
    for _round in range(2):
        client = make_client()
        for _ in range(limit - 1):
            client.login(user, "a wrong guess")
        assert failures(app, user.email) == limit - 1
        assert client.login(user).status_code == 302  # 2 x (limit - 1) failures in all, never locked
        assert failures(app, user.email) == 0


def test_an_inactive_user_cannot_log_in(app: Flask, world: World, make_client: Any) -> None:
    user = world.user("silkeborg", "coordinator")
    with app.app_context():
        db_of(app).session.get_one(User, user.id).active = False
        db_of(app).session.commit()
    client = in_english(make_client())
    response = client.login(user)
    assert response.status_code == 200 and WRONG in response.get_data(as_text=True)
    assert not logged_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_the_next_address_after_login_stays_on_this_site(world: World, client: Client, target: str) -> None:
    response = client.submit(
        f"/login?next={quote(target)}",
        {"email": world.user("silkeborg", "admin").email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/", f"{target!r} -> {response.location!r}"


def test_the_next_address_brings_the_user_back_to_the_page_they_asked_for(
    world: World, client: Client
) -> None:
    asked = client.get("/silkeborg/citizens/?status=active")
    assert urlsplit(asked.location).path == "/login"
    response = client.submit(
        asked.location, {"email": world.user("silkeborg", "coordinator").email, "password": PASSWORD}
    )
    assert response.location == "/silkeborg/citizens/?status=active"


# --- /me ------------------------------------------------------------------------------------------------


def test_a_user_changes_their_language(app: Flask, world: World, client: Client) -> None:
    user = world.user("silkeborg", "mentor")
    client.login(user)
    response = client.submit("/me", {"language": "en"}, follow_redirects=True)
    assert response.status_code == 200
    assert '<html lang="en"' in response.get_data(as_text=True)
    assert stored(app, user).language == "en"


def test_a_user_changes_their_password_knowing_the_current_one(
    app: Flask, world: World, make_client: Any
) -> None:
    user = world.user("silkeborg", "mentor")
    set_language(app, user)
    client = make_client()
    client.login(user)
    old_hash = stored(app, user).password_hash

    def change(**data: str) -> str:
        form = {"language": "en", "current_password": PASSWORD, **data}
        response = client.submit("/me", form)
        assert response.status_code == 400
        return response.get_data(as_text=True)

    assert "At least 10 characters." in change(password="short", confirm="short")
    assert "The passwords differ." in change(password="a new password", confirm="another new one")
    assert "That is not your current password." in change(
        current_password="a wrong guess", password="a new password", confirm="a new password"
    )
    assert stored(app, user).password_hash == old_hash
    saved = client.submit(
        "/me",
        {
            "language": "en",
            "current_password": PASSWORD,
            "password": "a new password",
            "confirm": "a new password",
        },
    )
    assert saved.status_code == 302
    new_hash = stored(app, user).password_hash
    assert new_hash != old_hash and new_hash.startswith("$argon2id$")
    assert logged_in(client)  # this session goes on
    assert make_client().login(user).status_code == 200  # the old password no longer works
    assert make_client().login(user, "a new password").status_code == 302


def test_guessing_the_current_password_on_the_account_page_is_throttled(
    app: Flask, world: World, make_client: Any
) -> None:
    user = world.user("silkeborg", "mentor")
    set_language(app, user)
    client = make_client()
    client.login(user)
    guess = {
        "language": "en",
        "current_password": "a wrong guess",
        "password": "a new password",
        "confirm": "a new password",
    }
    for _ in range(app.config["BROEN"].security.login_max_failures_per_account):
        assert client.submit("/me", guess).status_code == 400
    locked = client.submit("/me", {**guess, "current_password": PASSWORD})
    assert locked.status_code == 429 and "minutes" in locked.get_data(as_text=True)


def test_a_new_password_or_a_deactivation_ends_the_other_sessions(
    app: Flask, world: World, make_client: Any
) -> None:
    user = world.user("silkeborg", "coordinator")
    laptop, phone = make_client(), make_client()
    laptop.login(user)
    phone.login(user)
    laptop.submit(
        "/me",
        {
            "language": "en",
            "current_password": PASSWORD,
            "password": "a new password",
            "confirm": "a new password",
        },
    )
    assert logged_in(laptop)
    assert not logged_in(phone)  # someone who had the old password (or a stolen cookie) is out
    with app.app_context():
        db_of(app).session.get_one(User, user.id).active = False
        db_of(app).session.commit()
    assert not logged_in(laptop)


# --- logs -----------------------------------------------------------------------------------------------


def test_passwords_never_reach_the_logs(
    app: Flask, world: World, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    for name in [None, "sqlalchemy", "sqlalchemy.engine", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    secrets = [
        "Secret-Login-1234",
        "Secret-Created-5678",
        "Secret-Admin-9012",
        "Secret-Changed-3456",
        "Secret-Typo-7890",
    ]
    db = db_of(app)
    with app.app_context():
        user = accounts.create_user(db, "logger@silkeborg.example.dk", "Log Test", secrets[0])
        accounts.grant_role(db, user, world.municipalities["silkeborg"], accounts.Role.ADMIN)
    make_client().login(user, secrets[1])  # a failed login
    admin = make_client()
    assert admin.login(user, secrets[0]).status_code == 302  # a successful one
    silkeborg = str(world.municipalities["silkeborg"].id)
    new_user = {
        "name": "New",
        "language": "en",
        "active": "y",
        "first_municipality": silkeborg,
        "first_role": "mentor",
    }
    assert (
        admin.submit(
            "/admin/user/new/", {**new_user, "email": "new@silkeborg.example.dk", "new_password": secrets[2]}
        ).status_code
        == 302
    )
    admin.submit(
        "/admin/user/new/", {**new_user, "email": "new@silkeborg.example.dk", "new_password": secrets[4]}
    )  # refused
    admin.submit(
        "/me",
        {"language": "en", "current_password": secrets[0], "password": secrets[3], "confirm": secrets[3]},
    )
    logged = caplog.text + "".join(str(r.args) + (r.exc_text or "") for r in caplog.records)
    assert "user_account" in logged  # the SQL was logged, so a password in it would show
    for secret in secrets:
        assert secret not in logged
