"""Links that are their own key cannot be guessed or told apart.

A personal calendar feed (`/feeds/<token>.ics`) and an invitation (`/invitation/<token>`) open without a
log-in: the token is the key. Here: the tokens the code makes carry well over 128 bits (measured on
tokens it made, not read from its docstring), and a link that is unknown, malformed, cut short, one
character off or stopped gets exactly the same answer, so trying links teaches nothing. The public feeds
open by name or id: a feed name that is not public is the same bare 404 even to a logged-in coordinator.
tests/calendar/test_feeds.py and tests/core/test_invitations.py test the links themselves (revoked,
expired, used, the hash only kept); tests/plugins/cafe/test_calendar.py that a course's public feed is
a bare 404 at another municipality's address and names no participant.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select
from werkzeug.test import TestResponse

from broen.calendar import tokens
from broen.core import invitations
from broen.core.models import Citizen, User
from tests.admin import routes
from tests.admin.routes import TARGET
from tests.conftest import Client, World, db_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


def entropy_bits(made: list[str]) -> float:
    """Bits in one token: its length times log2 of the alphabet the tokens were seen to use."""
    assert all(URL_SAFE.fullmatch(t) for t in made), "tokens outside the URL-safe base64 alphabet"
    assert len(set(made)) == len(made), "a token came out twice"
    alphabet = set("".join(made))
    return min(len(t) for t in made) * math.log2(len(alphabet))


def variants(token: str) -> dict[str, str]:
    """Ways to get a real token almost right."""
    middle = len(token) // 2
    swapped = "A" if token[middle] != "A" else "B"
    return {
        "unknown": "x" * len(token),
        "one character changed": token[:middle] + swapped + token[middle + 1 :],
        "cut short": token[:-1],
        "one character too many": token + "A",
        "in capitals": token.upper(),
        "malformed": "'; DROP TABLE feed_token; --",
        "not ascii": "æøå" * 5,
        "very long": "A" * 5000,
    }


def blank(page: str, token: str) -> str:
    """The page with the token it was asked for blanked out (the language links repeat the address)."""
    for shown in (str(escape(token)), quote(token), token):
        page = page.replace(shown, "TOKEN")
    return page


def differing(responses: dict[str, TestResponse]) -> list[str]:
    """The names of the responses that differ from the first in status, body or headers (but Date)."""

    def seen(r: TestResponse) -> tuple[int, bytes, list[tuple[str, str]]]:
        return r.status_code, r.get_data(), sorted((k, v) for k, v in r.headers if k != "Date")

    expected = seen(next(iter(responses.values())))
    return [name for name, r in responses.items() if seen(r) != expected]


@SQLITE_ONLY
def test_feed_and_invitation_tokens_carry_more_than_128_bits(app: Flask, world: World) -> None:
    db = db_of(app)
    with app.app_context():
        user = db.session.get_one(User, world.user(TARGET, "participant").id)
        feed_tokens = [tokens.issue(db, user) for _ in range(40)]
        citizen = db.session.get_one(Citizen, world.citizens[TARGET][0])
        coordinator = db.session.get_one(User, world.user(TARGET, "coordinator").id)
        invitation_tokens = [invitations.invite(db, citizen, coordinator, "print") for _ in range(40)]
    for made in (feed_tokens, invitation_tokens):
        assert entropy_bits(made) >= 128
        assert min(len(t) for t in made) >= 43  # secrets.token_urlsafe(32): 256 bits
        assert len(set("".join(made))) >= 60  # the whole alphabet is used, not a few letters of it


@SQLITE_ONLY
def test_a_feed_link_that_is_not_quite_right_or_stopped_gets_the_same_bare_404(
    app: Flask, world: World, client: Client
) -> None:
    db = db_of(app)
    with app.app_context():
        user = db.session.get_one(User, world.user(TARGET, "participant").id)
        live = tokens.issue(db, user)
        stopped_user = db.session.get_one(User, world.user(TARGET, "mentor").id)
        stopped = tokens.issue(db, stopped_user)
        assert tokens.revoke(db, stopped_user)
    assert client.get(f"/feeds/{live}.ics").status_code == 200
    answers = {"stopped": client.get(f"/feeds/{stopped}.ics")}
    for name, token in variants(live).items():
        answers[name] = client.get(f"/feeds/{token}.ics")
    assert {r.status_code for r in answers.values()} == {404}
    assert {r.get_data() for r in answers.values()} == {b""}
    assert differing(answers) == []
    assert client.get(f"/feeds/{live}.ics").status_code == 200  # the real link still works


@SQLITE_ONLY
def test_an_invitation_link_that_is_not_quite_right_gets_the_same_page_and_writes_nothing(
    app: Flask, world: World, client: Client
) -> None:
    db = db_of(app)
    with app.app_context():
        citizen = db.session.get_one(Citizen, world.citizens[TARGET][0])
        coordinator = db.session.get_one(User, world.user(TARGET, "coordinator").id)
        live = invitations.invite(db, citizen, coordinator, "print")
    assert client.get(f"/invitation/{live}").status_code == 200
    answers: dict[str, Any] = {}
    for name, token in variants(live).items():
        response = client.get(f"/invitation/{token}")
        assert response.status_code == 404, name
        answers[name] = blank(response.get_data(as_text=True), token)
    assert len(set(answers.values())) == 1, "the pages differ: " + ", ".join(answers)
    # Sending the form to a link one character off makes no log-in.
    before = routes.snapshot(app, skip=())
    wrong = variants(live)["one character changed"]
    form = {
        "email": "anna@example.dk",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    assert client.submit(f"/invitation/{wrong}", form, page="/login").status_code == 404
    assert routes.differences(before, routes.snapshot(app, skip=())) == {}
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "anna@example.dk")) is None
        assert invitations.find_open(db, live) is not None  # the real link still works


@SQLITE_ONLY
def test_only_public_feed_names_open_without_a_log_in_even_for_staff(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    coordinator = make_client()
    coordinator.login(world.user(TARGET, "coordinator"))
    for client in (make_client(), coordinator):
        assert client.get(f"/{TARGET}/public/calendar/public.ics").status_code == 200
        answers = {
            name: client.get(f"/{TARGET}/public/calendar/{name}.ics")
            for name in ("no-such-feed", "staff", "personal", "STAFF", "public.ics", "..")
        }
        assert {r.status_code for r in answers.values()} == {404}
        assert {r.get_data() for r in answers.values()} == {b""}
