"""Security headers on every response, not only on pages that went well.

The app runs as in production (behind https) and every response is checked: every GET rule as anonymous and
as Silkeborg's admin (200s, redirects to the login, 403s, 404s), an unknown address, a refused CSRF
token (400), a wrong method (405), a 403 and a server error (500). Each carries the content security
policy (without inline scripts or styles outside /admin), nosniff, X-Frame-Options: DENY, a referrer policy and HSTS; every cookie is Secure and HttpOnly;
and whatever a logged-in user is sent, but static files and public feeds, is marked no-store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.admin import routes
from tests.admin.routes import TARGET
from tests.conftest import Client, World, make_app

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BOOM = "/boom-for-the-header-test"


@pytest.fixture
def production(database_url: str, world: World) -> Iterator[Flask]:
    """The world's database served as in production, with one more route that fails (for a 500)."""
    app = make_app(database_url, mode="production", secret_key="k" * 40)

    def boom() -> str:
        raise RuntimeError("a bug, for the test")

    app.add_url_rule(BOOM, "boom_for_the_header_test", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as production does, not raise in the test
    app.config["PREFERRED_URL_SCHEME"] = "https"  # the test client's requests come over https
    app.test_client_class = Client
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    yield app
    app.extensions["broen.db"].dispose()


def client_of(app: Flask) -> Client:
    client: Client = app.test_client()  # type: ignore[assignment]
    client.environ_base = {"HTTP_REFERER": "https://localhost/"}  # Flask-WTF wants one of this site on https
    return client


def problems_with(response: TestResponse, logged_in: bool, admin: bool = False) -> list[str]:
    headers = response.headers
    found = []
    csp = headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp or "default-src 'self'" not in csp:
        found.append(f"Content-Security-Policy {csp!r}")
    if not admin and ("unsafe-inline" in csp or "unsafe-eval" in csp):
        found.append(f"Content-Security-Policy allows inline code: {csp!r}")
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
    found += [
        f"{name} {headers.get(name)!r}" for name, value in expected.items() if headers.get(name) != value
    ]
    if headers.get("Referrer-Policy") not in ("same-origin", "strict-origin", "no-referrer"):
        found.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    if not headers.get("Strict-Transport-Security", "").startswith("max-age="):
        found.append("no Strict-Transport-Security")
    for cookie in headers.getlist("Set-Cookie"):
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        if not {"secure", "httponly"} <= flags:
            found.append(f"a cookie without Secure and HttpOnly: {cookie.split('=', 1)[0]}")
    if logged_in and "no-store" not in headers.get("Cache-Control", ""):
        found.append(f"Cache-Control {headers.get('Cache-Control')!r} for a logged-in user")
    return found


@SQLITE_ONLY
def test_every_response_carries_the_security_headers_in_production(production: Flask, world: World) -> None:
    app = production
    admin = client_of(app)
    login = admin.login(world.user(TARGET, "admin"))
    assert login.status_code == 302 and not problems_with(login, logged_in=False)
    assert admin.get("/me").status_code == 200  # the Secure cookie came back over https
    participant = client_of(app)
    participant.login(world.user(TARGET, "participant"))
    anonymous = client_of(app)
    seen: dict[int, int] = {}
    problems = []

    def check(client: Client, method: str, path: str, data: dict[str, Any] | None = None) -> None:
        response = routes.call(client, method, path, data)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        # Static files and public feeds are the same for everyone, and are meant to be cached.
        kept = "/static/" in path or "/public/" in path or path.startswith("/feeds/")
        logged_in = client is not anonymous and not kept
        admin_page = path == "/admin" or path.startswith("/admin/")
        for problem in problems_with(response, logged_in, admin_page):
            who = "anonymous" if client is anonymous else "logged in"
            problems.append(f"{method} {path} as {who} -> {response.status_code}: {problem}")

    for rule in routes.rules(app):
        if "GET" not in routes.methods(rule) or rule.endpoint == "boom_for_the_header_test":
            continue
        path, _ = routes.fill(app, world, rule)
        for client in (admin, anonymous):
            check(client, "GET", path)
    for client in (admin, anonymous):
        check(client, "GET", "/no/such/page")  # 404
        check(client, "GET", f"/{TARGET}/no/such/page")  # 404 inside a municipality
        check(client, "POST", "/logout", {})  # 400: no CSRF token
        check(client, "GET", "/me/calendar-link")  # 405: POST only
        check(client, "POST", "/healthz", {})  # 405: GET only
        check(client, "GET", BOOM)  # 500
    check(participant, "GET", f"/{TARGET}/citizens/")  # 403
    assert not problems, "\n".join(problems)
    assert {200, 302, 400, 403, 404, 405, 500} <= set(seen), seen
    assert sum(seen.values()) > 150
