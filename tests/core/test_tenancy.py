"""Nobody reaches another municipality's data: every route of the URL map, tried by every outsider.

The routes come from `app.url_map` (core and plugins alike), their arguments are filled with Silkeborg's
rows (tests/admin/routes.py), and each is requested with every method it allows by anonymous visitors
and by Norddjurs' admin, coordinator, mentor and participant. POSTs carry a valid CSRF token, so what
stops them is tenancy, not CSRF.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask_admin.model import BaseModelView
from sqlalchemy import func, select

from broen import api
from broen.admin.configuration import ConfigurationView
from broen.admin.views import IndexView, PluginsView, PrivacyView
from broen.core import accounts
from broen.core.models import AuditEntry, Citizen, Role
from tests.admin import routes
from tests.admin.routes import OUTSIDER, TARGET
from tests.conftest import EXAMPLE_PLUGIN, Client, World, make_app

STAFF = ("admin", "coordinator", "mentor", "participant")


def outsiders(world: World, make_client: Any) -> dict[str, Client]:
    """Anonymous, and a logged-in Norddjurs user of every role, each with a valid CSRF token."""
    clients: dict[str, Client] = {"anonymous": make_client()}
    for role in STAFF:
        client = make_client()
        assert client.login(world.user(OUTSIDER, role)).status_code == 302
        clients[role] = client
    return clients


def csrf_tokens(clients: dict[str, Client]) -> dict[str, str]:
    return {name: c.csrf_token("/login" if name == "anonymous" else "/me") for name, c in clients.items()}


def request(client: Client, method: str, path: str, token: str) -> Any:
    return routes.call(client, method, path, None if method == "GET" else {"csrf_token": token})


def test_the_walk_covers_core_and_plugin_routes(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in routes.rules(app)}
    # If these vanish the walk below would pass by walking nothing.
    assert {
        "citizens.show",
        "citizens.edit",
        "core.home",
        "example.tips",
        "example_public.hello",
    } <= endpoints
    public = {rule.endpoint for rule in routes.rules(app) if routes.public_reason(rule)}
    assert public >= {
        "static",
        "auth.login",
        "core.health",
        "calendar.public_feed",
        "calendar.personal_feed",
        "example_public.hello",
    }
    assert "citizens.show" not in public and "auth.logout" not in public


def test_every_route_refuses_anonymous_and_every_role_of_the_other_municipality(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    secrets = routes.secrets_of(app)
    clients = outsiders(world, make_client)
    tokens = csrf_tokens(clients)
    problems: list[str] = []
    walked = 0
    for rule in routes.rules(app):
        path, _ = routes.fill(app, world, rule)
        public = routes.public_reason(rule)
        for who, client in clients.items():
            if routes.is_admin_rule(rule) and who == "admin":
                continue  # a Norddjurs admin may open /admin: test_a_norddjurs_admin_... walks it
            for method in routes.methods(rule):
                own_page = "municipality" not in rule.arguments and not routes.is_admin_rule(rule)
                if own_page and who != "anonymous" and method != "GET":
                    continue  # /me, /logout: a user's own account, not another municipality's data
                response = request(client, method, path, tokens[who])
                walked += 1
                where = f"{method} {path} as {who} ({rule.endpoint}) -> {response.status_code}"
                if response.status_code >= 500:
                    problems.append(f"{where}: server error")
                if found := routes.leaked(response, secrets):
                    problems.append(f"{where}: shows {found}")
                if public or (own_page and who != "anonymous"):
                    continue  # open to them; only the leak check applies
                if who == "anonymous":
                    ok = routes.is_login_redirect(response) or response.status_code in (403, 404)
                else:
                    ok = response.status_code in (403, 404)
                if not ok:
                    problems.append(f"{where}: expected {'login' if who == 'anonymous' else '403/404'}")
    assert not problems, "\n".join(problems)
    assert walked > 100


def test_silkeborg_ids_are_not_found_from_inside_norddjurs(
    app: Flask, world: World, make_client: Any
) -> None:
    """The "forgot the filter" case: a Norddjurs user in /norddjurs/... asks for Silkeborg's row ids."""
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    secrets = routes.secrets_of(app)
    clients = outsiders(world, make_client)
    tokens = csrf_tokens(clients)
    problems, walked = [], set()
    for rule in routes.rules(app):
        if "municipality" not in rule.arguments:
            continue
        path, names_row = routes.fill(app, world, rule, slug=OUTSIDER)
        if not names_row:
            continue
        walked.add(rule.endpoint)
        for who, client in clients.items():
            for method in routes.methods(rule):
                response = request(client, method, path, tokens[who])
                where = f"{method} {path} as {who} ({rule.endpoint}) -> {response.status_code}"
                if found := routes.leaked(response, secrets):
                    problems.append(f"{where}: shows {found}")
                refused = response.status_code in (403, 404) or (
                    who == "anonymous" and routes.is_login_redirect(response)
                )
                if not refused:
                    problems.append(f"{where}: expected 403/404")
    assert not problems, "\n".join(problems)
    assert {"citizens.show", "citizens.edit", "citizens.end"} <= walked


