"""The authorization matrix: every route x every role x both municipalities.

This file walks the roles *inside* the municipality: every `/<municipality>/` rule (the public pages
aside), every method, each of Silkeborg's own admin, coordinator, mentor and participant, with a valid
CSRF token and a form that would be accepted. A role the view's `require_role` does not name gets 403
and changes nothing; a role it names is never refused. tests/core/test_tenancy.py walks the same rules
as anonymous and as every role of the *other* municipality (Norddjurs); the two together are the matrix
"every route x every role x both municipalities". The /admin side: Silkeborg's coordinator, mentor and
participant are refused on every /admin rule, here with a valid token and a forged form aimed at
Silkeborg's rows (tests/admin/test_admin.py checks the same gate without a token, and anonymous).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_admin.model import BaseModelView
from werkzeug.routing import Rule

from broen.core.models import Role
from broen.core.tenancy import PUBLIC_PREFIX
from tests.admin import routes
from tests.admin.routes import TARGET
from tests.conftest import Client, World
from tests.core.test_security import plausible_form
from tests.core.test_tenancy import admin_requests

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ROLES = tuple(Role)
#: Tables a refused request may still write: the refusal's own audit entry, failed logins.
UNWATCHED = ("login_failure", "audit_entry")


def municipality_rules(app: Flask) -> list[Rule]:
    """Every rule under /<municipality>/ but the public pages: each one is for some roles only."""
    return [
        r
        for r in routes.rules(app)
        if r.rule.startswith("/<municipality>/") and not r.rule.startswith(PUBLIC_PREFIX)
    ]


def required_roles(app: Flask, rule: Rule) -> tuple[Role, ...]:
    roles: tuple[Role, ...] = getattr(app.view_functions[rule.endpoint], "required_roles", ())
    return roles


def members(world: World, make_client: Any) -> dict[Role, tuple[Client, str]]:
    """A logged-in Silkeborg user of every role, with a CSRF token of their session."""
    found = {}
    for role in ROLES:
        client = make_client()
        assert client.login(world.user(TARGET, role.value)).status_code == 302
        found[role] = (client, client.csrf_token("/me"))
    return found


@SQLITE_ONLY
def test_every_municipality_route_names_the_roles_it_is_for(app: Flask) -> None:
    walked = municipality_rules(app)
    missing = [f"{r.rule} ({r.endpoint})" for r in walked if not required_roles(app, r)]
    assert not missing, "no require_role(...) on:\n" + "\n".join(missing)
    assert len(walked) > 100
    # Not every rule is for every role: the matrix below has refusals to check.
    assert {r.endpoint for r in walked if Role.PARTICIPANT not in required_roles(app, r)} >= {
        "citizens.show",
        "citizens.delete",
    }


@SQLITE_ONLY
def test_a_role_the_route_is_not_for_gets_403_and_changes_nothing_and_one_it_is_for_is_let_in(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    clients = members(world, make_client)
    form = plausible_form(world)
    # Every path once, filled with Silkeborg's rows before anything is walked.
    walk = [(rule, routes.fill(app, world, rule)[0]) for rule in municipality_rules(app)]
    problems: list[str] = []
    refused = allowed = 0

    before = routes.snapshot(app, skip=UNWATCHED)
    for rule, path in walk:
        roles = required_roles(app, rule)
        for role in ROLES:
            if role in roles:
                continue
            client, token = clients[role]
            for method in routes.methods(rule):
                response = routes.call(client, method, path, {**form, "csrf_token": token})
                refused += 1
                if response.status_code not in (403, 404):
                    problems.append(f"{method} {path} as {role} ({rule.endpoint}) -> {response.status_code}")
    assert routes.differences(before, routes.snapshot(app, skip=UNWATCHED)) == {}

    # Then the roles the route is for: every GET first, then the writes (which may delete what a later
    # page would show: a 404 then is fine, a 403 or a server error is not).
    for method_first in (True, False):
        for rule, path in walk:
            for role in required_roles(app, rule):
                client, token = clients[role]
                for method in routes.methods(rule):
                    if (method == "GET") != method_first:
                        continue
                    response = routes.call(client, method, path, {**form, "csrf_token": token})
                    allowed += 1
                    if response.status_code == 403 or response.status_code >= 500:
                        problems.append(
                            f"{method} {path} as {role}, which it is for ({rule.endpoint}) "
                            f"-> {response.status_code}"
                        )
    assert not problems, "\n".join(problems)
    assert refused > 300 and allowed > 150


@SQLITE_ONLY
def test_silkeborgs_staff_without_the_admin_role_are_refused_on_every_admin_route(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    target_ids = {
        view.model: routes.target_row_ids(app, view.model)
        for view in routes.admin_views(app)
        if isinstance(view, BaseModelView)
    }
    clients = members(world, make_client)
    before = routes.snapshot(app, skip=UNWATCHED)
    problems, walked = [], set()
    for role in (Role.COORDINATOR, Role.MENTOR, Role.PARTICIPANT):
        client, token = clients[role]
        for rule in routes.admin_rules(app):
            for method, url, form in admin_requests(app, world, rule, token, target_ids):
                response = routes.call(client, method, url, form)
                walked.add(rule.endpoint)
                if response.status_code != 403:
                    problems.append(f"{method} {url} as {role} ({rule.endpoint}) -> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert routes.differences(before, routes.snapshot(app, skip=UNWATCHED)) == {}
    assert {"user.edit_view", "membership.create_view", "plugins.toggle", "admin.index"} <= walked
