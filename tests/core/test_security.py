"""HTTP hardening: cookies, security headers on every page, and a CSRF token on every form."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask

from broen.core import accounts
from broen.core.models import Role
from tests.admin import routes
from tests.conftest import PASSWORD, Client, World, make_app


def session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("broen_session=")]
    assert cookies, "the response sets no session cookie"
    return str(cookies[0])


def attributes(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_the_session_cookie_is_http_only_same_site_lax_and_not_secure_in_development(
    world: World, client: Client
) -> None:
    response = client.login(world.user("silkeborg", "coordinator"))
    flags = attributes(session_cookie(response))
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # development runs on plain http://127.0.0.1


def test_in_production_the_session_cookie_is_secure(database_url: str) -> None:
    app = make_app(database_url, mode="production", secret_key="k" * 40)
    try:
        response = app.test_client().get("/login", base_url="https://broen.example.dk")
        flags = attributes(session_cookie(response))
        assert {"secure", "httponly", "samesite=lax"} <= flags
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.extensions["broen.db"].dispose()


def assert_strict_headers(response: Any, where: str, admin: bool = False) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, where
    if not admin:
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "strict-origin", "no-referrer"), where


def test_a_municipality_whose_name_begins_with_admin_gets_the_strict_policy(
    app: Flask, world: World, make_client: Any
) -> None:
    db = app.extensions["broen.db"]
    with app.app_context():
        town = accounts.create_municipality(db, "adminby", "Adminby Kommune")
        user = accounts.create_user(db, "staff@adminby.example.dk", "Staff Adminby", PASSWORD)
        accounts.grant_role(db, user, town, Role.COORDINATOR)
    client = make_client()
    client.login(user)
    response = client.get("/adminby/citizens/")
    assert response.status_code == 200
    assert_strict_headers(response, "/adminby/citizens/")


def test_pages_behind_the_login_are_not_kept_by_the_browser(world: World, client: Client) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    page = client.get(f"/silkeborg/citizens/{world.citizens['silkeborg'][0]}")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert "no-store" in client.get("/me").headers["Cache-Control"]


def plausible_form(world: World) -> dict[str, str]:
    """What the forms outside /admin ask for, filled so that with a token they would be accepted."""
    return {
        "name": "Forged Citizen",
        "status": "intake",
        "email": "forged@silkeborg.example.dk",
        "contact_person_id": str(world.user("silkeborg", "admin").id),
        "language": "en",
        "current_password": PASSWORD,
        "password": "a forged password",
        "confirm": "a forged password",
    }


def test_admin_posts_without_the_secure_form_token_change_nothing(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    silkeborg = world.municipalities["silkeborg"]
    mentor = world.user("silkeborg", "mentor")
    client = make_client()
    client.login(world.user("silkeborg", "admin"))
    before = routes.snapshot(app)
    form = {
        "name": "Forged",
        "email": "forged@silkeborg.example.dk",
        "language": "en",
        "active": "y",
        "new_password": "a forged password",
        "first_municipality": str(silkeborg.id),
        "first_role": "admin",
        "user": str(mentor.id),
        "municipality": str(silkeborg.id),
        "role": "admin",
        "text": "Forged tip",
        "slug": "forged",
        "timezone": "Europe/Copenhagen",
        "greeting": "Forged",
        "tips_per_page": "3",
        "enabled": "0",
        "action": "delete",
    }
    walked = []
    for rule in routes.admin_rules(app):
        if "POST" not in routes.methods(rule):
            continue
        path, _ = routes.fill(app, world, rule)
        view = routes.admin_view(app, rule.endpoint)
        ids = routes.target_row_ids(app, view.model) if hasattr(view, "model") else []
        query = f"?id={ids[0]}" if ids and rule.endpoint.endswith("edit_view") else ""
        data = {
            **form,
            "id": str(ids[0]) if ids else "",
            "rowid": [str(i) for i in ids],
            "list_form_pk": str(ids[0]) if ids else "",
        }
        response = routes.call(client, "POST", path + query, data)
        assert response.status_code < 500, f"POST {path}{query} -> {response.status_code}"
        walked.append(rule.endpoint)
    assert {"user.create_view", "membership.create_view", "membership.delete_view", "plugins.toggle"} <= set(
        walked
    )
    assert routes.differences(before, routes.snapshot(app)) == {}
    assert client.get("/silkeborg/example/").status_code == 200  # the plugin stayed on
    # With the token, the same membership form is accepted: the token was what was missing.
    with app.app_context():
        accounts.create_municipality(app.extensions["broen.db"], "aarhus", "Aarhus")
        accounts.grant_role(
            app.extensions["broen.db"],
            world.user("silkeborg", "admin"),
            routes.municipality(app, "aarhus"),
            Role.ADMIN,
        )
    aarhus = routes.municipality(app, "aarhus")
    ok = client.submit(
        "/admin/membership/new/", {"user": str(mentor.id), "municipality": str(aarhus.id), "role": "mentor"}
    )
    assert ok.status_code == 302


def test_a_login_expires_after_the_configured_minutes_without_activity(app: Flask, world: World) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={
            "email": world.user("silkeborg", "coordinator").email,
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("broen_session="))
    expires = parsedate_to_datetime(cookie.split("Expires=", 1)[1].split(";", 1)[0])
    minutes = app.config["BROEN"].security.session_lifetime_minutes
    left = (expires - datetime.now(UTC)).total_seconds() / 60
    assert minutes - 2 < left <= minutes


def test_a_nul_character_in_any_field_or_query_is_refused_naming_the_field(
    app: Flask, world: World, client: Client
) -> None:
    """No one types a NUL, and PostgreSQL cannot store one: a staff form or a search with one answers 400
    with a message that names the field, and nothing is written (both databases)."""
    client.login(world.user("silkeborg", "coordinator"))
    before = routes.snapshot(app)
    created = client.submit("/silkeborg/citizens/new", {"name": "Nul\x00 Person", "status": "intake"})
    assert created.status_code == 400
    page = created.get_data(as_text=True)
    assert "The field name holds an invisible control character (NUL)" in page
    searched = client.get("/silkeborg/citizens/?q=An%00na")
    assert searched.status_code == 400 and "The field q holds" in searched.get_data(as_text=True)
    assert routes.differences(before, routes.snapshot(app)) == {}


def test_a_request_body_over_12_mib_is_refused_with_a_message_before_anything_reads_it(
    world: World, client: Client
) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    token = client.csrf_token("/me")
    big = client.post("/me", data={"csrf_token": token, "language": "x" * (13 * 1024 * 1024)})
    assert big.status_code == 413 and "The file is too big" in big.get_data(as_text=True)
    assert client.get("/me").status_code == 200