def test_public_routes_show_no_citizen_data_to_anyone(app: Flask, world: World, make_client: Any) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)  # e.g. a café course, for its public feed
    secrets = routes.secrets_of(app)
    client = make_client()
    client.login(world.user(TARGET, "admin"))  # even logged in as Silkeborg's admin: public is public
    for rule in routes.rules(app):
        if reason := routes.public_reason(rule):
            assert reason.strip()
            path, _ = routes.fill(app, world, rule)
            for c in (client, make_client()):
                response = routes.call(c, "GET", path)
                assert response.status_code < 500, path
                assert not routes.leaked(response, secrets), (
                    f"{path} is public ({reason}) but names a citizen"
                )


# --- /admin --------------------------------------------------------------------------------------------


def forged_form(app: Flask, world: World, token: str) -> dict[str, Any]:
    """Everything an admin form might ask for, pointed at Silkeborg."""
    target = routes.municipality(app, TARGET)
    return {
        "csrf_token": token,
        "name": "Forged name",
        "text": "Forged text",
        "email": "forged@example.dk",
        "language": "en",
        "active": "y",
        "role": Role.ADMIN.value,
        "municipality": str(target.id),
        "user": str(world.user(TARGET, "mentor").id),
        "first_municipality": str(target.id),
        "first_role": Role.ADMIN.value,
        "new_password": "a forged password",
        "slug": "forged",
        "timezone": "Europe/Copenhagen",
        "greeting": "Forged greeting",
        "tips_per_page": "3",
        "enabled": "0",
        "municipality_id": str(target.id),
        "retention_years": "1",
    }


def admin_requests(
    app: Flask, world: World, rule: Any, token: str, target_ids: dict[type, list[int]]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, form) for one admin rule, aimed at Silkeborg's rows."""
    view = routes.admin_view(app, rule.endpoint)
    path, _ = routes.fill(app, world, rule)
    form = forged_form(app, world, token)
    if isinstance(view, (IndexView, PluginsView, ConfigurationView, PrivacyView)):
        return [(m, path, form) for m in routes.methods(rule)]
    assert isinstance(view, BaseModelView), f"{rule.endpoint}: teach this walk about {type(view).__name__}"
    ids = target_ids[view.model]
    action = rule.endpoint.split(".", 1)[1]
    if action == "index_view":
        return [("GET", path, {}), ("GET", f"{path}?search=a", {}), ("GET", f"{path}?page_size=500", {})]
    if action in ("details_view", "edit_view"):
        return [(m, f"{path}?id={i}", form) for i in ids for m in routes.methods(rule)]
    if action == "create_view":
        return [("GET", path, {}), ("POST", path, form)]
    if action == "delete_view":
        return [("POST", path, {"csrf_token": token, "id": str(i)}) for i in ids]
    if action == "action_view":
        return [("POST", path, {"csrf_token": token, "action": "delete", "rowid": [str(i) for i in ids]})]
    if action == "ajax_update":
        return [("POST", path, {**form, "list_form_pk": str(i)}) for i in ids]
    if action == "ajax_lookup":
        return [("GET", f"{path}?name={field}&query=a", {}) for field in ("user", "municipality")]
    if action == "export":
        return [("GET", path, {})]
    if action == "export_csv":
        return [("GET", f"{path}?start=2000-01-01&end=2100-01-01", {})]
    raise AssertionError(f"{rule.endpoint}: the admin walk does not know this endpoint; teach it")


def silkeborg_audit(app: Flask) -> list[tuple[Any, ...]]:
    target = routes.municipality(app, TARGET)
    with app.extensions["broen.db"].engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.__table__)
            .where(AuditEntry.municipality_id == target.id)
            .order_by(AuditEntry.id)
        ).all()
    return [tuple(r) for r in rows]


