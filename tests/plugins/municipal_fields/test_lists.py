"""The municipal fields in the citizen list and its CSV export, as staff use them: each field is an optional
column and a filter in the municipality that defined it (only there, and only for the roles that may see it);
filters of every kind narrow the whole list on SQLite and PostgreSQL; a filter that cannot be read says so;
the export has the fields that are not sensitive, and a sensitive one only when chosen (audited); and the
list's statements do not grow with the number of citizens or fields (2,000 citizens, 20 fields)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert, select

from broen.core.models import AuditEntry, Citizen, CitizenStatus
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.helpers import SQLITE_ONLY, export_rows, logged_in, put_values
from tests.plugins.municipal_fields.test_values import add
from tests.sqlcount import count_statements

LIST = "/norddjurs/citizens/"


def seed(app: Flask, world: World, count: int, values: dict[str, Any], slug: str = "norddjurs") -> list[int]:
    """`count` citizens named "Person <n>" (bulk, as a big municipality's data would be), with `values`
    (field key → function of n giving the stored texts) for each."""
    with app.app_context():
        db = db_of(app)
        municipality = world.municipalities[slug]
        rows = [
            {
                "municipality_id": municipality.id,
                "name": f"Person {n:04d}",
                "search_name": f"person {n:04d}",
                "status": CitizenStatus.ACTIVE,
                "status_since": date(2026, 1, 1),
            }
            for n in range(count)
        ]
        ids = list(db.session.scalars(insert(Citizen).returning(Citizen.id), rows))
        db.session.commit()
    put_values(app, world, "citizen", ids, values, slug)
    return ids


def names_in(html: str) -> set[str]:
    return {part.split("<", 1)[0] for part in html.split(">Person ")[1:]}


@SQLITE_ONLY
def test_the_list_pages_statements_do_not_grow_with_citizens_or_fields(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    client = logged_in(make_client, fields_world)
    add(app, fields_world, "f00", FieldType.TEXT, label_en="Field 00")
    seed(app, fields_world, 30, {"f00": lambda n: [f"v{n}"]})
    small_url = f"{LIST}?cols=municipal_fields__f00"
    client.get(small_url)  # warm caches
    with count_statements(app) as small:
        html = text_of(client.get(small_url))
    assert "v1" in html

    for i in range(1, 20):
        add(app, fields_world, f"f{i:02d}", FieldType.TEXT, label_en=f"Field {i:02d}")
    keys = [f"f{i:02d}" for i in range(20)]
    seed(app, fields_world, 2000, {k: (lambda n, k=k: [f"{k}-{n}"]) for k in keys})
    big_url = LIST + "?" + "&".join(f"cols=municipal_fields__{k}" for k in keys)
    with count_statements(app) as big:
        response = client.get(big_url)
    html = text_of(response)
    assert response.status_code == 200
    assert int(re.search(r"(\d+) citizens found", html)[1]) >= 2030  # type: ignore[index]
    assert "f19-" in html and "Field 19" in html  # the 20th column, with values
    assert len(big) == len(small), "\n".join(big)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_kind_of_filter_narrows_the_whole_list(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "case_no", FieldType.TEXT, label_en="Case number")
    add(app, fields_world, "hours", FieldType.INTEGER, label_en="Hours")
    add(app, fields_world, "rate", FieldType.DECIMAL, label_en="Rate")
    add(app, fields_world, "started", FieldType.DATE, label_en="Started")
    add(app, fields_world, "bike", FieldType.BOOLEAN, label_en="Has a bike")
    add(app, fields_world, "benefit", FieldType.CHOICE, label_en="Benefit")
    add(app, fields_world, "support", FieldType.CHOICES, label_en="Support")
    seed(
        app,
        fields_world,
        40,
        {
            "case_no": lambda n: ["ÆRØ-07" if n == 7 else f"AB-{n:02d}" if n % 2 else f"cd-{n:02d}"],
            "hours": lambda n: [str(n)],
            "rate": lambda n: [f"{n}.5"],
            "started": lambda n: [date(2026, 1, 1 + n % 28).isoformat()],
            "bike": lambda n: ["true"] if n % 4 == 0 else (["false"] if n % 4 == 1 else []),
            "benefit": lambda n: ["cash" if n < 10 else "sick"],
            "support": lambda n: ["cash", "none"] if n % 5 == 0 else ["sick"],
        },
    )
    # Silkeborg's citizens never show up, whatever the filter.
    seed(app, fields_world, 5, {}, slug="silkeborg")
    client = logged_in(make_client, fields_world)

    def found(**args: str) -> set[int]:
        response = client.get(LIST, query_string=args)
        assert response.status_code == 200
        shown = {int(name) for name in names_in(response.get_data(as_text=True))}
        pages = client.get(LIST, query_string={**args, "page": "2"})
        shown |= {int(name) for name in names_in(pages.get_data(as_text=True))}
        return shown

    assert found(municipal_fields__case_no="ab-1") == {11, 13, 15, 17, 19}  # case does not matter
    assert found(municipal_fields__case_no="ærø") == {7}  # nor for æ, ø and å, on SQLite too
    assert found(municipal_fields__case_no="cd", q="person 003") == {30, 32, 34, 36, 38}
    assert found(**{"municipal_fields__hours.from": "5", "municipal_fields__hours.to": "8"}) == {5, 6, 7, 8}
    assert found(**{"municipal_fields__hours.from": "38"}) == {38, 39}
    assert found(**{"municipal_fields__rate.to": "2,5"}) == {0, 1, 2}  # a Danish decimal comma
    assert found(
        **{"municipal_fields__started.from": "2026-01-27", "municipal_fields__started.to": "2026-01-28"}
    ) == {26, 27}
    assert found(municipal_fields__bike="true") == set(range(0, 40, 4))
    assert found(municipal_fields__bike="false") == set(range(40)) - set(range(0, 40, 4))  # no value: no
    assert found(municipal_fields__benefit="cash") == set(range(10))
    assert found(municipal_fields__support="none") == set(range(0, 40, 5))
    assert found(municipal_fields__support="sick", municipal_fields__benefit="cash") == {
        1,
        2,
        3,
        4,
        6,
        7,
        8,
        9,
    }


@SQLITE_ONLY
def test_a_filter_that_cannot_be_read_says_which_and_the_rest_still_work(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "hours", FieldType.INTEGER, label_en="Hours a week")
    add(app, fields_world, "benefit", FieldType.CHOICE, label_en="Benefit")
    seed(app, fields_world, 3, {"hours": lambda n: [str(n)], "benefit": lambda n: ["cash"] if n else []})
    client = logged_in(make_client, fields_world)
    response = client.get(
        LIST,
        query_string={
            "municipal_fields__hours.from": "lots",
            "municipal_fields__benefit": "cash",
            "cols": ["municipal_fields__hours", "municipal_fields__nope"],
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some filters could not be used" in html and "Hours a week: write a number" in html
    assert 'value="lots"' in html  # what was typed stays in the box
    assert names_in(html) == {"0001", "0002"}  # the choice filter still applies
    assert '<th scope="col">Hours a week</th>' in html  # the unknown column is ignored
    bad_choice = text_of(client.get(LIST, query_string={"municipal_fields__benefit": "gold"}))
    assert "Benefit: choose among the choices shown" in bad_choice


@SQLITE_ONLY
def test_columns_and_filters_follow_the_municipality_and_the_role(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "case_no", FieldType.TEXT, label_en="Case number")
    add(
        app,
        fields_world,
        "admin_note",
        FieldType.TEXT,
        label_en="Admin note",
        see_roles=["admin"],
        edit_roles=["admin"],
    )
    seed(app, fields_world, 2, {"admin_note": lambda n: [f"secret {n}"], "case_no": lambda n: ["<b>AB</b>"]})
    admin = text_of(logged_in(make_client, fields_world, "admin").get(LIST))
    assert "More columns and filters" in admin and "Admin note" in admin and "Case number" in admin
    coordinator = logged_in(make_client, fields_world)
    html = coordinator.get(LIST).get_data(as_text=True)
    assert "Case number" in html and "Admin note" not in html
    shown = coordinator.get(LIST, query_string={"cols": "municipal_fields__case_no"}).get_data(as_text=True)
    assert '<td data-title="Case number">&lt;b&gt;AB&lt;/b&gt;</td>' in shown and "<b>AB" not in shown
    # Asking for the column or filtering by it through the address does not help.
    sneaky = coordinator.get(
        LIST,
        query_string={"cols": "municipal_fields__admin_note", "municipal_fields__admin_note": "secret 1"},
    )
    assert "secret" not in text_of(sneaky) and "Admin note" not in text_of(sneaky)
    assert names_in(sneaky.get_data(as_text=True)) == {"0000", "0001"}
    silkeborg = text_of(logged_in(make_client, fields_world, slug="silkeborg").get("/silkeborg/citizens/"))

    assert "Case number" not in silkeborg and "More columns and filters" not in silkeborg


@SQLITE_ONLY
def test_the_export_has_the_fields_and_a_sensitive_one_only_when_chosen(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add(app, fields_world, "case_no", FieldType.TEXT, label_en="Case number")
    add(app, fields_world, "started", FieldType.DATE, label_en="Started")
    add(app, fields_world, "diagnosis", FieldType.TEXT, label_en="Diagnosis", sensitive=True)
    ids = seed(
        app,
        fields_world,
        3,
        {
            "case_no": lambda n: [f"=HYPERLINK({n})" if n == 2 else f"AB-{n}"],
            "started": lambda n: ["2026-03-05"] if n == 0 else [],
            "diagnosis": lambda n: [f"private {n}"],
        },
    )
    client = logged_in(make_client, fields_world)
    rows = export_rows(client, LIST, q="person")
    assert rows[0][-2:] == ["Case number", "Started"]
    assert "Diagnosis" not in rows[0] and not any("private" in cell for row in rows for cell in row)
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Person 0000"][-2:] == ["AB-0", "Mar 5, 2026"]
    assert by_name["Person 0002"][-2] == "'=HYPERLINK(2)"  # not a formula in Excel

    chosen = export_rows(
        client, LIST, q="person", cols="municipal_fields__diagnosis", municipal_fields__case_no="ab-1"
    )
    assert chosen[0][-3:] == ["Case number", "Started", "Diagnosis"]
    assert [row[0] for row in chosen[1:]] == ["Person 0001"]
    assert chosen[1][-1] == "private 1"
    with app.app_context():
        entries = list(
            db_of(app).session.scalars(
                select(AuditEntry.details).where(AuditEntry.action == "view", AuditEntry.object_id.is_(None))
            )
        )
    assert entries and entries[-1]["fields"] == ["diagnosis"] and entries[-1]["records"] == [ids[1]]
    assert "private" not in str(entries)
