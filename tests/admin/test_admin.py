"""A municipality admin runs their own municipality in /admin, and nothing beyond it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from typing import Any

from flask import Flask
from flask_admin.form import SecureForm
from flask_admin.model import BaseModelView
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import AuditEntry, Membership, Municipality, PluginState, Role, User
from tests.admin import routes
from tests.conftest import PASSWORD, Client, World, db_of


def membership(app: Flask, user: User, slug: str) -> Membership | None:
    with app.app_context():
        found: Membership | None = db_of(app).session.scalar(
            select(Membership)
            .join(Municipality)
            .where(Membership.user_id == user.id, Municipality.slug == slug)
        )
    return found


def user_by_email(app: Flask, email: str) -> User | None:
    with app.app_context():
        found: User | None = db_of(app).session.scalar(select(User).where(User.email == email))
    return found


def flashed(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def in_english(app: Flask, *users: User) -> None:
    """The messages these tests read are checked in English, whatever Danish translations exist."""
    with app.app_context():
        for user in users:
            db_of(app).session.get_one(User, user.id).language = "en"
        db_of(app).session.commit()


def admin_client(world: World, make_client: Any, slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, "admin")).status_code == 302
    in_english(client.application, world.user(slug, "admin"), world.users["installation"])
    return client


# --- the gate -------------------------------------------------------------------------------------------


def test_every_model_view_carries_a_secure_form_token(app: Flask) -> None:
    """/admin is exempt from Flask-WTF's CSRF check, so each form must bring SecureForm's own token."""
    model_views = [v for v in routes.admin_views(app) if isinstance(v, BaseModelView)]
    assert len(model_views) >= 5  # municipalities, users, roles, audit log, the example plugin's tips
    for view in model_views:
        assert issubclass(view.form_base_class, SecureForm), f"{view.endpoint} has no CSRF token"


def test_coordinators_mentors_participants_and_anonymous_are_kept_out_of_admin(
    app: Flask, world: World, make_client: Any
) -> None:
    routes.enable_every_plugin(app)
    routes.seed_target_rows(app)
    clients = {"anonymous": make_client()}
    for role in ("coordinator", "mentor", "participant"):
        clients[role] = make_client()
        clients[role].login(world.user("silkeborg", role))
    before = routes.snapshot(app)
    problems = []
    for rule in routes.admin_rules(app):
        path, _ = routes.fill(app, world, rule)
        for who, client in clients.items():
            for method in routes.methods(rule):
                response = routes.call(client, method, path, {"id": "1"})
                refused = (
                    routes.is_login_redirect(response) if who == "anonymous" else response.status_code == 403
                )
                if not refused:
                    problems.append(f"{method} {path} as {who} -> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert routes.differences(before, routes.snapshot(app)) == {}


def test_the_admin_of_silkeborg_sees_silkeborg_only(app: Flask, world: World, make_client: Any) -> None:
    norddjurs_coordinator = make_client()
    norddjurs_coordinator.login(world.user("norddjurs", "coordinator"))
    norddjurs_coordinator.get(f"/norddjurs/citizens/{world.citizens['norddjurs'][0]}")  # an entry to hide
    client = admin_client(world, make_client)
    pages = {
        name: client.get(f"/admin/{name}/").get_data(as_text=True)
        for name in ("user", "membership", "auditentry", "plugins")
    }
    for name, page in pages.items():
        assert "norddjurs" not in page.lower(), f"/admin/{name}/ shows Norddjurs"
    assert "mentor@silkeborg.example.dk" in pages["user"]
    assert "Mentor Silkeborg" in pages["membership"]
    assert "Coordinator Silkeborg" in pages["auditentry"]
    assert "Silkeborg Kommune" in pages["plugins"]
    assert "/admin/municipality/" not in pages["user"]  # no menu entry for what only installation admins do
    assert client.get("/admin/municipality/").status_code == 403


# --- plugins --------------------------------------------------------------------------------------------


def test_the_admin_turns_the_example_plugin_off_and_on_for_silkeborg_only(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client = admin_client(world, make_client)
    neighbour = admin_client(world, make_client, "norddjurs")
    assert client.get("/silkeborg/example/").status_code == 200
    off = client.submit(
        f"/admin/plugins/{silkeborg}/example/toggle",
        {"enabled": "0"},
        page="/admin/plugins/",
        follow_redirects=True,
    )
    assert off.status_code == 200 and "is now off in Silkeborg Kommune" in flashed(off)
    assert client.get("/silkeborg/example/").status_code == 404
    assert neighbour.get("/norddjurs/example/").status_code == 200  # Norddjurs keeps it
    on = client.submit(f"/admin/plugins/{silkeborg}/example/toggle", {"enabled": "1"}, page="/admin/plugins/")
    assert on.status_code == 302
    assert client.get("/silkeborg/example/").status_code == 200
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "plugin_state", AuditEntry.municipality_id == silkeborg
                )
            )
            .all()
        )
    assert [(e.user_name, e.details["enabled"]) for e in entries[-2:]] == [
        ("Admin Silkeborg", False),
        ("Admin Silkeborg", True),
    ]


def test_a_toggle_without_its_token_or_for_an_unknown_plugin_changes_nothing(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client = admin_client(world, make_client)
    token = client.csrf_token("/admin/plugins/")
    assert client.post(f"/admin/plugins/{silkeborg}/example/toggle", data={"enabled": "0"}).status_code == 400
    unknown = client.post(
        f"/admin/plugins/{silkeborg}/nosuch/toggle", data={"enabled": "0", "csrf_token": token}
    )
    assert unknown.status_code == 404
    assert client.get("/silkeborg/example/").status_code == 200


def test_the_admin_edits_the_example_plugin_settings(app: Flask, world: World, make_client: Any) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client = admin_client(world, make_client)
    url = f"/admin/plugins/{silkeborg}/example/settings"
    assert client.get(url).status_code == 200
    saved = client.submit(url, {"greeting": "Goddag fra Silkeborg", "tips_per_page": "7"})
    assert saved.status_code == 302
    assert "Goddag fra Silkeborg" in client.get("/silkeborg/example/").get_data(as_text=True)
    bad = client.submit(url, {"greeting": "x", "tips_per_page": "1000"})
    assert bad.status_code == 200  # shown again with the error
    with app.app_context():
        state = db_of(app).session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == silkeborg, PluginState.plugin == "example"
            )
        )
    assert state is not None and state.settings["tips_per_page"] == 7


# --- staff ----------------------------------------------------------------------------------------------


def test_the_admin_creates_a_staff_account_with_a_first_role_in_silkeborg(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client = admin_client(world, make_client)
    form = client.get("/admin/user/new/").get_data(as_text=True)
    assert "Silkeborg Kommune" in form and "Norddjurs" not in form  # only their own municipality to choose
    response = client.submit(
        "/admin/user/new/",
        {
            "name": "Karen Holm",
            "email": " Karen.Holm@Silkeborg.example.dk ",
            "language": "en",
            "active": "y",
            "new_password": "a long enough password",
            "first_municipality": str(silkeborg),
            "first_role": "coordinator",
        },
    )
    assert response.status_code == 302, flashed(response)
    user = user_by_email(app, "karen.holm@silkeborg.example.dk")
    assert user is not None and user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    assert user.role_in(silkeborg) == Role.COORDINATOR and len(user.memberships) == 1
    newcomer = make_client()
    newcomer.login("karen.holm@silkeborg.example.dk", "a long enough password")
    assert newcomer.get("/silkeborg/citizens/").status_code == 200
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == "user", AuditEntry.object_id == user.id)
            )
            .one()
        )
    assert (
        entry.action == "create"
        and entry.user_name == "Admin Silkeborg"
        and entry.municipality_id == silkeborg
    )
    assert "password" in entry.details["fields"] and "a long enough" not in str(entry.details)


def test_a_new_account_needs_a_password_and_an_unused_e_mail(
    app: Flask, world: World, make_client: Any
) -> None:
    silkeborg = world.municipalities["silkeborg"].id
    client = admin_client(world, make_client)
    data = {
        "name": "No Password",
        "email": "nopass@silkeborg.example.dk",
        "language": "en",
        "active": "y",
        "first_municipality": str(silkeborg),
        "first_role": "mentor",
    }
    assert "A new account needs a password." in flashed(client.submit("/admin/user/new/", data))
    taken = client.submit(
        "/admin/user/new/",
        {**data, "email": "Coordinator@Norddjurs.example.dk", "new_password": "long enough 123"},
    )
    page = flashed(taken)
    assert "A user with that e-mail exists already." in page
    assert "$argon2" not in page and "INSERT" not in page  # no SQL or password hash in the message
    assert user_by_email(app, "nopass@silkeborg.example.dk") is None


def test_the_admin_changes_a_membership_role(app: Flask, world: World, make_client: Any) -> None:
    mentor = world.user("silkeborg", "mentor")
    row = membership(app, mentor, "silkeborg")
    assert row is not None
    client = admin_client(world, make_client)
    url = f"/admin/membership/edit/?id={row.id}"
    form = client.get(url).get_data(as_text=True)
    assert 'name="role"' in form and 'name="municipality"' not in form and 'name="user"' not in form
    assert client.submit(url, {"role": "coordinator"}).status_code == 302
    changed = membership(app, mentor, "silkeborg")
    assert changed is not None and changed.role == Role.COORDINATOR
    promoted = make_client()
    promoted.login(mentor)
    assert promoted.get("/silkeborg/citizens/").status_code == 200  # the new role opens the citizen list


def test_the_admin_gives_an_existing_colleague_a_role_and_takes_one_away(
    app: Flask, world: World, make_client: Any
) -> None:
    db = db_of(app)
    with app.app_context():
        silkeborg, aarhus = (
            world.municipalities["silkeborg"],
            accounts.create_municipality(db, "aarhus", "Aarhus"),
        )
        admin = db.session.get_one(User, world.user("silkeborg", "admin").id)
        accounts.grant_role(db, admin, aarhus, Role.ADMIN)  # an admin of two municipalities
        mentor = db.session.get_one(User, world.user("silkeborg", "mentor").id)
    client = admin_client(world, make_client)
    response = client.submit(
        "/admin/membership/new/", {"user": str(mentor.id), "municipality": str(aarhus.id), "role": "mentor"}
    )
    assert response.status_code == 302, flashed(response)
    assert membership(app, mentor, "aarhus") is not None
    twice = client.submit(
        "/admin/membership/new/", {"user": str(mentor.id), "municipality": str(silkeborg.id), "role": "admin"}
    )
    assert "That conflicts with a record that exists already." in flashed(twice)
    row = membership(app, mentor, "aarhus")
    assert row is not None
    token = client.csrf_token("/admin/membership/")
    gone = client.post(
        "/admin/membership/action/", data={"csrf_token": token, "action": "delete", "rowid": [str(row.id)]}
    )
    assert gone.status_code == 302
    assert membership(app, mentor, "aarhus") is None


def test_a_role_in_norddjurs_cannot_be_given_by_the_admin_of_silkeborg(
    app: Flask, world: World, make_client: Any
) -> None:
    norddjurs = world.municipalities["norddjurs"].id
    mentor = world.user("silkeborg", "mentor")
    client = admin_client(world, make_client)
    form = client.get("/admin/membership/new/").get_data(as_text=True)
    assert "Norddjurs" not in form  # neither the municipality nor its staff are offered
    before = routes.snapshot(app, skip=("login_failure", "audit_entry"))
    forged = client.submit(
        "/admin/membership/new/", {"user": str(mentor.id), "municipality": str(norddjurs), "role": "admin"}
    )
    assert forged.status_code == 200 and membership(app, mentor, "norddjurs") is None
    forged_user = client.submit(
        "/admin/user/new/",
        {
            "name": "Sneaky",
            "email": "sneaky@example.dk",
            "language": "en",
            "active": "y",
            "new_password": "long enough password",
            "first_municipality": str(norddjurs),
            "first_role": "admin",
        },
    )
    assert forged_user.status_code == 200 and user_by_email(app, "sneaky@example.dk") is None
    norddjurs_user = world.user("norddjurs", "participant")
    forged_member = client.submit(
        "/admin/membership/new/",
        {
            "user": str(norddjurs_user.id),
            "municipality": str(world.municipalities["silkeborg"].id),
            "role": "admin",
        },
    )
    assert forged_member.status_code == 200 and membership(app, norddjurs_user, "silkeborg") is None
    assert routes.differences(before, routes.snapshot(app, skip=("login_failure", "audit_entry"))) == {}


def test_an_account_that_also_works_in_norddjurs_or_an_installation_admin_cannot_be_edited(
    app: Flask, world: World, make_client: Any
) -> None:
    db = db_of(app)
    with app.app_context():
        shared = accounts.create_user(db, "shared@example.dk", "Shared Person", PASSWORD)
        accounts.grant_role(db, shared, world.municipalities["silkeborg"], Role.COORDINATOR)
        accounts.grant_role(db, shared, world.municipalities["norddjurs"], Role.COORDINATOR)
        root = db.session.get_one(User, world.users["installation"].id)
        accounts.grant_role(db, root, world.municipalities["silkeborg"], Role.ADMIN)
    client = admin_client(world, make_client)
    for user in (shared, root):
        url = f"/admin/user/edit/?id={user.id}"
        before = user_by_email(app, user.email)
        assert before is not None
        response = client.submit(
            url,
            {
                "name": "Taken Over",
                "email": user.email,
                "language": "en",
                "active": "y",
                "new_password": "taken over 12345",
            },
        )
        assert response.status_code == 200, url
        assert "also works in a municipality you do not administer" in flashed(response)
        after = user_by_email(app, user.email)
        assert after is not None and after.name == before.name and after.password_hash == before.password_hash
        assert make_client().login(user.email, "taken over 12345").status_code == 200  # still refused


def test_the_admin_cannot_take_away_their_own_admin_role(app: Flask, world: World, make_client: Any) -> None:
    admin = world.user("silkeborg", "admin")
    own = membership(app, admin, "silkeborg")
    assert own is not None
    client = admin_client(world, make_client)
    demote = client.submit(f"/admin/membership/edit/?id={own.id}", {"role": "participant"})
    assert "You cannot take away your own admin role." in flashed(demote)
    token = client.csrf_token("/admin/membership/")
    delete = client.post(
        "/admin/membership/delete/", data={"csrf_token": token, "id": str(own.id)}, follow_redirects=True
    )
    assert "You cannot take away your own admin role." in flashed(delete)
    client.post(
        "/admin/membership/action/", data={"csrf_token": token, "action": "delete", "rowid": [str(own.id)]}
    )
    deactivate = client.submit(
        f"/admin/user/edit/?id={admin.id}", {"name": admin.name, "email": admin.email, "language": "en"}
    )
    assert "You cannot deactivate your own account." in flashed(deactivate)
    kept = membership(app, admin, "silkeborg")
    assert kept is not None and kept.role == Role.ADMIN
    assert client.get("/admin/").status_code == 200


def test_a_deactivated_colleague_is_logged_out_at_once(app: Flask, world: World, make_client: Any) -> None:
    coordinator = world.user("silkeborg", "coordinator")
    their_browser = make_client()
    their_browser.login(coordinator)
    assert their_browser.get("/silkeborg/citizens/").status_code == 200
    client = admin_client(world, make_client)
    saved = client.submit(
        f"/admin/user/edit/?id={coordinator.id}",
        {"name": coordinator.name, "email": coordinator.email, "language": "en"},  # "active" left unticked
    )
    assert saved.status_code == 302
    assert routes.is_login_redirect(their_browser.get("/silkeborg/citizens/"))


# --- the audit log --------------------------------------------------------------------------------------


def test_the_audit_log_is_read_only(app: Flask, world: World, make_client: Any) -> None:
    client = admin_client(world, make_client)
    with app.app_context():
        entry_id = db_of(app).session.scalar(
            select(AuditEntry.id).where(AuditEntry.municipality_id == world.municipalities["silkeborg"].id)
        )
    token = client.csrf_token("/admin/plugins/")
    page = client.get("/admin/auditentry/").get_data(as_text=True)
    assert "/admin/auditentry/new/" not in page and "/admin/auditentry/edit/" not in page
    assert "/admin/auditentry/delete/" not in page
    before = routes.snapshot(app, skip=("login_failure",))
    forged = {"csrf_token": token, "action": "delete", "user_name": "Nobody", "object_type": "citizen"}
    attempts = [
        client.get("/admin/auditentry/new/"),
        client.post("/admin/auditentry/new/", data=forged),
        client.get(f"/admin/auditentry/edit/?id={entry_id}"),
        client.post(f"/admin/auditentry/edit/?id={entry_id}", data=forged),
        client.post("/admin/auditentry/delete/", data={"csrf_token": token, "id": str(entry_id)}),
        client.post(
            "/admin/auditentry/action/",
            data={"csrf_token": token, "action": "delete", "rowid": [str(entry_id)]},
        ),
        client.post(
            "/admin/auditentry/ajax/update/",
            data={"csrf_token": token, "list_form_pk": str(entry_id), "user_name": "x"},
        ),
    ]
    for response in attempts:
        assert response.status_code in (302, 400, 404), response.request.path
        assert routes.is_login_redirect(response) is False
    assert routes.differences(before, routes.snapshot(app, skip=("login_failure",))) == {}


def test_the_audit_log_shows_who_viewed_which_citizen_when_and_from_where(
    app: Flask, world: World, make_client: Any
) -> None:
    anna, bo = world.citizens["silkeborg"][0], world.citizens["silkeborg"][1]
    coordinator = make_client()
    coordinator.login(world.user("silkeborg", "coordinator"))
    assert (
        coordinator.get(f"/silkeborg/citizens/{anna}", environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code
        == 200
    )
    coordinator.get(f"/silkeborg/citizens/{bo}", environ_base={"REMOTE_ADDR": "192.0.2.55"})
    client = admin_client(world, make_client)
    page = client.get(
        f"/admin/auditentry/?flt0_object_type_equals=citizen&flt1_object_id_equals={anna}"
    ).get_data(as_text=True)
    rows = [
        unescape(re.sub(r"\s+", " ", r))
        for r in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if "col-action" in r
    ]
    views = [r for r in rows if "192.0.2.44" in r]
    assert len(views) == 1 and "Coordinator Silkeborg" in views[0] and " viewed " in views[0]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T", views[0])
    assert not any("192.0.2.55" in r for r in rows)  # Bo's view is filtered away
    # The citizen page links an admin straight to the citizen's access log.
    show = client.get(f"/silkeborg/citizens/{anna}").get_data(as_text=True)
    link = re.search(r'href="(/silkeborg/citizens/\d+/access)"', show)
    assert link is not None
    trail = client.get(unescape(link.group(1))).get_data(as_text=True)
    assert "192.0.2.44" in trail and "192.0.2.55" not in trail


def test_audit_times_are_shown_in_copenhagen_time(app: Flask, world: World, make_client: Any) -> None:
    db = db_of(app)
    silkeborg = world.municipalities["silkeborg"].id
    with app.app_context():
        for month in (1, 7):
            db.session.add(
                AuditEntry(
                    at=datetime(2026, month, 15, 12, 0, tzinfo=UTC),
                    municipality_id=silkeborg,
                    user_name="Clock",
                    action="view",
                    object_type="citizen",
                    object_id=999,
                    details={},
                )
            )
        db.session.commit()
        winter_id = db.session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.user_name == "Clock"))
    client = admin_client(world, make_client)
    page = client.get("/admin/auditentry/?flt0_object_id_equals=999").get_data(as_text=True)
    assert "2026-01-15 13:00:00 CET" in page and "2026-07-15 14:00:00 CEST" in page
    assert "+00:00" not in page
    details = client.get(f"/admin/auditentry/details/?id={winter_id}").get_data(as_text=True)
    assert "2026-01-15 13:00:00 CET" in details


# --- municipalities -------------------------------------------------------------------------------------


def test_only_installation_admins_manage_municipalities(app: Flask, world: World, make_client: Any) -> None:
    client = admin_client(world, make_client)
    token = client.csrf_token("/admin/plugins/")
    refused = client.post(
        "/admin/municipality/new/", data={"csrf_token": token, "slug": "aarhus", "name": "Aarhus"}
    )
    assert refused.status_code == 403
    root = make_client()
    root.login(world.users["installation"])
    listing = root.get("/admin/municipality/").get_data(as_text=True)
    assert "Silkeborg Kommune" in listing and "Norddjurs Kommune" in listing
    created = root.submit(
        "/admin/municipality/new/",
        {"slug": "aarhus", "name": "Aarhus Kommune", "timezone": "Europe/Copenhagen"},
    )
    assert created.status_code == 302, flashed(created)
    reserved = root.submit(
        "/admin/municipality/new/", {"slug": "admin", "name": "Shadow", "timezone": "Europe/Copenhagen"}
    )
    assert "not a reserved word" in flashed(reserved)
    for zone in ("Mars/Olympus", "Europe"):  # "Europe" is a folder of zones, not one
        bad_zone = root.submit(
            "/admin/municipality/new/", {"slug": "odense", "name": "Odense", "timezone": zone}
        )
        page = flashed(bad_zone)
        assert "Time zone: use a name such as Europe/Copenhagen." in page and "Errno" not in page, zone
    with app.app_context():
        slugs = set(db_of(app).session.scalars(select(Municipality.slug)))
    assert slugs == {"silkeborg", "norddjurs", "aarhus"}