def test_a_norddjurs_admin_sees_and_changes_nothing_of_silkeborg_in_admin(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    coordinator = make_client()
    coordinator.login(world.user(TARGET, "coordinator"))
    coordinator.get(f"/{TARGET}/citizens/{world.citizens[TARGET][0]}")  # an audit entry to hide
    admin = make_client()
    admin.login(world.user(OUTSIDER, "admin"))
    token = admin.csrf_token("/admin/plugins/")
    before, audit_before = routes.snapshot(app, skip=("login_failure", "audit_entry")), silkeborg_audit(app)
    assert audit_before, "Silkeborg has audit entries to hide"
    # Silkeborg's row ids per admin model, read once: the walk must not depend on its own damage.
    target_ids = {
        view.model: routes.target_row_ids(app, view.model)
        for view in routes.admin_views(app)
        if isinstance(view, BaseModelView)
    }
    problems, walked = [], set()
    for rule in routes.admin_rules(app):
        for method, url, form in admin_requests(app, world, rule, token, target_ids):
            response = routes.call(admin, method, url, form)
            walked.add(rule.endpoint)
            body = response.get_data(as_text=True).lower()
            where = f"{method} {url} ({rule.endpoint}) -> {response.status_code}"
            if TARGET in body:
                problems.append(f"{where}: the page mentions {TARGET}")
            if response.status_code >= 500:
                problems.append(f"{where}: server error")
    assert not problems, "\n".join(problems)
    assert routes.differences(before, routes.snapshot(app, skip=("login_failure", "audit_entry"))) == {}
    assert silkeborg_audit(app) == audit_before
    assert {"user.edit_view", "membership.delete_view", "auditentry.details_view", "plugins.toggle"} <= walked


def test_a_norddjurs_admin_gets_404_for_silkeborg_plugin_pages(
    app: Flask, world: World, client: Client, make_client: Any
) -> None:
    silkeborg = world.municipalities[TARGET].id
    client.login(world.user(OUTSIDER, "admin"))
    token = client.csrf_token("/admin/plugins/")
    page = client.get("/admin/plugins/").get_data(as_text=True)
    assert "Norddjurs Kommune" in page and "Silkeborg" not in page
    toggle = client.post(
        f"/admin/plugins/{silkeborg}/example/toggle", data={"csrf_token": token, "enabled": "0"}
    )
    assert toggle.status_code == 404
    assert client.get(f"/admin/plugins/{silkeborg}/example/settings").status_code == 404
    other = make_client()
    other.login(world.user(TARGET, "admin"))
    assert other.get(f"/{TARGET}/example/").status_code == 200  # still on in Silkeborg


def test_audit_entries_are_counted_per_municipality(app: Flask, world: World, make_client: Any) -> None:
    """The Norddjurs admin's audit list counts only Norddjurs' entries (the pager tells the total)."""
    db = app.extensions["broen.db"]
    norddjurs = world.municipalities[OUTSIDER].id
    with app.app_context():
        own = db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.municipality_id == norddjurs)
        )
        total = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert own and total and own < total
    admin = make_client()
    admin.login(world.user(OUTSIDER, "admin"))
    page = admin.get("/admin/auditentry/?page_size=500").get_data(as_text=True)
    assert page.count('class="col-action"') == own


# --- the default beneath require_role -------------------------------------------------------------------


class CarelessPlugin:
    """A plugin whose page forgot `require_role` (and `scoped`): the core's default still guards it."""

    @api.hookimpl
    def broen_plugin_info(self) -> api.PluginInfo:
        return api.PluginInfo(name="careless", title_da="Skødesløs", title_en="Careless")

    @api.hookimpl
    def broen_register_blueprints(self, app: Flask) -> list[Blueprint]:
        bp = Blueprint("careless", __name__)

        @bp.route("/")
        def everyone() -> str:
            names = api.db().session.scalars(api.scoped(Citizen).with_only_columns(Citizen.name))
            return ", ".join(names)

        return [bp]


def test_a_page_that_forgot_require_role_is_still_for_members_only(database_url: str, world: World) -> None:
    careless = make_app(database_url, plugins=(EXAMPLE_PLUGIN, ("careless", CarelessPlugin())))
    careless.test_client_class = Client
    try:
        with careless.app_context():
            db = careless.extensions["broen.db"]
            for m in db.session.scalars(select(api.Municipality)).all():
                accounts.set_plugin_enabled(db, m, "careless", True)
        clients = {who: careless.test_client() for who in ("anonymous", "outsider", "member")}
        clients["outsider"].login(world.user(OUTSIDER, "coordinator"))  # type: ignore[attr-defined]
        clients["member"].login(world.user(TARGET, "participant"))  # type: ignore[attr-defined]
        anonymous, outsider, member = (clients[w].get(f"/{TARGET}/careless/") for w in clients)
        assert routes.is_login_redirect(anonymous)
        assert outsider.status_code == 403 and "Anna Silkeborg" not in outsider.get_data(as_text=True)
        assert member.status_code == 200 and "Anna Silkeborg" in member.get_data(as_text=True)
    finally:
        careless.extensions["broen.db"].dispose()
