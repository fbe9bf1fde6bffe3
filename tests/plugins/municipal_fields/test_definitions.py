"""The admin's "Fields" pages, as a municipality's admin clicks through them: adding every kind of field,
bad input, editing, reordering, archiving and restoring; and the fences around them (roles, the other
municipality, the plugin turned off)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import AuditEntry
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import FieldData, FieldError
from tests.conftest import Client, World, db_of, text_of
from tests.plugins.municipal_fields import helpers
from tests.plugins.municipal_fields.helpers import SQLITE_ONLY
from tests.sqlcount import count_statements

BASE = "/silkeborg/municipal_fields"
NEW = f"{BASE}/new?target=citizen"
FORM = {
    "key": "case_number",
    "type": "text",
    "label_da": "Sagsnummer",
    "label_en": "Case number",
    "help_da": "Jobcentrets sagsnummer",
    "help_en": "",
    "choices": "",
    "see_roles": ["admin", "coordinator"],
    "edit_roles": ["coordinator"],
}
CHOICES = "kontant | Kontanthjælp | Cash benefit\nledig|Dagpenge\n\nsyg | Sygedagpenge | Sickness benefit"


def logged_in(make_client: Any, world: World, role: str = "admin", slug: str = "silkeborg") -> Client:
    return helpers.logged_in(make_client, world, role, slug)


def add(app: Flask, world: World, key: str, type_: FieldType = FieldType.TEXT, **kwargs: Any) -> int:
    """A field of Silkeborg's citizens (unless `target`/`slug` say otherwise) that staff see and nobody
    edits (unless the roles say otherwise), through the service."""
    target = kwargs.pop("target", "citizen")
    return helpers.add_field(
        app, world, target, key, type_, **{"slug": "silkeborg", "edit_roles": [], **kwargs}
    )


def offer_cafe_courses(app: Flask, world: World) -> None:
    """Turn the café plugin on in Silkeborg: its courses become a kind of record fields may be added to."""
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), world.municipalities["silkeborg"], "cafe", True)


def definitions(app: Flask) -> list[FieldDefinition]:
    with app.app_context():
        db = db_of(app)
        rows = list(db.session.scalars(select(FieldDefinition).order_by(FieldDefinition.id)))
        db.session.expunge_all()
        return rows


def test_an_admin_adds_fields_of_every_kind_and_sees_them_in_order(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    offer_cafe_courses(app, fields_world)
    client = logged_in(make_client, fields_world)
    assert "Fields</a>" in client.get("/silkeborg/").get_data(as_text=True)
    page = text_of(client.get(f"{BASE}/"))
    assert "Citizen" in page and "Café course" in page and "Volunteer mentor" not in page  # mentors are off
    assert "No fields yet" in page
    response = client.submit(NEW, {**FORM, "required": "y", "sensitive": "y"})
    assert response.status_code == 302
    response = client.submit(
        NEW,
        {
            **FORM,
            "key": "benefit",
            "type": "choice",
            "label_da": "Ydelse",
            "label_en": "Benefit",
            "choices": CHOICES,
        },
    )
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The field is added" in page
    assert page.index(
        "Case number case_number Text Yes Yes Municipality admin, Coordinator Coordinator Edit"
    ) < page.index("Benefit benefit One choice (3 choices) No No")
    for n, type_ in enumerate(FieldType):  # every other type, through the service the form uses
        if type_ not in (FieldType.TEXT, FieldType.CHOICE):
            choices = [{"value": "a", "da": "A", "en": "A"}] if type_ == FieldType.CHOICES else []
            add(app, fields_world, f"field_{n}", type_, target="cafe_course", choices=choices)
    fields = definitions(app)
    assert [(f.key, f.type, f.position) for f in fields[:2]] == [
        ("case_number", FieldType.TEXT, 0),
        ("benefit", FieldType.CHOICE, 1),
    ]
    case_number, benefit = fields[0], fields[1]
    assert case_number.required and case_number.sensitive and case_number.help_da == "Jobcentrets sagsnummer"
    assert case_number.see_roles == ["admin", "coordinator"] and case_number.edit_roles == ["coordinator"]
    assert benefit.choices == [
        {"value": "kontant", "da": "Kontanthjælp", "en": "Cash benefit"},
        {"value": "ledig", "da": "Dagpenge", "en": "Dagpenge"},
        {"value": "syg", "da": "Sygedagpenge", "en": "Sickness benefit"},
    ]
    assert {f.type for f in fields} == set(FieldType)
    assert [f.position for f in fields if f.target == "cafe_course"] == list(range(len(FieldType) - 2))
    # Danish labels for a Danish reader; the audit says what was made, not what the labels say.
    assert "Sagsnummer" in text_of(client.get(f"{BASE}/?lang=da"))
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "municipal_fields_field", AuditEntry.object_id == case_number.id
                )
            )
            .all()
        )
        assert [(e.action, e.details) for e in entries] == [
            ("create", {"target": "citizen", "key": "case_number"})
        ]


@SQLITE_ONLY
def test_bad_input_names_the_field_keeps_what_was_typed_and_stores_nothing(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "taken")
    archived = add(app, fields_world, "old_one")
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get(FieldDefinition, archived), None)
    client = logged_in(make_client, fields_world)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"key": "Case-Number"}, "Key: The key must be 2–40 lower-case letters"),
        ({"key": "taken"}, "Key: Another field of this kind of record has this key"),
        ({"key": "old_one"}, "Key: The key is used by an archived field"),
        ({"label_da": "  "}, "Label in Danish: Write the Danish label."),
        ({"label_en": "x" * 121}, "Label in English: Write at most 120 characters."),
        (
            {"choices": "a | A"},
            "Choices: Only fields of the types one choice and several choices have choices.",
        ),
        ({"type": "choices"}, "Choices: Write at least one choice."),
        (
            {"type": "choice", "choices": "ok | Fint\nno label"},
            "Choices: Line 2: Write it as value | Danish | English.",
        ),
        (
            {"type": "choice", "choices": "ok | Fint\n\nBad Value | Dårlig"},
            'Choices: Line 3: The value "Bad Value" must be',
        ),
        (
            {"type": "choice", "choices": "a | A\nb | B\na | C"},
            'Choices: Line 3: the value "a" is on line 1 already.',
        ),
        (
            {"type": "choices", "choices": "\n".join(f"v{n} | V{n}" for n in range(201))},
            "Choices: Give at most 200 choices.",
        ),
        (
            {"see_roles": ["admin"], "edit_roles": ["coordinator"]},
            "Who may fill it in and change it: A role that may edit",
        ),
        ({"see_roles": [], "edit_roles": []}, "Who may see it: Choose at least one role"),
        ({"type": "colour"}, "Type:"),
    ]
    for change, message in cases:
        response = client.submit(NEW, {**FORM, "key": "new_key", **change})
        assert response.status_code == 400, change
        text = text_of(response)
        assert "The field is not saved yet" in text and message in text, (change, text[:2000])
        html = response.get_data(as_text=True)
        typed = change.get("label_da", "Sagsnummer")
        assert f'value="{typed}"' in html, change  # what was typed stays
        if "choices" in change:
            assert change["choices"].split("\n")[0] in html
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(FieldDefinition)) == 2
    # The URL fixes the kind of record: an unknown one is not a page, and the service refuses it too.
    assert client.get(f"{BASE}/new?target=nope").status_code == 404
    with pytest.raises(FieldError) as refused:
        add(app, fields_world, "ok_key", target="nope")
    assert refused.value.field == "target"
    with pytest.raises(FieldError) as refused:  # mentors are not on in this world: not a target
        add(app, fields_world, "ok_key", target="mentors_mentor")
    assert refused.value.field == "target"


def test_editing_relabels_at_once_and_refuses_to_drop_a_choice_in_use(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    choices = [{"value": v, "da": v.upper(), "en": v.title()} for v in ("a", "b", "c")]
    field_id = add(app, fields_world, "level", FieldType.CHOICES, choices=choices)
    with app.app_context():
        db = db_of(app)
        municipality_id = fields_world.municipalities["silkeborg"].id
        for record_id, value in ((1, "b"), (2, "b"), (2, "a")):
            db.session.add(
                FieldValue(
                    municipality_id=municipality_id, field_id=field_id, record_id=record_id, value=value
                )
            )
        db.session.commit()
    client = logged_in(make_client, fields_world)
    url = f"{BASE}/{field_id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert "a | A | A\nb | B | B\nc | C | C" in html and 'name="key"' not in html
    edit = {**FORM, "type": "choices", "label_en": "Level", "see_roles": ["admin"], "edit_roles": []}
    response = client.submit(url, {**edit, "choices": "a | A | A\nc | C | C"})
    assert response.status_code == 400
    assert 'Choices: The choice "b" cannot be removed: 2 records have it.' in text_of(response)
    response = client.submit(url, {**edit, "choices": "a | A | Alpha\nb | B | B\nc | C | C\nd | D | Delta"})
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The changes are saved" in page and "Level level Several choices (4 choices)" in page
    response = client.submit(url, {**edit, "choices": "a | A | Alpha\nb | B | B\nd | D | Delta"})
    assert response.status_code == 302  # "c" is not in use: it may go
    field = definitions(app)[0]
    assert field.label_en == "Level" and field.see_roles == ["admin"] and field.edit_roles == []
    assert [c["value"] for c in field.choices] == ["a", "b", "d"] and field.choices[0]["en"] == "Alpha"
    assert field.key == "level" and field.type == FieldType.CHOICES
    # The key and the kind of record are never changed (the type is: test_type_change.py).
    with app.app_context():
        db = db_of(app)
        definition = db.session.get(FieldDefinition, field_id)
        base = FieldData(
            "citizen", "level", "L", "L", FieldType.CHOICES, choices=choices, see_roles=["admin"]
        )
        for changed, name in (
            (replace(base, key="other"), "key"),
            (replace(base, target="cafe_course"), "target"),
        ):
            with pytest.raises(FieldError) as refused:
                services.edit_field(db, definition, None, changed)
            assert refused.value.field == name
        entries = db.session.scalars(
            select(AuditEntry.details).where(
                AuditEntry.object_type == "municipal_fields_field", AuditEntry.action == "update"
            )
        ).all()
        assert entries[0] == {"fields": ["label_da", "help_da", "choices", "see_roles"]}


def test_reordering_swaps_a_field_with_its_neighbour_past_archived_ones(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    offer_cafe_courses(app, fields_world)
    ids = [add(app, fields_world, key) for key in ("first", "second", "gone", "third")]
    add(app, fields_world, "elsewhere", target="cafe_course")
    with app.app_context():
        db = db_of(app)
        services.archive_field(db, db.session.get(FieldDefinition, ids[2]), None)
    client = logged_in(make_client, fields_world)

    def order() -> list[str]:
        with app.app_context():
            fields = services.fields_for(db_of(app), fields_world.municipalities["silkeborg"], "citizen")
            return [f.key for f in fields]

    assert client.submit(f"{BASE}/{ids[3]}/move/up", {}, f"{BASE}/").status_code == 302
    assert order() == ["first", "third", "second"]
    assert client.submit(f"{BASE}/{ids[0]}/move/down", {}, f"{BASE}/").status_code == 302
    assert order() == ["third", "first", "second"]
    assert client.submit(f"{BASE}/{ids[3]}/move/up", {}, f"{BASE}/").status_code == 302  # first already
    assert order() == ["third", "first", "second"]
    page = text_of(client.get(f"{BASE}/"))
    assert page.index("Third third") < page.index("First first") < page.index("Second second")
    assert client.post(f"{BASE}/{ids[0]}/move/up").status_code == 400  # no CSRF token, no move
    assert order() == ["third", "first", "second"]


def test_archiving_asks_first_keeps_the_values_and_restoring_brings_the_field_back(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "case_worker", label_en="Case worker")
    keep = add(app, fields_world, "other_field")
    with app.app_context():
        db = db_of(app)
        db.session.add(
            FieldValue(
                municipality_id=fields_world.municipalities["silkeborg"].id,
                field_id=field_id,
                record_id=7,
                value="Ib",
            )
        )
        db.session.commit()
    client = logged_in(make_client, fields_world)
    confirm = text_of(client.get(f"{BASE}/{field_id}/archive"))
    assert "Archive the field Case worker?" in confirm and "Its values are kept" in confirm
    response = client.submit(f"{BASE}/{field_id}/archive", {})
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The field is archived. Its values are kept." in page
    archived_part = page[page.index("Archived fields") :]
    assert "Case worker ( case_worker , Text) · Restore" in archived_part
    assert "Case worker case_worker" not in page[: page.index("Archived fields")]
    with app.app_context():
        db = db_of(app)
        municipality = fields_world.municipalities["silkeborg"]
        assert [f.id for f in services.fields_for(db, municipality, "citizen")] == [keep]
        assert len(services.fields_for(db, municipality, "citizen", include_archived=True)) == 2
        assert db.session.scalars(select(FieldValue.value).where(FieldValue.field_id == field_id)).all() == [
            "Ib"
        ]
    response = client.submit(f"{BASE}/{field_id}/restore", {}, f"{BASE}/")
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The field is back in the forms" in page and "Archived fields" not in page
    assert page.index("Case worker case_worker") < page.index("Other_Field other_field")


def test_only_the_municipality_s_admin_reaches_its_fields(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "secret_key", label_en="Hemmeligt felt", slug="norddjurs")
    urls = [f"{BASE}/", NEW, f"{BASE}/{field_id}/edit", f"{BASE}/{field_id}/archive"]
    for role in ("coordinator", "mentor", "participant"):
        client = logged_in(make_client, fields_world, role)
        assert "Fields</a>" not in client.get("/silkeborg/").get_data(as_text=True)
        for url in urls:
            assert client.get(url).status_code == 403, (role, url)
    admin = logged_in(make_client, fields_world)
    assert "Hemmeligt felt" not in text_of(admin.get(f"{BASE}/"))
    for url in (f"{BASE}/{field_id}/edit", f"{BASE}/{field_id}/archive"):
        assert admin.get(url).status_code == 404, url
    for url in (f"{BASE}/{field_id}/archive", f"{BASE}/{field_id}/move/up", f"{BASE}/{field_id}/restore"):
        assert admin.submit(url, {}, f"{BASE}/").status_code == 404, url
    # Norddjurs's admin reaches it; Silkeborg's admin has no role there.
    assert admin.get(f"/norddjurs/municipal_fields/{field_id}/edit").status_code == 403
    assert (
        logged_in(make_client, fields_world, slug="norddjurs")
        .get(f"/norddjurs/municipal_fields/{field_id}/edit")
        .status_code
        == 200
    )
    field = definitions(app)[0]
    assert field.archived_at is None and field.label_en == "Hemmeligt felt"


@SQLITE_ONLY
def test_with_the_plugin_off_the_pages_are_not_found_and_the_menu_has_no_entry(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "case_number")
    with app.app_context():
        accounts.set_plugin_enabled(
            db_of(app), fields_world.municipalities["silkeborg"], "municipal_fields", False
        )
    client = logged_in(make_client, fields_world)
    assert "Fields</a>" not in client.get("/silkeborg/").get_data(as_text=True)
    for url in (f"{BASE}/", NEW, f"{BASE}/{field_id}/edit", f"{BASE}/{field_id}/archive"):
        assert client.get(url).status_code == 404, url


def test_the_list_sends_as_many_statements_for_many_fields_as_for_one(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    offer_cafe_courses(app, fields_world)
    client = logged_in(make_client, fields_world)

    def listing() -> int:
        client.get(f"{BASE}/")  # warm: the first request of a client loads more (its session)
        with count_statements(app) as seen:
            assert client.get(f"{BASE}/").status_code == 200
        return len(seen)

    add(app, fields_world, "first")
    one = listing()
    choices = [{"value": "a", "da": "A", "en": "A"}]
    for n in range(12):
        field_id = add(
            app,
            fields_world,
            f"field_{n}",
            FieldType.CHOICE,
            choices=choices,
            target=("citizen", "cafe_course")[n % 2],
        )
        if n % 4 == 0:
            with app.app_context():
                db = db_of(app)
                services.archive_field(db, db.session.get(FieldDefinition, field_id), None)
    assert listing() == one
    assert "Field_11 field_11" in text_of(client.get(f"{BASE}/"))


@SQLITE_ONLY
def test_a_kind_of_record_has_at_most_100_fields_in_use(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    with app.app_context():
        db = db_of(app)
        municipality = fields_world.municipalities["silkeborg"]
        db.session.add_all(
            FieldDefinition(
                municipality_id=municipality.id,
                target="citizen",
                key=f"f{n:03d}",
                label_da=f"F{n}",
                label_en=f"F{n}",
                type=FieldType.TEXT,
                position=n,
                see_roles=["admin"],
                edit_roles=["admin"],
                archived_at=datetime.now(UTC) if n == 100 else None,
            )
            for n in range(101)
        )
        db.session.commit()
        archived = db.session.scalar(select(FieldDefinition.id).where(FieldDefinition.key == "f100"))
    client = logged_in(make_client, fields_world)
    refused = client.submit(NEW, FORM)
    assert refused.status_code == 400
    assert "This kind of record has 100 fields in use, the most it may have. Archive one first." in text_of(
        refused
    )
    assert 'value="case_number"' in refused.get_data(as_text=True)  # what was typed is kept
    restored = client.submit(f"{BASE}/{archived}/restore", {}, f"{BASE}/")
    assert "Archive one first." in text_of(client.get(restored.location))
    assert len(definitions(app)) == 101 and definitions(app)[-1].archived_at is not None
