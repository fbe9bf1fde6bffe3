"""The municipality's own fields in the mentor pool, as the coordinator meets them: each field is an optional
column and filter of the pool of the municipality that defined it (only there), a chosen column shows the
mentors' values, a filter narrows the pool together with its status filter (on SQLite and PostgreSQL), a
filter that cannot be read says so and the page still shows, and the pool's statements do not grow with
mentors or fields."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from broen.plugins.mentors.models import Mentor, MentorStatus
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import Client, World, text_of
from tests.plugins.municipal_fields.helpers import add_text_field, numbered, put_values, turn_on
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TARGET = "mentors_mentor"
LIST = "/norddjurs/mentors/"
CHECKS = [
    {"value": "done", "da": "Udført", "en": "Done"},
    {"value": "waiting", "da": "Afventer", "en": "Waiting"},
]

MakeMentor = Callable[..., Mentor]


@pytest.fixture
def fields_world(app: Flask, world: World) -> World:
    """The world with the mentors and the municipal fields on in both municipalities."""
    return turn_on(app, world, "mentors")


def mentors(
    app: Flask, make_mentor: MakeMentor, count: int, slug: str = "norddjurs", start: int = 0, **kwargs: Any
) -> list[int]:
    """`count` mentors of `slug` named "Mentor <n>" (from `start`), through the service; their ids in order."""
    with app.app_context():
        return [make_mentor(f"Mentor {n:02d}", slug=slug, **kwargs).id for n in range(start, start + count)]


def logged_in(make_client: Any, world: World, slug: str = "norddjurs") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, "coordinator")).status_code == 302
    return client


def names(html: str) -> set[int]:
    return {int(n) for n in re.findall(r">Mentor (\d+)<", html)}


@SQLITE_ONLY
def test_a_norddjurs_field_is_a_column_and_filter_of_the_norddjurs_pool_only(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_text_field(app, fields_world, TARGET, "police", label_en="Police check")
    add_text_field(app, fields_world, TARGET, "years", label_en="Years as mentor", type=FieldType.INTEGER)
    ids = mentors(app, make_mentor, 2)
    put_values(app, fields_world, TARGET, ids, {"police": lambda n: f"Checked {n + 1}"})
    mentors(app, make_mentor, 1, slug="silkeborg")
    client = logged_in(make_client, fields_world)
    html = text_of(client.get(LIST))
    assert "More columns and filters" in html and "Police check" in html and "Checked 1" not in html
    shown = text_of(client.get(LIST, query_string={"cols": "municipal_fields__police"}))
    assert "Police check" in shown and "Checked 1" in shown and "Checked 2" in shown
    bad = client.get(LIST, query_string={"municipal_fields__years.from": "many"})
    assert bad.status_code == 200
    assert "Some filters could not be used" in text_of(bad) and "Years as mentor: write a number" in text_of(
        bad
    )
    assert names(bad.get_data(as_text=True)) == {0, 1}
    other = text_of(logged_in(make_client, fields_world, "silkeborg").get("/silkeborg/mentors/"))
    assert "Mentor 00" in other and "Police check" not in other and "More columns and filters" not in other


def test_a_choice_or_text_filter_narrows_the_pool_with_its_status_filter(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_text_field(
        app, fields_world, TARGET, "check", label_en="Police check", type=FieldType.CHOICE, choices=CHECKS
    )
    add_text_field(app, fields_world, TARGET, "note", label_en="Note")
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
    add_text_field(app, fields_world, TARGET, "f0", label_en="Field 0")
    ids = mentors(app, make_mentor, 5)
    put_values(app, fields_world, TARGET, ids, {"f0": numbered("f0")})
    client = logged_in(make_client, fields_world)
    small_url = f"{LIST}?cols=municipal_fields__f0"
    client.get(small_url)  # warm caches
    with count_statements(app) as small:
        assert "f0-4" in text_of(client.get(small_url))

    keys = [f"f{i}" for i in range(10)]
    for key in keys[1:]:
        add_text_field(app, fields_world, TARGET, key, label_en=f"Field {key[1:]}")
    more = mentors(app, make_mentor, 25, start=5)
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
