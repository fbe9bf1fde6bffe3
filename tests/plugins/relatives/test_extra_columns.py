"""The municipality's own fields in the referrals overview and its CSV export, as the coordinator meets them:
each field is an optional column and filter of the overview of the municipality that defined it (only
there), a chosen column shows the referrals' values, a filter narrows the overview (on SQLite and
PostgreSQL) and the export, a filter that cannot be read says so and the page still shows, the export has
the fields that are not sensitive and a sensitive one only when chosen, and the overview's statements do
not grow with referrals or fields."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask

from broen.core.models import Citizen
from broen.plugins.municipal_fields.models import FieldType
from broen.plugins.relatives import services
from broen.plugins.relatives.models import ReferralKind, Relation
from broen.plugins.relatives.services import RelativeData
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.helpers import add_text_field, numbered, put_values, turn_on
from tests.plugins.relatives.test_relatives import REFER, consent, logged_in
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TARGET = "relatives_referral"
LIST = "/norddjurs/relatives/"
PLACES = [
    {"value": "grenaa", "da": "Grenaa", "en": "Grenaa"},
    {"value": "auning", "da": "Auning", "en": "Auning"},
]


@pytest.fixture
def fields_world(app: Flask, world: World) -> World:
    """The world with the relatives and the municipal fields on in both municipalities."""
    return turn_on(app, world, "relatives")


def referrals(app: Flask, world: World, count: int, slug: str = "norddjurs", start: int = 0) -> list[int]:
    """`count` proposed referrals of new relatives "Relative <n>" (from `start`) of the first citizen of
    `slug`, through the services; their ids in order."""
    with app.app_context():
        db = db_of(app)
        found = db.session.get_one(Citizen, world.citizens[slug][0])
        by = world.user(slug, "coordinator")
        ids = []
        for n in range(start, start + count):
            data = RelativeData(name=f"Relative {n:02d}", relation=Relation.PARENT)
            relative = services.add_relative(db, found, by, consent(**REFER), data)
            ids.append(services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL).id)
        return ids


def names(html: str) -> set[int]:
    return {int(n) for n in re.findall(r">Relative (\d+) \(", html)}


def export_rows(client: Any, **args: Any) -> list[list[str]]:
    response = client.get(LIST + "export.csv", query_string=args)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_overview_only(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_text_field(app, fields_world, TARGET, "case", label_en="Case number")
    add_text_field(app, fields_world, TARGET, "hours", label_en="Hours granted", type=FieldType.INTEGER)
    ids = referrals(app, fields_world, 2)
    put_values(app, fields_world, TARGET, ids, {"case": lambda n: f"SAG-{n + 1}"})
    referrals(app, fields_world, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world, slug="norddjurs")
    html = text_of(client.get(LIST))
    assert "More columns and filters" in html and "Case number" in html and "SAG-1" not in html
    shown = text_of(client.get(LIST, query_string={"cols": "municipal_fields__case"}))
    assert "Case number" in shown and "SAG-1" in shown and "SAG-2" in shown
    bad = client.get(LIST, query_string={"municipal_fields__hours.from": "many"})
    assert bad.status_code == 200
    assert "Some filters could not be used" in text_of(bad) and "Hours granted: write a number" in text_of(
        bad
    )
    assert names(bad.get_data(as_text=True)) == {0, 1}
    other = logged_in(make_client, fields_world, slug="silkeborg")
    page = text_of(other.get("/silkeborg/relatives/"))
    assert "Relative 00" in page and "Case number" not in page and "More columns and filters" not in page
    assert "Case number" not in other.get("/silkeborg/relatives/export.csv").get_data(as_text=True)


def test_a_choice_or_text_filter_narrows_the_overview(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_text_field(
        app, fields_world, TARGET, "place", label_en="Place", type=FieldType.CHOICE, choices=PLACES
    )
    add_text_field(app, fields_world, TARGET, "note", label_en="Note")
    ids = referrals(app, fields_world, 4)
    put_values(
        app,
        fields_world,
        TARGET,
        ids,
        {"place": lambda n: "auning" if n % 2 else "grenaa", "note": lambda n: "Evening" if n < 2 else "Day"},
    )
    client = logged_in(make_client, fields_world, slug="norddjurs")
    chosen = client.get(LIST, query_string={"municipal_fields__place": "auning"})
    assert names(chosen.get_data(as_text=True)) == {1, 3}
    both = client.get(
        LIST, query_string={"municipal_fields__place": "auning", "municipal_fields__note": "EVEN"}
    )
    html = both.get_data(as_text=True)
    assert names(html) == {1}
    assert "export.csv?municipal_fields__place=auning&amp;municipal_fields__note=EVEN" in html
    none = client.get(LIST, query_string={"municipal_fields__note": "night"})
    assert names(none.get_data(as_text=True)) == set()
    assert "No referral matches the filters" in text_of(none)


@SQLITE_ONLY
def test_the_export_has_the_fields_a_sensitive_one_only_when_chosen_and_follows_the_filter(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_text_field(app, fields_world, TARGET, "case", label_en="Case number")
    add_text_field(app, fields_world, TARGET, "health", label_en="Health note", sensitive=True)
    ids = referrals(app, fields_world, 3)
    put_values(
        app,
        fields_world,
        TARGET,
        ids,
        {"case": lambda n: "=SUM(A1)" if n == 2 else f"SAG-{n}", "health": lambda n: f"private {n}"},
    )
    client = logged_in(make_client, fields_world, slug="norddjurs")
    rows = export_rows(client)
    assert rows[0][-2:] == ["Accepted", "Case number"]
    assert not any("private" in cell or "Health" in cell for row in rows for cell in row)
    by_relative = {row[1]: row for row in rows[1:]}
    assert by_relative["Relative 00 (Parent)"][-1] == "SAG-0"
    assert by_relative["Relative 02 (Parent)"][-1] == "'=SUM(A1)"  # not a formula in Excel

    chosen = export_rows(client, cols="municipal_fields__health", municipal_fields__case="sag-1")
    assert chosen[0][-2:] == ["Case number", "Health note"]
    assert [row[1:] for row in chosen[1:]] == [[*by_relative["Relative 01 (Parent)"][1:], "private 1"]]


@SQLITE_ONLY
def test_the_overviews_statements_do_not_grow_with_referrals_or_fields(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_text_field(app, fields_world, TARGET, "f0", label_en="Field 0")
    ids = referrals(app, fields_world, 5)
    put_values(app, fields_world, TARGET, ids, {"f0": numbered("f0")})
    client = logged_in(make_client, fields_world, slug="norddjurs")
    small_url = f"{LIST}?cols=municipal_fields__f0"
    client.get(small_url)  # warm caches
    with count_statements(app) as small:
        assert "f0-4" in text_of(client.get(small_url))

    keys = [f"f{i}" for i in range(10)]
    for key in keys[1:]:
        add_text_field(app, fields_world, TARGET, key, label_en=f"Field {key[1:]}")
    more = referrals(app, fields_world, 25, start=5)
    put_values(app, fields_world, TARGET, more, {"f0": numbered("f0")})
    put_values(app, fields_world, TARGET, ids + more, {k: numbered(k) for k in keys[1:]})
    big_url = LIST + "?" + "&".join(f"cols=municipal_fields__{k}" for k in keys)
    with count_statements(app) as big:
        response = client.get(big_url)
    html = text_of(response)
    assert response.status_code == 200 and "Field 9" in html and "f9-" in html
    next_page = re.search(r'href="([^"]*page=2[^"]*)"', response.get_data(as_text=True))
    assert next_page and "cols=municipal_fields__f9" in next_page[1]  # the next page keeps the columns
    assert len(big) == len(small), "\n".join(big)
