"""The municipality's own fields in the café course list, as the coordinator meets them: each field is an
optional column and filter of the list of the municipality that defined it (only there), a chosen column
shows the courses' values, a filter narrows the list (on SQLite and PostgreSQL), a filter that cannot be
read says so and the page still shows, and the list's statements do not grow with courses or fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from broen.plugins.cafe.models import Course
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

TARGET = "cafe_course"
LIST = "/norddjurs/cafe/"
HALLS = [
    {"value": "big", "da": "Store sal", "en": "Big hall"},
    {"value": "small", "da": "Lille sal", "en": "Small hall"},
]

MakeCourse = Callable[..., Course]
fields_world = fields_world_with("cafe")


def courses(
    app: Flask, make_course: MakeCourse, count: int, slug: str = "norddjurs", start: int = 0
) -> list[int]:
    """`count` courses of `slug` titled "Course <n>" (from `start`), through the service; their ids in
    order."""
    with app.app_context():
        return [make_course(slug=slug, title=f"Course {n:02d}").id for n in range(start, start + count)]


def titles(html: str) -> set[int]:
    return {int(n) for n in re.findall(r">Course (\d+)<", html)}


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_list_only(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_field(app, fields_world, TARGET, "hall", label_en="Booked hall")
    add_field(app, fields_world, TARGET, "chairs", FieldType.INTEGER, label_en="Chairs")
    ids = courses(app, make_course, 2)
    put_values(app, fields_world, TARGET, ids, {"hall": lambda n: f"Sal {n + 1}"})
    courses(app, make_course, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world)
    check_column_and_filter(
        client, LIST, ("hall", "Booked hall"), ["Sal 1", "Sal 2"], ("chairs", "Chairs"), titles
    )
    other = text_of(logged_in(make_client, fields_world, slug="silkeborg").get("/silkeborg/cafe/"))
    assert "Course 00" in other and "Booked hall" not in other and "More columns and filters" not in other


def test_a_choice_or_text_filter_narrows_the_list(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_field(app, fields_world, TARGET, "hall", FieldType.CHOICE, label_en="Booked hall", choices=HALLS)
    add_field(app, fields_world, TARGET, "note", label_en="Note")
    ids = courses(app, make_course, 4)
    put_values(
        app,
        fields_world,
        TARGET,
        ids,
        {"hall": lambda n: "big" if n % 2 else "small", "note": lambda n: "Coffee" if n < 2 else "Tea"},
    )
    client = logged_in(make_client, fields_world)
    chosen = client.get(LIST, query_string={"municipal_fields__hall": "big"})
    assert titles(chosen.get_data(as_text=True)) == {1, 3}
    both = client.get(LIST, query_string={"municipal_fields__hall": "big", "municipal_fields__note": "coff"})
    assert titles(both.get_data(as_text=True)) == {1}
    none = client.get(LIST, query_string={"municipal_fields__note": "juice"})
    assert titles(none.get_data(as_text=True)) == set()
    assert "No course matches the filters" in text_of(none)


@SQLITE_ONLY
def test_the_lists_statements_do_not_grow_with_courses_or_fields(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    check_list_statements_do_not_grow(
        app,
        fields_world,
        logged_in(make_client, fields_world),
        TARGET,
        LIST,
        lambda count, start: courses(app, make_course, count, start=start),
    )
