"""The contacts plugin as staff and citizens use it: the start page's "Due a contact" (most overdue first,
and a logged contact takes the citizen off it), the citizen's own rhythm ("Du bestemmer") within the
municipality's minimum, the citizen's own page, refused input, tenancy and the audit log."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen, end_citizen
from broen.core.models import AuditEntry, Citizen
from broen.plugins.contacts import due, services
from broen.plugins.contacts.models import Who5
from tests.conftest import World, db_of, text_of
from tests.plugins.contacts.conftest import (
    SQLITE_ONLY,
    contact_count,
    log,
    logged_in,
    save_settings,
    started,
    today_in,
)

HOME = "/silkeborg/"


def _section(page: str, start: str, end: str | None = None) -> str:
    tail = page[page.index(start) :]
    return tail[: tail.index(end)] if end and end in tail else tail


@SQLITE_ONLY
def test_a_logged_contact_takes_the_citizen_off_the_overdue_list_most_overdue_first(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna, bo, carl = contacts_world.citizens["silkeborg"]
    today = today_in(contacts_world)
    started(app, anna, 30, today)  # due 9 days ago
    started(app, bo, 40, today)  # due 19 days ago
    started(app, carl, 21, today)  # due today
    client = logged_in(make_client, contacts_world)
    page = text_of(client.get(HOME))
    panel = _section(page, "Due a contact")
    overdue = _section(panel, "Overdue", "Due this week")
    assert overdue.index("Bo Silkeborg") < overdue.index("Anna Silkeborg")
    assert re.search(r"Bo Silkeborg\W+19 days overdue", overdue)
    assert re.search(r"Anna Silkeborg\W+9 days overdue", overdue)
    assert "Carl Silkeborg" in _section(panel, "Due this week") and "Carl Silkeborg" not in overdue
    assert "3 of your citizens are due a WHO-5" in panel

    response = client.submit(
        f"/silkeborg/contacts/citizens/{bo}/log?from=panel",
        {
            "contact-on": today.isoformat(),
            "contact-form": "phone",
            "contact-initiative": "citizen",
            "contact-note": "Ringede selv.",
        },
        page=f"/silkeborg/citizens/{bo}",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/silkeborg/citizens/{bo}#contacts")
    page = text_of(client.get(HOME))
    overdue = _section(_section(page, "Due a contact"), "Overdue", "Due this week")
    assert "Bo Silkeborg" not in overdue and "Anna Silkeborg" in overdue
    html = client.get(f"/silkeborg/citizens/{bo}").get_data(as_text=True)
    assert f'action="/silkeborg/contacts/citizens/{bo}/log?from=panel"' in html
    # The citizen page's panel shows the contact, the next due date and the note the citizen can read.
    panel = _section(text_of(client.get(f"/silkeborg/citizens/{bo}")), "Contact rhythm")
    assert "Ringede selv." in panel and "The citizen can read this note" in panel
    assert f"Next contact due {(today + timedelta(days=21)).strftime('%b %-d, %Y')}" in panel
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "list", AuditEntry.object_type == "citizen")
                .order_by(AuditEntry.id)
            )
            .all()
        )
        # The first visit's panel named Bo, Anna and Carl: one entry each, in the order shown.
        home = [e.object_id for e in entries if e.details.get("what") == "contacts_home"]
        assert home[:3] == [bo, anna, carl]


@SQLITE_ONLY
def test_the_citizens_rhythm_shortens_the_due_date_and_cannot_exceed_the_minimum(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna = contacts_world.citizens["silkeborg"][0]
    today = today_in(contacts_world)
    log(app, contacts_world, anna, today - timedelta(days=10))
    municipality = contacts_world.municipalities["silkeborg"]

    def due_date() -> Any:
        with app.app_context():
            (row,) = due.due_of(db_of(app), municipality, citizen_ids=[anna])
            return row.due

    assert due_date() == today + timedelta(days=11)
    client = logged_in(make_client, contacts_world)
    url = f"/silkeborg/contacts/citizens/{anna}/rhythm"
    page = f"/silkeborg/contacts/citizens/{anna}"
    assert client.submit(url, {"rhythm-weeks": "1"}, page=page).status_code == 302
    assert due_date() == today - timedelta(days=3)
    assert "Every week (the citizen's choice)" in text_of(client.get(page))
    refused = client.submit(url, {"rhythm-weeks": "4"}, page=page)
    assert refused.status_code == 400
    assert "Choose a contact at least every 21 days" in text_of(refused)
    assert due_date() == today - timedelta(days=3)
    # The municipality shortens its minimum below the citizen's choice: the minimum applies.
    save_settings(app, municipality, rhythm_days=5)
    assert due_date() == today - timedelta(days=5)
    assert client.submit(url, {"rhythm-weeks": "1"}, page=page).status_code == 400
    assert client.submit(url, {"rhythm-weeks": ""}, page=page).status_code == 302
    with app.app_context():
        assert services.rhythm_of(db_of(app), db_of(app).session.get_one(Citizen, anna)) is None


@SQLITE_ONLY
def test_the_citizen_sees_their_own_contacts_and_notes_sets_their_rhythm_and_nothing_of_others(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna, bo, _carl = contacts_world.citizens["silkeborg"]
    today = today_in(contacts_world)
    participant = contacts_world.user("silkeborg", "participant")
    with app.app_context():
        db = db_of(app)
        db.session.get_one(Citizen, anna).user_id = participant.id
        db.session.commit()
    log(app, contacts_world, anna, today - timedelta(days=20), note="Gåtur ved søen.")
    log(app, contacts_world, anna, today - timedelta(days=2), note="Snak om praktik.")
    log(app, contacts_world, bo, today - timedelta(days=1), note="Noget om Bo.")
    client = logged_in(make_client, contacts_world, "participant")
    page = text_of(client.get("/silkeborg/contacts/me/"))
    assert "Your coordinator is Coordinator Silkeborg." in page
    assert page.index("Snak om praktik.") < page.index("Gåtur ved søen.")
    assert "Noget om Bo" not in page and "Bo Silkeborg" not in page
    due_on = today - timedelta(days=2) + timedelta(days=21)
    assert f"no later than {due_on.strftime('%B %-d, %Y')}" in page
    response = client.submit(
        "/silkeborg/contacts/me/rhythm", {"rhythm-weeks": "2"}, page="/silkeborg/contacts/me/"
    )
    assert response.status_code == 302
    page = text_of(client.get("/silkeborg/contacts/me/"))
    assert "Every 2 weeks (the citizen's choice)" in page
    assert f"no later than {(today + timedelta(days=12)).strftime('%B %-d, %Y')}" in page
    refused = client.submit(
        "/silkeborg/contacts/me/rhythm", {"rhythm-weeks": "9"}, page="/silkeborg/contacts/me/"
    )
    assert refused.status_code == 400
    assert client.get(f"/silkeborg/contacts/citizens/{bo}").status_code == 403
    assert client.get("/silkeborg/contacts/").status_code == 403
    with app.app_context():
        db = db_of(app)
        assert services.rhythm_of(db, db.session.get_one(Citizen, anna)) == 2
        assert services.rhythm_of(db, db.session.get_one(Citizen, bo)) is None
        views = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.user_id == participant.id)
        ).all()
        assert {e.object_id for e in views} == {anna}
    # A participant whose log-in is not linked sees a calm page and no one's contacts.
    other = logged_in(make_client, contacts_world, "participant", "norddjurs")
    assert "not linked" in text_of(other.get("/norddjurs/contacts/me/"))


@SQLITE_ONLY
def test_refused_input_names_the_field_keeps_what_was_typed_and_writes_nothing(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna = contacts_world.citizens["silkeborg"][0]
    today = today_in(contacts_world)
    client = logged_in(make_client, contacts_world)
    url = f"/silkeborg/contacts/citizens/{anna}/log"
    page = f"/silkeborg/contacts/citizens/{anna}"
    good = {
        "contact-on": today.isoformat(),
        "contact-form": "walk",
        "contact-initiative": "citizen",
        "contact-note": "En kort note.",
    }
    cases = [
        ({"contact-on": (today + timedelta(days=1)).isoformat()}, "Date: The date cannot be in the future"),
        ({"contact-form": "teleport"}, "How: Choose how you were in contact."),
        ({"contact-initiative": ""}, "Who took the initiative: Choose who took the initiative."),
        ({"contact-note": "x" * 501}, "Short note: The note can be at most 500 characters long."),
    ]
    for change, message in cases:
        response = client.submit(url, {**good, **change}, page=page)
        assert response.status_code == 400
        assert message in text_of(response)
        html = response.get_data(as_text=True)
        note = change.get("contact-note", "En kort note.")
        assert f"{note}</textarea>" in html
    assert contact_count(app) == 0

    who5 = f"/silkeborg/contacts/citizens/{anna}/who5"
    answers = {f"item{n}": "3" for n in range(1, 6)}
    response = client.submit(who5, {"on": today.isoformat(), **answers, "item3": "6"})
    assert response.status_code == 400
    assert "I have felt active and vigorous: Choose one of the answers" in text_of(response)
    assert 'id="item1-3" name="item1" value="3" checked' in response.get_data(as_text=True)
    response = client.submit(who5, {"on": today.isoformat(), **answers})
    assert response.status_code == 302
    with app.app_context():
        (score,) = db_of(app).session.scalars(select(Who5.score)).all()
        assert score == 60


@SQLITE_ONLY
def test_another_municipalitys_citizen_or_contact_answers_404(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    theirs = contacts_world.citizens["norddjurs"][0]
    contact = log(app, contacts_world, theirs, today_in(contacts_world, "norddjurs"), slug="norddjurs")
    client = logged_in(make_client, contacts_world)
    for url in (
        f"/silkeborg/contacts/citizens/{theirs}",
        f"/silkeborg/contacts/citizens/{theirs}/who5",
        f"/silkeborg/contacts/contacts/{contact}/edit",
        f"/silkeborg/contacts/contacts/{contact}/delete",
    ):
        assert client.get(url).status_code == 404, url
    token = client.csrf_token("/silkeborg/contacts/")
    for url, data in (
        (f"/silkeborg/contacts/citizens/{theirs}/log", {"contact-on": "2026-01-05", "contact-form": "walk"}),
        (f"/silkeborg/contacts/citizens/{theirs}/rhythm", {"rhythm-weeks": "1"}),
        (f"/silkeborg/contacts/contacts/{contact}/delete", {}),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    assert contact_count(app) == 1
    # With the plugin off, its pages are gone and the start page has no panel.
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), contacts_world.municipalities["silkeborg"], "contacts", False)
    assert client.get("/silkeborg/contacts/").status_code == 404
    assert "Due a contact" not in text_of(client.get(HOME))


@SQLITE_ONLY
def test_staff_edit_and_delete_a_contact_after_confirming_and_every_step_is_audited(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna = contacts_world.citizens["silkeborg"][0]
    today = today_in(contacts_world)
    contact = log(app, contacts_world, anna, today - timedelta(days=3), note="Første note.")
    client = logged_in(make_client, contacts_world)
    edit = f"/silkeborg/contacts/contacts/{contact}/edit"
    response = client.submit(
        edit,
        {
            "contact-on": (today - timedelta(days=4)).isoformat(),
            "contact-form": "meeting",
            "contact-initiative": "coordinator",
            "contact-note": "Rettet note.",
        },
    )
    assert response.status_code == 302
    assert "Rettet note." in text_of(client.get(f"/silkeborg/contacts/citizens/{anna}"))
    delete = f"/silkeborg/contacts/contacts/{contact}/delete"
    assert "Delete the contact on" in text_of(client.get(delete))
    assert contact_count(app) == 1  # asking is not deleting
    assert client.submit(delete, {}).status_code == 302
    assert contact_count(app) == 0
    client.get("/silkeborg/contacts/?scope=all")
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == "citizen").order_by(AuditEntry.id)
            )
            .all()
        )
        steps = [
            (e.action, e.details.get("what"))
            for e in entries
            if str(e.details.get("what", "")).startswith("contacts")
        ]
        for step in [
            ("create", "contacts_contact"),
            ("update", "contacts_contact"),
            ("view", "contacts_citizen"),
            ("delete", "contacts_contact"),
            ("list", "contacts_worklist"),
        ]:
            assert step in steps
        update = next(
            e for e in entries if e.action == "update" and e.details.get("what") == "contacts_contact"
        )
        assert sorted(update.details["fields"]) == ["note", "on"]
        assert "Rettet" not in str([e.details for e in entries])


@SQLITE_ONLY
def test_the_worklist_shows_mine_or_everyone_sorted_by_due_date_without_ended_citizens(
    app: Flask, contacts_world: World, make_client: Any
) -> None:
    anna, bo, carl = contacts_world.citizens["silkeborg"]
    today = today_in(contacts_world)
    started(app, bo, 50, today)
    started(app, anna, 25, today)
    with app.app_context():
        db = db_of(app)
        admin = contacts_world.user("silkeborg", "admin")
        other = create_citizen(
            db,
            contacts_world.municipalities["silkeborg"],
            admin,
            CitizenData(name="Dorte Anden", contact_person_id=admin.id),
        ).id
        end_citizen(db, db.session.get_one(Citizen, carl), admin)
    started(app, other, 60, today)
    client = logged_in(make_client, contacts_world)
    mine = text_of(client.get("/silkeborg/contacts/"))
    assert "2 citizens, soonest due first." in mine
    assert mine.index("Bo Silkeborg") < mine.index("Anna Silkeborg")
    assert "Dorte Anden" not in mine and "Carl Silkeborg" not in mine and "Norddjurs" not in mine
    everyone = text_of(client.get("/silkeborg/contacts/?scope=all"))
    assert everyone.index("Dorte Anden") < everyone.index("Bo Silkeborg") < everyone.index("Anna Silkeborg")
    assert "Dorte Anden Admin Silkeborg" in everyone and "Carl Silkeborg" not in everyone
    week = text_of(client.get("/silkeborg/contacts/?show=who5"))
    assert "2 citizens" in week
    with app.app_context():
        entries = db_of(app).session.scalars(select(AuditEntry).where(AuditEntry.action == "list")).all()
        assert [e.object_id for e in entries if e.details.get("scope") == "all"] == [other, bo, anna]
