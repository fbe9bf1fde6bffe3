"""The municipality's own fields in the café course list, as the coordinator meets them: each field is an
optional column and filter of the list of the municipality that defined it (only there), a chosen column
shows the courses' values, a filter narrows the list (on SQLite and PostgreSQL), a filter that cannot be
read says so and the page still shows, and the list's statements do not grow with courses or fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from broen.plugins.cafe.models import Course
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import Client, World, text_of
from tests.plugins.municipal_fields.helpers import add_text_field, numbered, put_values, turn_on
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TARGET = "cafe_course"
LIST = "/norddjurs/cafe/"
HALLS = [
    {"value": "big", "da": "Store sal", "en": "Big hall"},
    {"value": "small", "da": "Lille sal", "en": "Small hall"},
]

MakeCourse = Callable[..., Course]


@pytest.fixture
def fields_world(app: Flask, world: World) -> World:
    """The world with the café and the municipal fields on in both municipalities."""
    return turn_on(app, world, "cafe")


def courses(app: Flask, make_course: MakeCourse, count: int, slug: str = "norddjurs") -> list[int]:
    """`count` courses of `slug` titled "Course <n>", through the service; their ids in order."""
    with app.app_context():
        return [make_course(slug=slug, title=f"Course {n:02d}").id for n in range(count)]


def logged_in(make_client: Any, world: World, slug: str = "norddjurs") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, "coordinator")).status_code == 302
    return client


def titles(html: str) -> set[int]:
    return {int(n) for n in re.findall(r">Course (\d+)<", html)}


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_list_only(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_text_field(app, fields_world, TARGET, "hall", label_en="Booked hall")
    add_text_field(app, fields_world, TARGET, "chairs", label_en="Chairs", type=FieldType.INTEGER)
    ids = courses(app, make_course, 2)
    put_values(app, fields_world, TARGET, ids, {"hall": lambda n: f"Sal {n + 1}"})
    courses(app, make_course, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world)
    html = text_of(client.get(LIST))
    assert "More columns and filters" in html and "Booked hall" in html and "Sal 1" not in html
    shown = text_of(client.get(LIST, query_string={"cols": "municipal_fields__hall"}))
    assert "Booked hall" in shown and "Sal 1" in shown and "Sal 2" in shown
    bad = client.get(LIST, query_string={"municipal_fields__chairs.from": "many"})
    assert bad.status_code == 200
    assert "Some filters could not be used" in text_of(bad) and "Chairs: write a number" in text_of(bad)
    assert titles(bad.get_data(as_text=True)) == {0, 1}
    other = text_of(logged_in(make_client, fields_world, "silkeborg").get("/silkeborg/cafe/"))
    assert "Course 00" in other and "Booked hall" not in other and "More columns and filters" not in other


def test_a_choice_or_text_filter_narrows_the_list(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_text_field(
        app, fields_world, TARGET, "hall", label_en="Booked hall", type=FieldType.CHOICE, choices=HALLS
    )
    add_text_field(app, fields_world, TARGET, "note", label_en="Note")
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
    add_text_field(app, fields_world, TARGET, "f0", label_en="Field 0")
    ids = courses(app, make_course, 5)
    put_values(app, fields_world, TARGET, ids, {"f0": numbered("f0")})
    client = logged_in(make_client, fields_world)
    small_url = f"{LIST}?cols=municipal_fields__f0"
    client.get(small_url)  # warm caches
    with count_statements(app) as small:
        assert "f0-4" in text_of(client.get(small_url))

    keys = [f"f{i}" for i in range(10)]
    for key in keys[1:]:
        add_text_field(app, fields_world, TARGET, key, label_en=f"Field {key[1:]}")
    more = courses(app, make_course, 25)
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
