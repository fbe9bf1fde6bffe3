"""Password guessing is slowed down: what tests/core/test_auth.py does not already show.

test_auth shows the lock per account (429, "Wait N minutes", from any address), the lock per address,
that a good login clears the count, and that guesses on the account page are throttled too. Here: the
lock ends when the configured minutes have passed and the message counts down to it; knocking on a
locked door does not make the lock longer; another spelling of the e-mail is the same account; guesses
on the account page lock the login page as well; and behind the proxy (production), a made-up
X-Forwarded-For does not give a guesser a fresh address.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core.models import LoginFailure
from tests.admin.routes import TARGET
from tests.conftest import PASSWORD, Client, World, db_of, make_app

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WRONG = "a wrong guess"


def failures(app: Flask, email: str) -> int:
    with app.app_context():
        count: int = db_of(app).session.scalar(
            select(func.count()).select_from(LoginFailure).where(LoginFailure.email == email)
        )
    return count


def backdate_failures(app: Flask, minutes: float) -> None:
    """Every failed attempt so far `minutes` earlier than it was."""
    db = db_of(app)
    with app.app_context():
        for row in db.session.scalars(select(LoginFailure)):
            row.at = row.at - timedelta(minutes=minutes)
        db.session.commit()


def logged_in(client: Client) -> bool:
    return client.get("/me").status_code == 200


def test_a_lock_out_counts_down_and_ends_after_the_configured_minutes(
    app: Flask, world: World, make_client: Any
) -> None:
    """On both databases: the minutes are computed from stored times (SQLite keeps them without zone)."""
    security = app.config["BROEN"].security
    user = world.user(TARGET, "mentor")
    client = make_client()
    for _ in range(security.login_max_failures_per_account):
        assert client.login(user, WRONG).status_code == 200
    backdate_failures(app, security.login_lockout_minutes - 4)
    locked = client.login(user)
    assert locked.status_code == 429
    assert "Wait 4 minutes" in locked.get_data(as_text=True)
    # Knocking on the locked door again and again does not make the lock longer.
    for _ in range(3):
        assert client.login(user).status_code == 429
    assert failures(app, user.email) == security.login_max_failures_per_account
    backdate_failures(app, 4.1)
    assert client.login(user).status_code == 302
    assert logged_in(client)


@SQLITE_ONLY
def test_another_spelling_of_the_e_mail_is_the_same_account(
    app: Flask, world: World, make_client: Any
) -> None:
    security = app.config["BROEN"].security
    user = world.user(TARGET, "coordinator")
    spellings = [user.email.upper(), f"  {user.email} ", user.email.title(), user.email]
    client = make_client()
    for i in range(security.login_max_failures_per_account):
        assert client.login(spellings[i % len(spellings)], WRONG).status_code == 200
    assert make_client().login(user).status_code == 429


@SQLITE_ONLY
def test_guesses_on_the_account_page_lock_the_login_page_too(
    app: Flask, world: World, make_client: Any
) -> None:
    security = app.config["BROEN"].security
    user = world.user(TARGET, "mentor")
    thief = make_client()  # someone at a computer where the mentor is still logged in
    thief.login(user)
    guess = {
        "language": "en",
        "current_password": WRONG,
        "password": "a new password",
        "confirm": "a new password",
    }
    for _ in range(security.login_max_failures_per_account):
        assert thief.submit("/me", guess).status_code == 400
    elsewhere = make_client()
    elsewhere.environ_base = {"REMOTE_ADDR": "198.51.100.23"}
    refused = elsewhere.login(user)
    assert refused.status_code == 429 and "minutes" in refused.get_data(as_text=True)
    assert not logged_in(elsewhere)


@pytest.fixture
def production(database_url: str, world: World) -> Iterator[Flask]:
    """The world's database served as in production: behind one proxy that appends the real address."""
    app = make_app(database_url, mode="production", secret_key="k" * 40)
    app.test_client_class = Client
    yield app
    app.extensions["broen.db"].dispose()


def behind_proxy(app: Flask, real: str, claimed: str | None = None) -> Client:
    """A browser at `real`, seen through nginx: it appends `real` to whatever X-Forwarded-For came in."""
    client: Client = app.test_client()  # type: ignore[assignment]
    forwarded = f"{claimed}, {real}" if claimed else real
    client.environ_base = {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": forwarded,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_REFERER": "https://localhost/login",  # Flask-WTF wants one of this site over https
    }
    return client


@SQLITE_ONLY
def test_behind_the_proxy_a_made_up_forwarded_address_does_not_escape_the_address_lock(
    production: Flask, world: World
) -> None:
    security = production.config["BROEN"].security
    real = "203.0.113.9"
    accounts = [u for u in world.users.values() if u.email != world.user(TARGET, "mentor").email]
    per_account = -(-security.login_max_failures_per_address // len(accounts))
    assert per_account < security.login_max_failures_per_account  # no account lock gets in the way
    for i in range(security.login_max_failures_per_address):
        guesser = behind_proxy(production, real, claimed=f"10.1.{i}.1")  # a new made-up address each time
        assert guesser.login(accounts[i % len(accounts)], WRONG).status_code == 200
    refused = behind_proxy(production, real, claimed="10.9.9.9").login(world.user(TARGET, "mentor"))
    assert refused.status_code == 429
    # The same account from a real other address is let in: the lock was on the guesser's address.
    assert (
        behind_proxy(production, "198.51.100.10").login(world.user(TARGET, "mentor"), PASSWORD).status_code
        == 302
    )
