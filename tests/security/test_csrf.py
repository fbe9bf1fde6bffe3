"""CSRF: every state-changing route refuses a request that does not carry its session's token.

Every rule that accepts POST, PUT, PATCH or DELETE is called by someone it is for (a Silkeborg user with a role the
route names, a logged-in user for one's own pages, anonymous for the public ones) with a form that would
otherwise be accepted, and a token that is missing, made up, empty, or valid for another browser's
session: each answers Flask-WTF's 400 and nothing in the database changes, audit entries included.
/admin is exempt from Flask-WTF: Flask-Admin's SecureForm checks its own token inside each form, so a
refused form is shown again rather than answered 400; there the database must stay the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_admin.model import BaseModelView
from werkzeug.routing import Rule

from broen.core.models import Role
from tests.admin import routes
from tests.admin.routes import TARGET
from tests.conftest import Client, World
from tests.core.test_security import plausible_form
from tests.core.test_tenancy import admin_requests

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Rules that take a write without Flask-WTF's token, with the reason. Keep it empty if at all possible.
EXEMPT: dict[str, str] = {}
#: Flask-WTF's refusal, as the error page words it (the form's own 400s show the form instead).
REFUSED = "Something in the request was wrong"


def caller(app: Flask, rule: Rule) -> Role | None:
    """Who the rule is for: a role of Silkeborg's it names, or None for anyone (public pages, one's
    own pages: those are called as anonymous and as Silkeborg's admin)."""
    roles: tuple[Role, ...] = getattr(app.view_functions[rule.endpoint], "required_roles", ())
    return roles[0] if roles else None


def bad_tokens(stranger: str) -> dict[str, dict[str, Any]]:
    """The token part of a form, wrong in every way we can think of."""
    return {
        "no token": {},
        "an empty token": {"csrf_token": ""},
        "a made-up token": {"csrf_token": "IjA2YjYwZTk0OGQ5ZjQ3NTkxMzE3YWI2NjNlNjE5In0.Zz.forged"},
        "another session's token": {"csrf_token": stranger},
    }


@SQLITE_ONLY
def test_every_write_outside_admin_refuses_a_missing_or_wrong_token_and_changes_nothing(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    members: dict[Role, Client] = {}
    for each in Role:
        members[each] = make_client()
        assert members[each].login(world.user(TARGET, each.value)).status_code == 302
    logged_in_admin = members[Role.ADMIN]
    stranger = make_client()
    stranger.login(world.user(TARGET, "coordinator"))
    tokens = bad_tokens(stranger.csrf_token("/me"))
    anonymous = make_client()
    anonymous.get("/login")  # a session of its own, as a browser that has been here before has
    form = plausible_form(world)
    walk = [
        rule
        for rule in routes.rules(app)
        if not routes.is_admin_rule(rule) and WRITES & set(rule.methods or ())
    ]
    before = routes.snapshot(app, skip=())
    problems, walked = [], set()
    for rule in walk:
        if rule.endpoint in EXEMPT:
            assert EXEMPT[rule.endpoint].strip()
            continue
        path, _ = routes.fill(app, world, rule)
        role = caller(app, rule)
        callers = [members[role]] if role else [anonymous, logged_in_admin]
        for client in callers:
            for method in sorted(WRITES & set(rule.methods or ())):
                for what, token in tokens.items():
                    response = routes.call(client, method, path, {**form, **token})
                    walked.add(rule.endpoint)
                    if response.status_code != 400 or REFUSED not in response.get_data(as_text=True):
                        problems.append(
                            f"{method} {path} with {what} ({rule.endpoint}) -> {response.status_code}"
                        )
    assert not problems, "\n".join(problems)
    assert routes.differences(before, routes.snapshot(app, skip=())) == {}
    assert len(walked) > 80
    assert {
        "auth.login",
        "auth.logout",
        "invitations.accept_page",
        "mentors_public.apply",
        "relatives_public.refer",
        "cafe_participant.sign_up",
        "mentors_me.log_meeting",
        "citizens.delete",
    } <= walked
    assert logged_in_admin.get("/me").status_code == 200  # the refused log-outs did not log out
    # The same form with its token is accepted: the refusals above were the token's doing.
    assert logged_in_admin.submit(f"/{TARGET}/citizens/new", form).status_code == 302
    assert routes.differences(before, routes.snapshot(app, skip=())) != {}


@SQLITE_ONLY
def test_admin_forms_refuse_a_made_up_or_another_sessions_token_and_change_nothing(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    target_ids = {
        view.model: routes.target_row_ids(app, view.model)
        for view in routes.admin_views(app)
        if isinstance(view, BaseModelView)
    }
    root = make_client()
    root.login(world.users["installation"])  # may do anything in /admin, Silkeborg's rows included
    other = make_client()
    other.login(world.user(TARGET, "admin"))
    tokens = bad_tokens(other.csrf_token("/admin/plugins/"))
    tokens.pop("no token")  # tests/core/test_security.py posts every admin form without one
    before = routes.snapshot(app, skip=())
    problems, walked = [], set()
    for rule in routes.admin_rules(app):
        if not WRITES & set(rule.methods or ()):
            continue
        for what, token in tokens.items():
            for method, url, form in admin_requests(app, world, rule, "", target_ids):
                if method not in WRITES:
                    continue
                form = {k: v for k, v in form.items() if k != "csrf_token"} | token
                response = routes.call(root, method, url, form)
                walked.add(rule.endpoint)
                if response.status_code >= 500:
                    problems.append(f"{method} {url} with {what} ({rule.endpoint}) -> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert routes.differences(before, routes.snapshot(app, skip=())) == {}
    assert {
        "user.create_view",
        "user.edit_view",
        "membership.delete_view",
        "municipality.action_view",
        "plugins.toggle",
        "configuration.apply",
        "privacy.index",
    } <= walked
    # The same request with the form's own token goes through: the token was what was missing.
    silkeborg = world.municipalities[TARGET].id
    toggle = {"csrf_token": root.csrf_token("/admin/plugins/"), "enabled": "0"}
    assert routes.call(root, "POST", f"/admin/plugins/{silkeborg}/example/toggle", toggle).status_code == 302
    assert routes.differences(before, routes.snapshot(app, skip=())) != {}
