"""Two-factor login: setting it up, logging in with a code or a recovery code, a municipality that requires
it, and an admin who ends a user's sessions or resets their two-factor login."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask
from sqlalchemy import select

from broen.core import auth
from broen.core.models import AuditEntry, LoginFailure, RecoveryCode, User
from tests.conftest import PASSWORD, Client, World, db_of, text_of
from tests.core.test_auth import stored

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CODES = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


def code(secret: str, steps: int = 0) -> str:
    """The app's code now, or `steps` times 30 s from now (each code is accepted once)."""
    return str(pyotp.TOTP(secret).at(time.time() + 30 * steps))


def set_up(app: Flask, client: Client, user: User) -> tuple[str, list[str]]:
    """Turn two-factor login on for the logged-in `user` through the pages; returns secret and codes."""
    page = client.get("/me/two-factor")
    assert page.status_code == 200
    secret = stored(app, user).totp_secret
    assert secret and " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in text_of(page)
    done = client.submit("/me/two-factor", {"code": code(secret)})
    assert done.status_code == 200, text_of(done)
    codes = CODES.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def log_in(client: Client, user: User, second: str) -> Any:
    """Password, then the second step's code; returns the code step's answer."""
    first = client.login(user)
    assert first.status_code == 302 and first.location == "/login/code"
    return client.submit("/login/code", {"code": second})


def logged_in(client: Client) -> bool:
    return client.get("/me").status_code == 200


def audited_fields(app: Flask, user: User) -> list[Any]:
    with app.app_context():
        entries = db_of(app).session.scalars(
            select(AuditEntry.details).where(
                AuditEntry.object_type == "user", AuditEntry.object_id == user.id
            )
        )
        return [d.get("fields") for d in entries]


def test_a_coordinator_turns_two_factor_login_on_and_logs_in_with_a_code(
    app: Flask, world: World, make_client: Any
) -> None:
    user = world.user("silkeborg", "coordinator")
    client, elsewhere = make_client(), make_client()
    client.login(user)
    elsewhere.login(user)
    assert 'src="data:image/svg+xml;base64,' in client.get("/me/two-factor").get_data(as_text=True)
    wrong = client.submit("/me/two-factor", {"code": "123456"})
    assert wrong.status_code == 400 and "That code is not right" in text_of(wrong)
    assert not stored(app, user).has_two_factor
    secret, _codes = set_up(app, client, user)
    assert stored(app, user).has_two_factor
    assert ["two_factor"] in audited_fields(app, user)
    assert logged_in(client), "this session goes on"
    assert not logged_in(elsewhere), "a session opened with the password alone ends"

    # The password alone opens only the code step, and the way on is kept for after it.
    fresh = make_client()
    step = fresh.submit("/login?next=/silkeborg/citizens/", {"email": user.email, "password": PASSWORD})
    assert step.location == "/login/code"
    assert not logged_in(fresh)
    bad = fresh.submit("/login/code", {"code": "000000"})
    assert bad.status_code == 400 and "That code is not right" in text_of(bad)
    assert not logged_in(fresh)
    good = fresh.submit("/login/code", {"code": code(secret, 1)})
    assert good.status_code == 302 and good.location == "/silkeborg/citizens/"
    assert logged_in(fresh)
    # The same code does not work twice (seen over a shoulder, say).
    assert log_in(make_client(), user, code(secret, 1)).status_code == 400


