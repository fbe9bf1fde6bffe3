"""A citizen's data: the export holds every installed plugin's part (the out-of-tree example plugin's too), and
the erasure is complete by construction: afterwards no table holds the citizen's name, e-mail or phone, while
the anonymous numbers the reports need (the status history) stay, and the audit log says only that an erasure
happened and how many records went.

The citizen gets data in every plugin (the tenancy walk's row factories put theirs on the first citizen of
Silkeborg), a participant log-in that has itself been in the audit log, and free texts naming them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from broen_example import add_note  # the installed-looking name conftest loads it under
from flask import Flask
from sqlalchemy import JSON, String, Text, func, select

from broen.core import accounts, audit, privacy
from broen.core.db import Base
from broen.core.hookspecs import hookimpl
from broen.core.models import AuditEntry, Citizen, CitizenStatusChange, Role, User
from broen.core.plugins import PluginError
from broen.plugins.contacts import services as contacts
from broen.plugins.employers import services as employers
from tests.admin.routes import ROW_FACTORIES, TARGET
from tests.conftest import Client, World, db_of

NAME, EMAIL, PHONE = "Anna Silkeborg", "anna@silkeborg.example.dk", "+45 21 43 65 87"


def citizen_everywhere(app: Flask, world: World) -> int:
    """The first citizen of Silkeborg with data in every plugin, a log-in, and notes that name her."""
    db = db_of(app)
    for factory in dict.fromkeys(ROW_FACTORIES.values()):
        factory(app)
    with app.test_request_context(f"/{TARGET}/"):
        citizen = db.session.scalars(
            select(Citizen)
            .where(Citizen.municipality_id == world.municipalities[TARGET].id)
            .order_by(Citizen.id)
        ).first()
        assert citizen is not None and citizen.name == NAME
        citizen.phone, citizen.address = PHONE, "Søvej 3, 8600 Silkeborg"
        login = accounts.create_user(db, EMAIL, NAME, "a long enough password")
        accounts.grant_role(db, login, citizen.municipality, Role.PARTICIPANT)
        citizen.user_id = login.id
        audit.record(db, audit.VIEW, "contacts_me", None, by=login, municipality_id=citizen.municipality_id)
        db.session.commit()
        text = f"Talked with {NAME} ({EMAIL}, {PHONE}) about the bakery."
        contacts.log_contact(
            db, citizen, None, contacts.ContactData(date(2026, 2, 2), "phone", "citizen", text)
        )
        company = employers.create_company(db, citizen.municipality, None, employers.CompanyData("Bageriet"))
        employers.record_contact(db, citizen, None, company, date(2026, 2, 3), "later", text)
        add_note(citizen, text)
        return citizen.id


def text_columns() -> list[tuple[Any, Any]]:
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
    ]


def rows_naming(app: Flask, *needles: str) -> list[str]:
    """`table.column` of every row that still holds one of `needles`, in any text or JSON column."""
    found = []
    with app.app_context():
        db = db_of(app)
        for table, column in text_columns():
            for (value,) in db.session.execute(select(column).select_from(table)):
                text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                hits = [n for n in needles if text and n.casefold() in text.casefold()]
                if hits:
                    found.append(f"{table.name}.{column.name}: {hits}")
    return found


def test_the_export_has_every_plugins_part_and_the_erasure_leaves_nothing_that_names_the_citizen(
    app: Flask, world: World, client: Client
) -> None:
    citizen_id = citizen_everywhere(app, world)
    assert rows_naming(app, NAME, EMAIL, PHONE), "the data was not there to begin with"
    client.login(world.user(TARGET, "admin"))

    exported = client.get(f"/{TARGET}/citizens/{citizen_id}/data.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    parts = exported.get_json()["parts"]
    assert {
        "core",
        "cafe",
        "mentors",
        "relatives",
        "municipal_fields",
        "contacts",
        "employers",
        "example",
    } <= set(parts)
    assert parts["core"]["citizen"][0]["email"] == EMAIL and parts["core"]["login"][0]["email"] == EMAIL
    assert parts["example"]["notes"][0]["text"].startswith(f"Talked with {NAME}")
    summary = client.get(f"/{TARGET}/citizens/{citizen_id}/data")
    assert summary.status_code == 200 and PHONE in summary.get_data(as_text=True)

    confirm = client.get(f"/{TARGET}/citizens/{citizen_id}/delete").get_data(as_text=True)
    assert "Erase all data about Anna Silkeborg?" in confirm and "Notes (1)" in confirm
    with app.app_context():
        history = db_of(app).session.scalar(
            select(func.count())
            .select_from(CitizenStatusChange)
            .where(CitizenStatusChange.citizen_id == citizen_id)
        )
    response = client.submit(f"/{TARGET}/citizens/{citizen_id}/delete", {})
    assert response.status_code == 302

    assert rows_naming(app, NAME, EMAIL, PHONE, "Søvej") == []
    with app.app_context():
        db = db_of(app)
        erased = db.session.get_one(Citizen, citizen_id)
        assert erased.erased_at is not None and erased.status.value == "ended" and erased.user_id is None
        assert db.session.scalar(select(User).where(User.email == EMAIL)) is None
        # The status history stays (the reports' anonymous numbers), with the erasure's end added.
        kept = db.session.scalar(
            select(func.count())
            .select_from(CitizenStatusChange)
            .where(CitizenStatusChange.citizen_id == citizen_id)
        )
        assert kept == history + 1
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase", AuditEntry.object_id == citizen_id)
        ).one()
        assert entry.user_name == world.user(TARGET, "admin").name
        assert set(entry.details["records"]) >= {"core", "contacts", "employers", "example"}
    # The list no longer shows her; the other citizens are still there.
    listed = client.get(f"/{TARGET}/citizens/").get_data(as_text=True)
    assert f'/{TARGET}/citizens/{citizen_id}"' not in listed and "Bo Silkeborg" in listed


def test_a_plugin_that_fails_to_erase_undoes_the_whole_erasure(app: Flask, world: World) -> None:
    citizen_id = citizen_everywhere(app, world)
    plugins = app.extensions["broen.plugins"]

    class Refusing:
        @hookimpl
        def broen_erase_citizen(self, citizen: Citizen, by: User | None) -> None:
            raise RuntimeError("cannot erase")

    plugins.pm.register(Refusing(), name="refusing")
    try:
        with app.test_request_context(f"/{TARGET}/"):
            db = db_of(app)
            citizen = db.session.get_one(Citizen, citizen_id)
            with pytest.raises(PluginError, match="refusing"):
                privacy.erase_citizen(db, plugins, citizen, world.user(TARGET, "admin"))
    finally:
        plugins.pm.unregister(name="refusing")
    assert rows_naming(app, NAME)
    with app.app_context():
        assert db_of(app).session.get_one(Citizen, citizen_id).erased_at is None
