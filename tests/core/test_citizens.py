"""A coordinator creates, finds, edits and ends citizen records; every touch is in the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from broen.core.citizens.services import PER_PAGE, CitizenData, create_citizen
from broen.core.models import AuditEntry, Citizen, CitizenStatus, CitizenStatusChange
from tests.conftest import Client, World


def audit_entries(app: Flask, **where: object) -> list[AuditEntry]:
    db = app.extensions["broen.db"]
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def test_coordinator_creates_a_citizen_and_sees_it(app: Flask, world: World, client: Client) -> None:
    coordinator = world.user("silkeborg", "coordinator")
    client.login(coordinator)
    response = client.submit(
        "/silkeborg/citizens/new",
        {
            "name": "Mette Østergaard",
            "email": "mette@example.dk",
            "phone": "+45 20 30 40 50",
            "contact_person_id": str(coordinator.id),
            "status": "active",
            "flexjob_approved": "y",
            "flexjob_approved_on": "2025-03-01",
            "flexjob_mental_health_basis": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Mette Østergaard" in page
    citizen = app.extensions["broen.db"].session.scalar(
        select(Citizen).where(Citizen.name == "Mette Østergaard")
    )
    assert citizen is not None
    assert citizen.municipality_id == world.municipalities["silkeborg"].id
    assert citizen.flexjob_mental_health_basis and citizen.flexjob_approved_on == date(2025, 3, 1)
    assert citizen.status == CitizenStatus.ACTIVE
    actions = [e.action for e in audit_entries(app, object_type="citizen", object_id=citizen.id)]
    assert actions == ["create", "view"]  # created, then shown after the redirect


def test_bad_input_names_the_field_keeps_what_was_typed_and_saves_nothing(
    app: Flask, world: World, client: Client
) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    db = app.extensions["broen.db"]
    before = db.session.scalar(select(func.count()).select_from(Citizen))
    response = client.submit(
        "/silkeborg/citizens/new",
        {
            "name": "Jens Bak",
            "email": "not-an-address",
            "status": "intake",
            "flexjob_approved_on": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="Jens Bak"' in page and 'value="not-an-address"' in page
    assert "E-mail" in page  # the error summary names the field
    assert db.session.scalar(select(func.count()).select_from(Citizen)) == before


def test_a_date_of_approval_without_approval_is_refused_by_the_service_rule(
    app: Flask, world: World, client: Client
) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    response = client.submit(
        "/silkeborg/citizens/new",
        {"name": "Ole Holm", "status": "intake", "flexjob_approved_on": "2024-01-01"},
    )
    assert response.status_code == 400
    assert "Flex job approved" in response.get_data(as_text=True)
    db = app.extensions["broen.db"]
    assert db.session.scalar(select(Citizen).where(Citizen.name == "Ole Holm")) is None


def test_search_by_name_is_case_insensitive_any_word_order_and_audited(
    app: Flask, world: World, client: Client
) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    page = client.get("/silkeborg/citizens/?q=SILKEBORG+anna").get_data(as_text=True)
    assert "Anna Silkeborg" in page
    assert "Bo Silkeborg" not in page
    assert "Norddjurs" not in page.split("<main", 1)[1]
    search = audit_entries(app, action="search")[-1]
    assert search.details["query"] == "SILKEBORG anna"
    assert search.details["shown"] == [world.citizens["silkeborg"][0]]
    assert search.user_name == world.user("silkeborg", "coordinator").name
    assert search.remote_addr == "127.0.0.1"


def test_search_text_with_sql_wildcards_matches_literally(world: World, client: Client) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    page = client.get("/silkeborg/citizens/?q=%25").get_data(as_text=True)
    assert "0 citizens found" in page or "0 borgere fundet" in page


def test_filters_by_status_and_contact_person(app: Flask, world: World, client: Client) -> None:
    db = app.extensions["broen.db"]
    silkeborg = world.municipalities["silkeborg"]
    admin = world.user("silkeborg", "admin")
    with app.app_context():
        create_citizen(
            db,
            silkeborg,
            admin,
            CitizenData(name="Ida Lund", status=CitizenStatus.IN_WORK, contact_person_id=admin.id),
        )
    client.login(world.user("silkeborg", "coordinator"))
    page = client.get("/silkeborg/citizens/?status=in_work").get_data(as_text=True)
    assert "Ida Lund" in page and "Anna Silkeborg" not in page
    page = client.get(f"/silkeborg/citizens/?contact={admin.id}").get_data(as_text=True)
    assert "Ida Lund" in page and "Anna Silkeborg" not in page
    page = client.get("/silkeborg/citizens/?contact=me").get_data(as_text=True)
    assert "Anna Silkeborg" in page and "Ida Lund" not in page


def test_the_list_is_paginated(app: Flask, world: World, client: Client) -> None:
    db = app.extensions["broen.db"]
    silkeborg, by = world.municipalities["silkeborg"], world.user("silkeborg", "coordinator")
    with app.app_context():
        for i in range(PER_PAGE + 5):
            create_citizen(db, silkeborg, by, CitizenData(name=f"Zeta {i:02d}"))
    client.login(by)
    first = client.get("/silkeborg/citizens/?q=zeta").get_data(as_text=True)
    second = client.get("/silkeborg/citizens/?q=zeta&page=2").get_data(as_text=True)
    assert first.count("Zeta ") == PER_PAGE and second.count("Zeta ") == 5
    assert "page=2" in first
    beyond = client.get("/silkeborg/citizens/?q=zeta&page=99")
    assert beyond.status_code == 200 and beyond.get_data(as_text=True).count("Zeta ") == 5


def test_edit_changes_status_keeps_history_and_audits_field_names_not_values(
    app: Flask, world: World, client: Client
) -> None:
    citizen_id = world.citizens["silkeborg"][0]
    coordinator = world.user("silkeborg", "coordinator")
    client.login(coordinator)
    response = client.submit(
        f"/silkeborg/citizens/{citizen_id}/edit",
        {
            "name": "Anna Silkeborg",
            "email": "anna.new@silkeborg.example.dk",
            "status": "in_work",
            "contact_person_id": str(coordinator.id),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    db = app.extensions["broen.db"]
    citizen = db.session.get_one(Citizen, citizen_id)
    db.session.refresh(citizen)
    assert citizen.status == CitizenStatus.IN_WORK and citizen.email == "anna.new@silkeborg.example.dk"
    history = db.session.scalars(
        select(CitizenStatusChange.status).where(CitizenStatusChange.citizen_id == citizen_id)
    ).all()
    assert history == [CitizenStatus.INTAKE, CitizenStatus.IN_WORK]
    update = audit_entries(app, action="update", object_id=citizen_id)[-1]
    assert sorted(update.details["fields"]) == ["email", "status"]
    assert "anna.new" not in str(update.details)


def test_ending_asks_for_confirmation_then_ends(app: Flask, world: World, client: Client) -> None:
    citizen_id = world.citizens["silkeborg"][1]
    client.login(world.user("silkeborg", "coordinator"))
    confirm = client.get(f"/silkeborg/citizens/{citizen_id}/end")
    assert confirm.status_code == 200 and "Bo Silkeborg" in confirm.get_data(as_text=True)
    db = app.extensions["broen.db"]
    assert db.session.get_one(Citizen, citizen_id).status != CitizenStatus.ENDED
    client.submit(f"/silkeborg/citizens/{citizen_id}/end", {})
    citizen = db.session.get_one(Citizen, citizen_id)
    db.session.refresh(citizen)
    assert citizen.status == CitizenStatus.ENDED and citizen.status_since == date.today()


def test_a_post_without_csrf_token_is_refused(app: Flask, world: World, client: Client) -> None:
    client.login(world.user("silkeborg", "coordinator"))
    response = client.post("/silkeborg/citizens/new", data={"name": "Forged", "status": "intake"})
    assert response.status_code == 400
    db = app.extensions["broen.db"]
    assert db.session.scalar(select(Citizen).where(Citizen.name == "Forged")) is None


def test_mentors_and_participants_cannot_open_citizen_records(world: World, make_client: object) -> None:
    citizen_id = world.citizens["silkeborg"][0]
    for role in ("mentor", "participant"):
        c = make_client()  # type: ignore[operator]
        c.login(world.user("silkeborg", role))
        assert c.get("/silkeborg/citizens/").status_code == 403
        assert c.get(f"/silkeborg/citizens/{citizen_id}").status_code == 403


def test_a_citizen_of_another_municipality_is_not_found(world: World, client: Client) -> None:
    other = world.citizens["norddjurs"][0]
    client.login(world.user("silkeborg", "coordinator"))
    assert client.get(f"/silkeborg/citizens/{other}").status_code == 404
    assert client.get(f"/silkeborg/citizens/{other}/edit").status_code == 404


def test_csv_export_has_the_filtered_records_neutralises_formulas_and_is_audited(
    app: Flask, world: World, client: Client
) -> None:
    db = app.extensions["broen.db"]
    coordinator = world.user("silkeborg", "coordinator")
    with app.app_context():
        create_citizen(
            db, world.municipalities["silkeborg"], coordinator, CitizenData(name="=HYPERLINK(1) Sø")
        )
    client.login(coordinator)
    response = client.get("/silkeborg/citizens/export.csv?q=anna")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads UTF-8 (æøå) only with a BOM
    rows = [line.split(";") for line in body.lstrip("\ufeff").splitlines()]
    assert len(rows) == 2 and rows[1][0] == "Anna Silkeborg"
    assert "Bo Silkeborg" not in body and "Norddjurs" not in body
    entry = audit_entries(app, action="export")[-1]
    assert entry.details["exported"] == [world.citizens["silkeborg"][0]] and entry.details["query"] == "anna"
    formula = client.get("/silkeborg/citizens/export.csv?q=hyperlink").get_data(as_text=True)
    assert "'=HYPERLINK(1) Sø" in formula


def test_only_an_admin_erases_a_record_after_confirming_and_the_log_keeps_only_the_fact(
    app: Flask, world: World, make_client: object
) -> None:
    citizen_id = world.citizens["silkeborg"][2]
    coordinator = make_client()  # type: ignore[operator]
    coordinator.login(world.user("silkeborg", "coordinator"))
    assert coordinator.get(f"/silkeborg/citizens/{citizen_id}/delete").status_code == 403
    assert coordinator.get(f"/silkeborg/citizens/{citizen_id}/data").status_code == 403
    admin = make_client()  # type: ignore[operator]
    admin.login(world.user("silkeborg", "admin"))
    confirm = admin.get(f"/silkeborg/citizens/{citizen_id}/delete")
    assert confirm.status_code == 200 and "Erase all data about Carl Silkeborg?" in confirm.get_data(
        as_text=True
    )
    db = app.extensions["broen.db"]
    assert db.session.get(Citizen, citizen_id).erased_at is None  # type: ignore[union-attr]
    admin.submit(f"/silkeborg/citizens/{citizen_id}/delete", {})
    db.session.expire_all()
    erased = db.session.get_one(Citizen, citizen_id)
    assert erased.erased_at is not None and "Carl" not in erased.name and erased.email is None
    assert admin.get(f"/silkeborg/citizens/{citizen_id}/delete").status_code == 409
    entry = audit_entries(app, action="erase", object_id=citizen_id)[-1]
    assert entry.user_name == world.user("silkeborg", "admin").name
    assert "Carl" not in str(entry.details) and entry.details["records"]["core"] >= 1