@SQLITE_ONLY
def test_a_recovery_code_logs_in_once_and_new_ones_replace_the_old(
    app: Flask, world: World, client: Client, make_client: Any
) -> None:
    user = world.user("silkeborg", "mentor")
    client.login(user)
    _secret, codes = set_up(app, client, user)
    phone_lost = make_client()
    phone_lost.login(user)
    # Typed loosely (capitals, a space for the hyphen): still the code.
    response = phone_lost.submit(
        "/login/code", {"code": codes[3].upper().replace("-", " ")}, follow_redirects=True
    )
    assert "You logged in with a recovery code. You have 9 left" in text_of(response)
    assert logged_in(phone_lost)
    assert log_in(make_client(), user, codes[3]).status_code == 400, "each code works once"

    refused = client.submit(
        "/me/two-factor/recovery-codes", {"codes-current_password": "not my password"}, page="/me/two-factor"
    )
    assert refused.status_code == 400 and "That is not your current password" in text_of(refused)
    renewed = client.submit(
        "/me/two-factor/recovery-codes", {"codes-current_password": PASSWORD}, page="/me/two-factor"
    )
    new_codes = CODES.findall(renewed.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert log_in(make_client(), user, codes[0]).status_code == 400, "the old codes stop working"
    assert log_in(make_client(), user, new_codes[0]).status_code == 302
    with app.app_context():
        rows = db_of(app).session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        assert len(rows) == 10 and sum(r.used_at is not None for r in rows) == 1
        assert not any(c.replace("-", "") in r.code_hash for r in rows for c in new_codes), "stored hashed"
    assert "You have 9 unused recovery codes." in text_of(client.get("/me/two-factor"))


@SQLITE_ONLY
def test_wrong_codes_lock_the_account_and_the_password_does_not_unlock_it(
    app: Flask, world: World, client: Client, make_client: Any
) -> None:
    user = world.user("silkeborg", "admin")
    client.login(user)
    secret, _codes = set_up(app, client, user)
    guesser = make_client()
    guesser.login(user)
    limit = app.config["BROEN"].security.login_max_failures_per_account
    for guess in range(limit):
        assert guesser.submit("/login/code", {"code": f"{guess:06d}"}).status_code == 400
        guesser.login(user)  # the password again: it must not wipe the count of wrong codes
    locked = guesser.submit("/login/code", {"code": code(secret, 1)})
    assert locked.status_code == 429 and "Too many failed attempts" in text_of(locked)
    assert not logged_in(guesser)
    with app.app_context():
        db_of(app).session.execute(LoginFailure.__table__.delete())
        db_of(app).session.commit()
    assert guesser.submit("/login/code", {"code": code(secret, 1)}).status_code == 302


@SQLITE_ONLY
def test_the_code_step_ends_when_it_waits_too_long_or_was_never_started(
    app: Flask, world: World, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = world.user("silkeborg", "coordinator")
    client = make_client()
    client.login(user)
    secret, _codes = set_up(app, client, user)
    assert make_client().get("/login/code").location == "/login"
    monkeypatch.setattr(auth, "PENDING_SECONDS", -1)
    late = make_client()
    late.login(user)
    answer = late.submit("/login/code", {"code": code(secret, 1)}, page="/login", follow_redirects=True)
    assert "Log in again: the step for the code was not started or took too long." in text_of(answer)
    assert not logged_in(late)


@SQLITE_ONLY
def test_turning_it_off_needs_the_password(app: Flask, world: World, client: Client) -> None:
    user = world.user("silkeborg", "coordinator")
    client.login(user)
    set_up(app, client, user)
    wrong = client.submit("/me/two-factor/off", {"off-current_password": "nope nope"}, page="/me/two-factor")
    assert wrong.status_code == 400 and stored(app, user).has_two_factor
    off = client.submit("/me/two-factor/off", {"off-current_password": PASSWORD}, page="/me/two-factor")
    assert off.status_code == 302 and not stored(app, user).has_two_factor
    assert logged_in(client)
    with app.app_context():
        assert (
            not db_of(app).session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        )


def admin_sets_requirement(client: Client, municipality_id: int, on: bool) -> Any:
    data = {"municipality_id": str(municipality_id), "form": "two_factor"}
    if on:
        data["require_two_factor"] = "y"
    return client.submit("/admin/privacy/", data)


@SQLITE_ONLY
def test_a_municipality_that_requires_it_sends_its_staff_to_set_it_up_first(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    admin = make_client()
    admin.login(world.user("silkeborg", "admin"))
    page = text_of(admin.get("/admin/privacy/"))
    assert "3 active staff accounts have not set up two-factor login." in page
    assert admin_sets_requirement(admin, silkeborg, True).status_code == 302
    # The admin is staff too: sent to set it up before the next page.
    assert admin.get("/admin/privacy/").location == "/me/two-factor"

    coordinator = make_client()
    coordinator.login(world.user("silkeborg", "coordinator"))
    blocked = coordinator.get("/silkeborg/citizens/", follow_redirects=True)
    assert "Your municipality requires two-factor login. Set it up to go on." in text_of(blocked)
    token = coordinator.csrf_token("/me/two-factor")
    create = coordinator.post("/silkeborg/citizens/new", data={"csrf_token": token, "name": "Nobody"})
    assert create.location == "/me/two-factor"
    participant = make_client()
    participant.login(world.user("silkeborg", "participant"))
    assert participant.get("/silkeborg/").status_code == 200, "citizens are not staff"
    elsewhere = make_client()
    elsewhere.login(world.user("norddjurs", "coordinator"))
    assert elsewhere.get("/norddjurs/").status_code == 200, "only Silkeborg requires it"

    set_up(app, coordinator, world.user("silkeborg", "coordinator"))
    assert coordinator.get("/silkeborg/citizens/").status_code == 200
    keep = coordinator.submit("/me/two-factor/off", {"off-current_password": PASSWORD}, page="/me/two-factor")
    assert "requires two-factor login, so it cannot be turned off" in text_of(coordinator.get(keep.location))
    assert stored(app, world.user("silkeborg", "coordinator")).has_two_factor
    assert coordinator.post("/logout", data={"csrf_token": coordinator.csrf_token("/me")}).status_code == 302


@SQLITE_ONLY
def test_an_admin_ends_a_users_sessions_and_resets_their_two_factor_login(
    app: Flask, world: World, make_client: Any
) -> None:
    user = world.user("silkeborg", "coordinator")
    phone = make_client()
    phone.login(user)
    secret, _codes = set_up(app, phone, user)
    laptop = make_client()
    assert log_in(laptop, user, code(secret, 1)).status_code == 302

    outsider = make_client()
    outsider.login(world.user("norddjurs", "admin"))
    token = outsider.csrf_token("/admin/user/")
    for name in ("end_sessions", "reset_two_factor"):
        outsider.post(
            "/admin/user/action/", data={"csrf_token": token, "action": name, "rowid": str(user.id)}
        )
    assert logged_in(phone) and logged_in(laptop) and stored(app, user).has_two_factor, "not Norddjurs' user"

    admin = make_client()
    admin.login(world.user("silkeborg", "admin"))
    token = admin.csrf_token("/admin/user/")
    ended = admin.post(
        "/admin/user/action/",
        data={"csrf_token": token, "action": "end_sessions", "rowid": str(user.id)},
        follow_redirects=True,
    )
    assert "1 account is logged out everywhere." in text_of(ended)
    assert not logged_in(phone) and not logged_in(laptop)
    assert stored(app, user).has_two_factor, "ending sessions leaves two-factor login on"
    assert ["sessions"] in audited_fields(app, user)

    reset = admin.post(
        "/admin/user/action/",
        data={"csrf_token": token, "action": "reset_two_factor", "rowid": str(user.id)},
        follow_redirects=True,
    )
    assert "Two-factor login is reset for 1 account." in text_of(reset)
    assert not stored(app, user).has_two_factor
    new_phone = make_client()
    assert new_phone.login(user).location == "/", "the password alone again, until it is set up anew"


@SQLITE_ONLY
def test_the_operator_resets_a_lost_installation_admins_two_factor_login_from_the_command_line(
    app: Flask, world: World, make_client: Any
) -> None:
    root = world.users["installation"]
    phone = make_client()
    phone.login(root)
    set_up(app, phone, root)
    runner = app.test_cli_runner()
    with app.app_context():
        unknown = runner.invoke(args=["reset-two-factor", "nobody@example.dk"])
        done = runner.invoke(args=["reset-two-factor", root.email.upper()])
    assert unknown.exit_code == 1 and "nobody@example.dk: no user has that e-mail" in unknown.output
    assert done.exit_code == 0 and "Two-factor login is off for" in done.output
    assert not stored(app, root).has_two_factor and not logged_in(phone)
    assert make_client().login(root).location == "/", "the password alone lets them in again"
    assert ["two_factor"] in audited_fields(app, root)
