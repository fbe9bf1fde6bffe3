"""The municipality's own fields in the referrals overview and its CSV export, as the coordinator meets them:
each field is an optional column and filter of the overview of the municipality that defined it (only
there), a chosen column shows the referrals' values, a filter narrows the overview (on SQLite and
PostgreSQL) and the export, a filter that cannot be read says so and the page still shows, the export has
the fields that are not sensitive and a sensitive one only when chosen, and the overview's statements do
not grow with referrals or fields."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from broen.core.models import Citizen
from broen.plugins.municipal_fields.models import FieldType
from broen.plugins.relatives import services
from broen.plugins.relatives.models import ReferralKind, Relation
from broen.plugins.relatives.services import RelativeData
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    check_column_and_filter,
    check_list_statements_do_not_grow,
    export_rows,
    fields_world_with,
    put_values,
)
from tests.plugins.relatives.test_relatives import REFER, consent, logged_in

TARGET = "relatives_referral"
LIST = "/norddjurs/relatives/"
PLACES = [
    {"value": "grenaa", "da": "Grenaa", "en": "Grenaa"},
    {"value": "auning", "da": "Auning", "en": "Auning"},
]

fields_world = fields_world_with("relatives")


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


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_overview_only(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "case", label_en="Case number")
    add_field(app, fields_world, TARGET, "hours", FieldType.INTEGER, label_en="Hours granted")
    ids = referrals(app, fields_world, 2)
    put_values(app, fields_world, TARGET, ids, {"case": lambda n: f"SAG-{n + 1}"})
    referrals(app, fields_world, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world, slug="norddjurs")
    check_column_and_filter(
        client, LIST, ("case", "Case number"), ["SAG-1", "SAG-2"], ("hours", "Hours granted"), names
    )
    other = logged_in(make_client, fields_world, slug="silkeborg")
    page = text_of(other.get("/silkeborg/relatives/"))
    assert "Relative 00" in page and "Case number" not in page and "More columns and filters" not in page
    assert "Case number" not in other.get("/silkeborg/relatives/export.csv").get_data(as_text=True)


def test_a_choice_or_text_filter_narrows_the_overview(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "place", FieldType.CHOICE, label_en="Place", choices=PLACES)
    add_field(app, fields_world, TARGET, "note", label_en="Note")
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
    add_field(app, fields_world, TARGET, "case", label_en="Case number")
    add_field(app, fields_world, TARGET, "health", label_en="Health note", sensitive=True)
    ids = referrals(app, fields_world, 3)
    put_values(
        app,
        fields_world,
        TARGET,
        ids,
        {"case": lambda n: "=SUM(A1)" if n == 2 else f"SAG-{n}", "health": lambda n: f"private {n}"},
    )
    client = logged_in(make_client, fields_world, slug="norddjurs")
    rows = export_rows(client, LIST)
    assert rows[0][-2:] == ["Accepted", "Case number"]
    assert not any("private" in cell or "Health" in cell for row in rows for cell in row)
    by_relative = {row[1]: row for row in rows[1:]}
    assert by_relative["Relative 00 (Parent)"][-1] == "SAG-0"
    assert by_relative["Relative 02 (Parent)"][-1] == "'=SUM(A1)"  # not a formula in Excel

    chosen = export_rows(client, LIST, cols="municipal_fields__health", municipal_fields__case="sag-1")
    assert chosen[0][-2:] == ["Case number", "Health note"]
    assert [row[1:] for row in chosen[1:]] == [[*by_relative["Relative 01 (Parent)"][1:], "private 1"]]


@SQLITE_ONLY
def test_the_overviews_statements_do_not_grow_with_referrals_or_fields(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    check_list_statements_do_not_grow(
        app,
        fields_world,
        logged_in(make_client, fields_world, slug="norddjurs"),
        TARGET,
        LIST,
        lambda count, start: referrals(app, fields_world, count, start=start),
    )
