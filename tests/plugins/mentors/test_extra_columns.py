"""The municipality's own fields in the mentor pool, as the coordinator meets them: each field is an optional
column and filter of the pool of the municipality that defined it (only there), a chosen column shows the
mentors' values, a filter narrows the pool together with its status filter (on SQLite and PostgreSQL), a
filter that cannot be read says so and the page still shows, and the pool's statements do not grow with
mentors or fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from broen.plugins.mentors.models import Mentor, MentorStatus
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import World, text_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    check_column_and_filter,
    check_list_statements_do_not_grow,
    fields_world_with,
    logged_in,
    put_values,
)

TARGET = "mentors_mentor"
LIST = "/norddjurs/mentors/"
CHECKS = [
    {"value": "done", "da": "Udført", "en": "Done"},
    {"value": "waiting", "da": "Afventer", "en": "Waiting"},
]

MakeMentor = Callable[..., Mentor]
fields_world = fields_world_with("mentors")


def mentors(
    app: Flask, make_mentor: MakeMentor, count: int, slug: str = "norddjurs", start: int = 0, **kwargs: Any
) -> list[int]:
    """`count` mentors of `slug` named "Mentor <n>" (from `start`), through the service; their ids in order."""
    with app.app_context():
        return [make_mentor(f"Mentor {n:02d}", slug=slug, **kwargs).id for n in range(start, start + count)]


def names(html: str) -> set[int]:
    return {int(n) for n in re.findall(r">Mentor (\d+)<", html)}


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_pool_only(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_field(app, fields_world, TARGET, "police", label_en="Police check")
    add_field(app, fields_world, TARGET, "years", FieldType.INTEGER, label_en="Years as mentor")
    ids = mentors(app, make_mentor, 2)
    put_values(app, fields_world, TARGET, ids, {"police": lambda n: f"Checked {n + 1}"})
    mentors(app, make_mentor, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world)
    check_column_and_filter(
        client,
        LIST,
        ("police", "Police check"),
        ["Checked 1", "Checked 2"],
        ("years", "Years as mentor"),
        names,
    )
    other = text_of(logged_in(make_client, fields_world, slug="silkeborg").get("/silkeborg/mentors/"))
    assert "Mentor 00" in other and "Police check" not in other and "More columns and filters" not in other


def test_a_choice_or_text_filter_narrows_the_pool_with_its_status_filter(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_field(app, fields_world, TARGET, "check", FieldType.CHOICE, label_en="Police check", choices=CHECKS)
    add_field(app, fields_world, TARGET, "note", label_en="Note")
    ids = mentors(app, make_mentor, 4) + mentors(app, make_mentor, 1, start=4, status=MentorStatus.LEFT)
    put_values(
        app,
        fields_world,
        TARGET,
        ids,
        {"check": lambda n: "done" if n % 2 else "waiting", "note": lambda n: "Bikes" if n < 2 else "Cooks"},
    )
    client = logged_in(make_client, fields_world)
    chosen = client.get(LIST, query_string={"municipal_fields__check": "waiting"})
    assert names(chosen.get_data(as_text=True)) == {0, 2}  # not 4, who left
    everyone = client.get(LIST, query_string={"municipal_fields__check": "waiting", "status": "all"})
    assert names(everyone.get_data(as_text=True)) == {0, 2, 4}
    both = client.get(LIST, query_string={"municipal_fields__check": "done", "municipal_fields__note": "BIK"})
    assert names(both.get_data(as_text=True)) == {1}
    none = client.get(LIST, query_string={"municipal_fields__note": "sings"})
    assert names(none.get_data(as_text=True)) == set()
    assert "No mentor matches the filters" in text_of(none)


@SQLITE_ONLY
def test_the_pools_statements_do_not_grow_with_mentors_or_fields(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    check_list_statements_do_not_grow(
        app,
        fields_world,
        logged_in(make_client, fields_world),
        TARGET,
        LIST,
        lambda count, start: mentors(app, make_mentor, count, start=start),
    )
