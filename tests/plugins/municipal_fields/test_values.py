"""The municipal fields' values on the citizen form and page, as staff use them: every type on the form of
the municipality that defined it (only there), required and bad values refused with the field named and
nothing saved, good values stored as canonical text and shown in the reader's language, edits replacing
them, archived fields leaving form and page but keeping their values, the roles' limits, sensitive views
audited, audit entries without values, and the page's statements not growing with the number of fields."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, Citizen, User
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    count_rows,
    logged_in,
    record_id,
    stored_lists,
)
from tests.sqlcount import count_statements

NEW = "/norddjurs/citizens/new"
CHOICES = [
    {"value": "cash", "da": "Kontanthjælp", "en": "Cash benefit"},
    {"value": "sick", "da": "Sygedagpenge", "en": "Sickness benefit"},
    {"value": "none", "da": "Ingen", "en": "None"},
]
#: One field of every type: key, type, label (English), a good value as typed, its canonical text(s), and
#: as shown to an English reader.
TYPES: list[tuple[str, FieldType, str, Any, list[str], str]] = [
    ("case_no", FieldType.TEXT, "Case number", "  AB-12 ", ["AB-12"], "AB-12"),
    ("notes", FieldType.LONG_TEXT, "Notes", "Likes\nbikes", ["Likes\nbikes"], "Likes bikes"),
    ("hours", FieldType.INTEGER, "Hours a week", "12", ["12"], "12"),
    ("rate", FieldType.DECIMAL, "Rate", "12,50", ["12.50"], "12.50"),
    ("started", FieldType.DATE, "Started", "2026-03-05", ["2026-03-05"], "Mar 5, 2026"),
    ("bike", FieldType.BOOLEAN, "Has a bike", "y", ["true"], "Yes"),
    ("benefit", FieldType.CHOICE, "Benefit", "sick", ["sick"], "Sickness benefit"),
    ("support", FieldType.CHOICES, "Support", ["none", "cash"], ["cash", "none"], "Cash benefit, None"),
    ("mail2", FieldType.EMAIL, "Work e-mail", "bo@example.dk", ["bo@example.dk"], "bo@example.dk"),
    ("mobile", FieldType.PHONE, "Mobile", "+45 12 34 56 78", ["+45 12 34 56 78"], "+45 12 34 56 78"),
    (
        "site",
        FieldType.URL,
        "Web page",
        "https://example.dk/bo",
        ["https://example.dk/bo"],
        "https://example.dk/bo",
    ),
]


def add(app: Flask, world: World, key: str, type_: FieldType = FieldType.TEXT, **kwargs: Any) -> int:
    """A field of Norddjurs's citizens (unless `slug` says otherwise; a choice field with `CHOICES`
    unless `choices` say otherwise), through the service."""
    choices = CHOICES if type_ in (FieldType.CHOICE, FieldType.CHOICES) else []
    return add_field(app, world, "citizen", key, type_, **{"choices": choices, **kwargs})


def add_every_type(app: Flask, world: World) -> None:
    for key, type_, label, *_rest in TYPES:
        add(app, world, key, type_, label_en=label, label_da=f"{label} (da)")


def citizens_named(app: Flask, name: str) -> int:
    return count_rows(app, Citizen, Citizen.name == name)


def audit_details(app: Flask, object_type: str = "citizen") -> list[tuple[str, dict[str, Any]]]:
    with app.app_context():
        return [
            (action, details)
            for action, details in db_of(app).session.execute(
                select(AuditEntry.action, AuditEntry.details)
                .where(AuditEntry.object_type == object_type)
                .order_by(AuditEntry.id)
            )
        ]


def form_data(name: str, **values: Any) -> dict[str, Any]:
    return {"name": name, "status": "intake", **{f"municipal_fields__{k}": v for k, v in values.items()}}


@SQLITE_ONLY
def test_every_type_is_on_the_form_of_the_municipality_that_made_it_and_only_there(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_every_type(app, fields_world)
    html = logged_in(make_client, fields_world).get(NEW).get_data(as_text=True)
    for key, _type, label, *_rest in TYPES:
        assert f'name="municipal_fields__{key}"' in html and label in html
    assert 'type="date"' in html and 'type="email"' in html and 'type="tel"' in html and 'type="url"' in html
    assert html.count('class="form-checkbox"') >= 3  # several choices as checkboxes (and the yes/no box)
    assert "Sickness benefit" in html and "Sygedagpenge" not in html  # the user's language
    other = logged_in(make_client, fields_world, slug="silkeborg").get("/silkeborg/citizens/new")
    assert "municipal_fields__" not in other.get_data(as_text=True)


@SQLITE_ONLY
def test_an_empty_required_field_is_named_nothing_is_saved_and_what_was_typed_stays(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "case_no", label_en="Case number", required=True)
    add(app, fields_world, "benefit", FieldType.CHOICE, label_en="Benefit", required=True)
    add(app, fields_world, "bike", FieldType.BOOLEAN, label_en="Has a bike", required=True)  # cannot be
    add(app, fields_world, "hours", FieldType.INTEGER, label_en="Hours")
    client = logged_in(make_client, fields_world)
    refused = client.submit(NEW, form_data("Required Person", case_no="  ", benefit="", hours="7"))
    assert refused.status_code == 400
    page = text_of(refused)
    assert "Fill in Case number." in page and "Fill in Benefit." in page and "Fill in Has a bike" not in page
    html = refused.get_data(as_text=True)
    assert 'value="Required Person"' in html and 'value="7"' in html
    assert citizens_named(app, "Required Person") == 0 and stored_lists(app) == {}
    made = client.submit(NEW, form_data("Required Person", case_no="A1", benefit="cash"))
    assert made.status_code == 302  # the unticked yes/no box is no obstacle
    assert stored_lists(app)[("bike", record_id(made.location))] == ["false"]


@SQLITE_ONLY
def test_bad_values_are_refused_naming_the_field_and_nothing_is_saved(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_every_type(app, fields_world)
    client = logged_in(make_client, fields_world)
    cases = [
        ("hours", "twelve", "Write Hours a week as a whole number, e.g. 12."),
        ("hours", "1.5", "Write Hours a week as a whole number, e.g. 12."),
        ("rate", "12,5,0", "Write Rate as a number, e.g. 12.5."),
        ("rate", "NaN", "Write Rate as a number, e.g. 12.5."),
        ("started", "31-02-2026", "Write Started as a date, e.g. 2026-03-31."),
        ("mail2", "bo(at)example", "Write Work e-mail as an e-mail address, e.g. name@example.dk."),
        ("site", "example dot dk", "Write Web page as a web address, e.g. https://example.dk."),
        ("mobile", "call me", "Write Mobile as a phone number, e.g. +45 12 34 56 78."),
        ("benefit", "lottery", "Choose Benefit among the choices shown."),
        ("support", ["cash", "lottery"], "Choose Support among the choices shown."),
        ("case_no", "x" * 501, "Case number can be at most 500 characters long."),
    ]
    for key, bad, message in cases:
        response = client.submit(NEW, form_data("Bad Person", **{key: bad}))
        assert response.status_code == 400, key
        assert message in text_of(response), key
    assert citizens_named(app, "Bad Person") == 0 and stored_lists(app) == {}


def test_good_values_are_stored_as_canonical_text_shown_and_replaced_by_an_edit(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_every_type(app, fields_world)
    client = logged_in(make_client, fields_world)
    made = client.submit(NEW, form_data("Good Person", **{key: typed for key, _t, _l, typed, *_r in TYPES}))
    assert made.status_code == 302
    record = record_id(made.location)
    values = stored_lists(app)
    for key, _type, _label, _typed, canonical, _shown in TYPES:
        assert values[(key, record)] == canonical, key
    page = text_of(client.get(made.location))
    for _key, _type, label, _typed, _canonical, shown in TYPES:
        assert f"{label} {shown}" in page, label
    # The edit form shows the values; an edit replaces them (an emptied field leaves no row).
    edit = f"/norddjurs/citizens/{record}/edit"
    html = client.get(edit).get_data(as_text=True)
    assert 'value="AB-12"' in html and 'value="2026-03-05"' in html and 'value="12.50"' in html
    changed = form_data("Good Person", case_no="", hours="40", benefit="cash", support=["sick"], started="")
    changed.update({f"municipal_fields__{k}": t for k, _y, _l, t, *_r in TYPES if k in ("notes", "rate")})
    changed.update(
        {f"municipal_fields__{k}": t for k, _y, _l, t, *_r in TYPES if k in ("mail2", "mobile", "site")}
    )
    assert client.submit(edit, changed).status_code == 302
    values = stored_lists(app)
    assert ("case_no", record) not in values and ("started", record) not in values
    assert values[("hours", record)] == ["40"] and values[("benefit", record)] == ["cash"]
    assert values[("support", record)] == ["sick"] and values[("bike", record)] == ["false"]
    assert values[("rate", record)] == ["12.50"]  # unchanged
    # A Danish reader sees the choices' Danish labels.
    with app.app_context():
        db = db_of(app)
        db.session.get_one(User, fields_world.user("norddjurs", "coordinator").id).language = "da"
        db.session.commit()
    danish = text_of(client.get(made.location))
    assert "Kontanthjælp" in danish and "Sygedagpenge" in danish and "12,50" in danish
    # One audit entry per save, naming the changed keys only: never a value.
    updates = [d for action, d in audit_details(app) if d.get("what") == "municipal_fields"]
    assert [sorted(d["fields"]) for d in updates] == [
        sorted(key for key, *_r in TYPES),
        sorted(["bike", "case_no", "hours", "benefit", "support", "started"]),
    ]
    everything = repr(audit_details(app))
    for _key, _type, _label, typed, canonical, _shown in TYPES:
        for value in [*canonical, *([typed] if isinstance(typed, str) else typed)]:
            if value not in ("y", "true", "false", "none", "cash", "sick", "12"):
                assert value not in everything, value


@SQLITE_ONLY
def test_an_archived_field_leaves_the_form_and_page_and_keeps_its_values(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "case_no", label_en="Case number")
    client = logged_in(make_client, fields_world)
    made = client.submit(NEW, form_data("Archived Person", case_no="AB-12"))
    record = record_id(made.location)
    assert "Case number AB-12" in text_of(client.get(made.location))
    with app.app_context():
        db = db_of(app)
        definition = db.session.get_one(FieldDefinition, field_id)
        services.archive_field(db, definition, fields_world.user("norddjurs", "admin"))
    assert "Case number" not in text_of(client.get(made.location))
    assert "Case number" not in text_of(client.get(f"/norddjurs/citizens/{record}/edit"))
    assert (
        client.submit(f"/norddjurs/citizens/{record}/edit", form_data("Archived Person")).status_code == 302
    )
    assert stored_lists(app)[("case_no", record)] == ["AB-12"]


def test_roles_limit_who_edits_and_who_sees_a_field(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "grant", FieldType.CHOICE, label_en="Grant", edit_roles=["admin"], required=True)
    add(app, fields_world, "diagnosis", label_en="Diagnosis", see_roles=["admin"], edit_roles=["admin"])
    add(app, fields_world, "case_no", label_en="Case number")
    admin = logged_in(make_client, fields_world, "admin")
    made = admin.submit(NEW, form_data("Role Person", grant="cash", diagnosis="secret-dx", case_no="A1"))
    assert made.status_code == 302
    record = record_id(made.location)
    coordinator = logged_in(make_client, fields_world)
    edit = f"/norddjurs/citizens/{record}/edit"
    form = text_of(coordinator.get(edit))
    assert "Grant" not in form and "Diagnosis" not in form and "Case number" in form
    # The coordinator's save keeps what only the admin may edit, even a bad value sent by hand.
    sent = form_data("Role Person", case_no="A2", grant="lottery", diagnosis="overwritten")
    assert coordinator.submit(edit, sent).status_code == 302
    values = stored_lists(app)
    assert values[("grant", record)] == ["cash"] and values[("diagnosis", record)] == ["secret-dx"]
    assert values[("case_no", record)] == ["A2"]
    page = text_of(coordinator.get(made.location))
    assert "Grant Cash benefit" in page and "Diagnosis" not in page
    assert "Diagnosis secret-dx" in text_of(admin.get(made.location))


@SQLITE_ONLY
def test_showing_a_sensitive_field_is_audited_with_its_key_only(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "diagnosis", label_en="Diagnosis", sensitive=True)
    add(app, fields_world, "case_no", label_en="Case number")
    client = logged_in(make_client, fields_world)
    made = client.submit(NEW, form_data("Sensitive Person", diagnosis="secret-dx", case_no="A1"))
    record = record_id(made.location)
    assert "Diagnosis secret-dx" in text_of(client.get(made.location))
    views = [d for action, d in audit_details(app) if d.get("what") == "municipal_fields_sensitive"]
    assert views == [{"what": "municipal_fields_sensitive", "fields": ["diagnosis"]}]
    with app.app_context():
        entry = (
            db_of(app)
            .session.scalars(
                select(AuditEntry).where(
                    AuditEntry.details["what"].as_string() == "municipal_fields_sensitive"
                )
            )
            .one()
        )
        assert (entry.action, entry.object_id) == ("view", record)
    assert "secret-dx" not in repr(audit_details(app))


@SQLITE_ONLY
def test_the_citizen_page_sends_as_many_statements_for_20_fields_as_for_1(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "f0", FieldType.CHOICES)
    client = logged_in(make_client, fields_world)
    made = client.submit(NEW, form_data("Counted Person", f0=["cash", "sick"]))
    page = made.location

    def statements() -> int:
        client.get(page)  # warm: the same caches for both counts
        with count_statements(app) as seen:
            assert client.get(page).status_code == 200
        return len(seen)

    one = statements()
    for n in range(1, 20):
        add(app, fields_world, f"f{n}", [FieldType.TEXT, FieldType.DATE, FieldType.CHOICE][n % 3])
    edit = page + "/edit"
    saved = client.submit(edit, form_data("Counted Person", f0=["cash"], f1="2026-01-02", f2="cash"))
    assert saved.status_code == 302, text_of(saved)
    assert "F1 Jan 2, 2026" in text_of(client.get(page))
    assert statements() == one
