"""Changing a field's type: every stored value converted by the rules the record's form checks with (the pure
conversion, per pair of types that matters), and on the admin's edit page: all values converting saves at
once; values that do not convert are counted (never shown) and the change refused until the admin chooses
to keep them in an archived copy of the field or to delete them; the conversion's statements do not grow
with the number of values."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry
from broen.plugins.municipal_fields.convert import convert
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from tests.conftest import Client, World, db_of, text_of
from tests.plugins.municipal_fields.test_definitions import BASE, FORM, add, logged_in
from tests.plugins.municipal_fields.test_purge import store
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
T = FieldType
CHOICES = [{"value": v, "da": v.upper(), "en": v.title()} for v in ("a", "b", "c")]
#: (new type, stored texts of one record, the canonical texts they become, or None: they do not fit)
CASES: list[tuple[FieldType, list[str], list[str] | None]] = [
    (T.TEXT, [" Ib "], ["Ib"]),
    (T.TEXT, ["x" * 501], None),
    (T.TEXT, ["two\nlines"], None),
    (T.TEXT, ["true"], ["true"]),  # from yes/no
    (T.TEXT, ["a", "b"], None),  # several choices are not one text
    (T.LONG_TEXT, ["two\nlines"], ["two\nlines"]),
    (T.LONG_TEXT, ["x" * 4001], None),
    (T.INTEGER, ["12"], ["12"]),
    (T.INTEGER, ["12.0"], ["12"]),
    (T.INTEGER, ["-7,00"], ["-7"]),
    (T.INTEGER, ["12.5"], None),
    (T.INTEGER, ["twelve"], None),
    (T.INTEGER, ["1000000000000000"], None),
    (T.INTEGER, ["NaN"], None),
    (T.DECIMAL, ["12,50"], ["12.50"]),
    (T.DECIMAL, ["3"], ["3"]),
    (T.DECIMAL, ["Infinity"], None),
    (T.DECIMAL, ["12,5 kr"], None),
    (T.DATE, ["2026-03-05"], ["2026-03-05"]),
    (T.DATE, ["05-03-2026"], None),
    (T.DATE, ["2026-02-30"], None),
    (T.BOOLEAN, ["false"], ["false"]),
    (T.BOOLEAN, ["Ja"], ["true"]),
    (T.BOOLEAN, ["NO"], ["false"]),
    (T.BOOLEAN, ["1"], None),
    (T.CHOICE, ["b"], ["b"]),
    (T.CHOICE, ["d"], None),
    (T.CHOICE, ["B"], None),
    (T.CHOICE, ["a", "b"], None),  # several choices: only a record with one
    (T.CHOICES, ["c", "a"], ["a", "c"]),  # in the choices' order
    (T.CHOICES, ["a", "d"], None),
    (T.EMAIL, ["bo@example.dk"], ["bo@example.dk"]),
    (T.EMAIL, ["bo at example.dk"], None),
    (T.PHONE, ["+45 12 34 56 78"], ["+45 12 34 56 78"]),
    (T.PHONE, ["call me"], None),
    (T.URL, ["https://example.dk/bo"], ["https://example.dk/bo"]),
    (T.URL, ["example"], None),
]


def test_each_value_converts_by_the_rules_of_the_new_type_s_form() -> None:
    stored = {n: texts for n, (_type, texts, _want) in enumerate(CASES)}
    for n, (new_type, texts, want) in enumerate(CASES):
        result = convert({n: texts}, new_type, CHOICES)
        assert result.records == 1
        assert result.converted.get(n) == want, (new_type, texts)
        assert result.failed == ([] if want is not None else [n]), (new_type, texts)
    # Many records at once: each on its own, in order; a record without values is not counted.
    result = convert({**stored, 99: []}, T.TEXT, [])
    assert result.records == len(CASES)
    assert sorted([*result.converted, *result.failed]) == list(range(len(CASES)))
    assert list(result.converted) == sorted(result.converted) and result.failed == sorted(result.failed)
    assert result.converted[0] == ["Ib"] and 1 in result.failed


def values_of(app: Flask, field_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db_of(app).session.execute(
            select(FieldValue.record_id, FieldValue.value)
            .where(FieldValue.field_id == field_id)
            .order_by(FieldValue.record_id, FieldValue.id)
        )
        return [(r, v) for r, v in rows]


def field_row(app: Flask, key: str) -> FieldDefinition | None:
    with app.app_context():
        db = db_of(app)
        row: FieldDefinition | None = db.session.scalar(
            select(FieldDefinition).where(FieldDefinition.key == key)
        )
        db.session.expunge_all()
        return row


def edit(client: Client, field_id: int, **change: Any) -> Any:
    url = f"{BASE}/{field_id}/edit"
    return client.submit(url, {**FORM, "key": "", **change})


def seen_token(response: Any) -> str:
    match = re.search(r'name="misfits_seen" type="hidden" value="([^"]*)"', response.get_data(as_text=True))
    assert match, "no counts sent back"
    return match.group(1)


def test_text_to_whole_numbers_converts_every_value_and_says_how_many(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    field_id = add(app, fields_world, "hours", label_en="Hours")
    c = fields_world.citizens["silkeborg"]
    store(app, fields_world, field_id, [(c[0], "12"), (c[1], " 7 "), (c[2], "12.0")])
    client = logged_in(make_client, fields_world)
    assert '<option selected value="text">' in client.get(f"{BASE}/{field_id}/edit").get_data(as_text=True)
    response = edit(client, field_id, type="integer", label_en="Hours a week")
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The changes are saved. 3 values were converted to Whole number." in page
    assert "Hours a week hours Whole number" in page
    assert values_of(app, field_id) == [(c[0], "12"), (c[1], "7"), (c[2], "12")]
    field = field_row(app, "hours")
    assert field is not None and field.type == FieldType.INTEGER and field.label_en == "Hours a week"
    with app.app_context():
        details = (
            db_of(app)
            .session.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.object_type == "municipal_fields_field", AuditEntry.action == "update"
                )
            )
            .all()
        )
    assert len(details) == 1 and {"label_en", "type"} <= set(details[0].pop("fields"))
    assert details == [
        {
            "key": "hours",
            "old_type": "text",
            "new_type": "integer",
            "converted": 3,
            "not_converted": 0,
            "misfits": None,
            "copy_key": None,
        }
    ]


def test_values_that_do_not_convert_are_counted_and_kept_in_a_copy_or_deleted_as_the_admin_chooses(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    c = fields_world.citizens["silkeborg"]
    kept = add(app, fields_world, "hours", label_en="Hours", label_da="Timer", sensitive=True)
    dropped = add(app, fields_world, "amount", label_en="Amount")
    store(app, fields_world, kept, [(c[0], "12"), (c[1], "12.5")])
    store(app, fields_world, dropped, [(c[0], "3"), (c[1], "many")])
    client = logged_in(make_client, fields_world)
    typed = {"type": "integer", "label_en": "Hours a week", "label_da": "Timer", "sensitive": "y"}
    response = edit(client, kept, **typed)
    assert response.status_code == 400
    page = text_of(response)
    assert "1 of 2 values cannot become Whole number." in page and "Choose what happens to them." in page
    assert "12.5" not in page  # counts only
    assert 'value="Hours a week"' in response.get_data(as_text=True)  # what was typed stays
    token = seen_token(response)
    response = edit(client, kept, **typed, misfits_seen=token)  # no choice
    assert response.status_code == 400
    assert (
        "The values that cannot be converted: Choose what happens to the values that cannot be converted."
        in text_of(response)
    )
    assert values_of(app, kept) == [(c[0], "12"), (c[1], "12.5")]
    assert field_row(app, "hours").type == FieldType.TEXT  # type: ignore[union-attr]
    # A value written meanwhile changes the counts: the choice made for the old ones is not used.
    store(app, fields_world, kept, [(c[2], "secret words")])
    response = edit(client, kept, **typed, misfits="keep", misfits_seen=token)
    assert response.status_code == 400
    assert "The values changed while you chose: 2 of 3 values cannot become Whole number." in text_of(
        response
    )
    response = edit(client, kept, **typed, misfits="keep", misfits_seen=seen_token(response))
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "1 value was converted to Whole number." in page
    assert "2 values that did not fit are kept in the archived field Hours (before" in page
    assert values_of(app, kept) == [(c[0], "12")] and field_row(app, "hours").type == FieldType.INTEGER  # type: ignore[union-attr]
    copy = field_row(app, "hours_old")
    assert copy is not None and copy.archived_at is not None and copy.type == FieldType.TEXT
    assert re.fullmatch(r"Hours \(before \d{4}-\d\d-\d\d\)", copy.label_en) and copy.sensitive
    assert copy.label_da.startswith("Timer (")
    assert values_of(app, copy.id) == [(c[1], "12.5"), (c[2], "secret words")]
    # Once more: the next copy's key is free too.
    response = edit(client, kept, **{**typed, "type": "boolean"})
    response = edit(
        client, kept, **{**typed, "type": "boolean"}, misfits="keep", misfits_seen=seen_token(response)
    )
    assert response.status_code == 302
    copy2 = field_row(app, "hours_old2")
    assert (
        copy2 is not None and copy2.type == FieldType.INTEGER and values_of(app, copy2.id) == [(c[0], "12")]
    )
    # Delete: the values that do not fit go, the others are converted.
    response = edit(client, dropped, type="integer", label_en="Amount")
    assert "1 of 2 values cannot become Whole number." in text_of(response)
    response = edit(client, dropped, type="integer", misfits="delete", misfits_seen=seen_token(response))
    assert response.status_code == 302
    assert "1 value that did not fit was deleted." in text_of(client.get(response.location))
    assert values_of(app, dropped) == [(c[0], "3")]
    with app.app_context():
        entries = (
            db_of(app)
            .session.scalars(
                select(AuditEntry.details).where(
                    AuditEntry.object_type == "municipal_fields_field", AuditEntry.object_id == dropped
                )
            )
            .all()
        )
        trail = str(db_of(app).session.scalars(select(AuditEntry.details)).all())
    assert entries[-1]["misfits"] == "delete" and entries[-1]["not_converted"] == 1
    assert "secret words" not in trail and "many" not in trail


@SQLITE_ONLY
def test_several_choices_to_one_choice_refuses_a_record_with_more_than_one(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    c = fields_world.citizens["silkeborg"]
    field_id = add(app, fields_world, "support", FieldType.CHOICES, label_en="Support", choices=CHOICES)
    store(app, fields_world, field_id, [(c[0], "a"), (c[1], "a"), (c[1], "b"), (c[2], "c")])
    client = logged_in(make_client, fields_world)
    choices = "a | A | A\nb | B | B\nc | C | C"
    response = edit(client, field_id, type="choice", label_en="Support", choices=choices)
    assert response.status_code == 400
    assert "1 of 3 values cannot become One choice." in text_of(response)
    response = edit(
        client,
        field_id,
        type="choice",
        label_en="Support",
        choices=choices,
        misfits="delete",
        misfits_seen=seen_token(response),
    )
    assert response.status_code == 302
    assert values_of(app, field_id) == [(c[0], "a"), (c[2], "c")]
    assert field_row(app, "support").type == FieldType.CHOICE  # type: ignore[union-attr]


@SQLITE_ONLY
def test_converting_200_values_sends_as_many_statements_as_20(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, fields_world)

    def conversion(key: str, n: int) -> int:
        field_id = add(app, fields_world, key)
        store(app, fields_world, field_id, [(record_id, f"{record_id}.0") for record_id in range(1, n + 1)])
        url = f"{BASE}/{field_id}/edit"
        token = client.csrf_token(url)
        with count_statements(app) as seen:
            response = client.post(url, data={**FORM, "type": "integer", "csrf_token": token})
        assert response.status_code == 302
        assert values_of(app, field_id)[-1] == (n, str(n))  # rewritten: "12.0" became "12"
        assert sum(s.lstrip().upper().startswith("INSERT INTO MUNICIPAL_FIELDS_VALUE") for s in seen) == 1
        return len(seen)

    assert conversion("twenty", 20) == conversion("two_hundred", 200)
