"""Helpers for the tests of the municipal fields, and of the other parts that show them on their records'
forms, pages and lists: fields and values made through the service or in bulk, what is stored, logging in,
and the checks every kind of record repeats (the fields on its forms, a column and filter of its list, the
statements of its page and list not growing with the number of fields)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select

from broen.core import accounts
from broen.plugins.municipal_fields import services
from broen.plugins.municipal_fields.models import FieldDefinition, FieldType, FieldValue
from broen.plugins.municipal_fields.services import FieldData
from tests.conftest import Client, World, db_of, text_of
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
STAFF = ("admin", "coordinator")
OWN_FIELDS = "The municipality's own fields"


def turn_on(app: Flask, world: World, *plugins: str) -> World:
    """The world with `plugins` and the municipal fields on in both municipalities."""
    with app.app_context():
        for m in world.municipalities.values():
            for plugin in (*plugins, "municipal_fields"):
                accounts.set_plugin_enabled(db_of(app), m, plugin, True)
    return world


def fields_world_with(*plugins: str) -> Any:
    """A `fields_world` fixture: the world with `plugins` and the municipal fields on in both
    municipalities (assign it to `fields_world` in the test module)."""

    @pytest.fixture
    def fields_world(app: Flask, world: World) -> World:
        return turn_on(app, world, *plugins)

    return fields_world


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "norddjurs") -> Client:
    """A client logged in as the `role` of `slug`."""
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def add_field(
    app: Flask,
    world: World,
    target: str,
    key: str,
    type_: FieldType = FieldType.TEXT,
    *,
    slug: str = "norddjurs",
    see_roles: Sequence[str] = STAFF,
    edit_roles: Sequence[str] = STAFF,
    **kwargs: Any,
) -> int:
    """A field of `slug`'s records of `target` (labelled `key.title()` unless `label_da`/`label_en` say
    otherwise; staff see and edit it unless the roles say otherwise), through the service; its id."""
    data = FieldData(
        target=target,
        key=key,
        label_da=kwargs.pop("label_da", key.title()),
        label_en=kwargs.pop("label_en", key.title()),
        type=type_,
        see_roles=list(see_roles),
        edit_roles=list(edit_roles),
        **kwargs,
    )
    with app.app_context():
        return services.create_field(
            db_of(app), world.municipalities[slug], world.user(slug, "admin"), data
        ).id


def stored_lists(app: Flask) -> dict[tuple[str, int], list[str]]:
    """Every stored value, by (field key, record id), in the order written."""
    with app.app_context():
        rows = db_of(app).session.execute(
            select(FieldDefinition.key, FieldValue.record_id, FieldValue.value)
            .join(FieldDefinition, FieldDefinition.id == FieldValue.field_id)
            .order_by(FieldValue.id)
        )
        values: dict[tuple[str, int], list[str]] = {}
        for key, record_id, value in rows:
            values.setdefault((key, record_id), []).append(value)
        return values


def stored(app: Flask) -> dict[tuple[str, int], str]:
    """Every stored value, by (field key, record id), of fields that hold one value each."""
    return {place: value for place, values in stored_lists(app).items() for value in values}


def put_values(
    app: Flask,
    world: World,
    target: str,
    ids: list[int],
    values: Mapping[str, Callable[[int], str | list[str]]],
    slug: str = "norddjurs",
) -> None:
    """For each field key of `target`, its text or texts (a function of the record's place n in `ids`) on
    every record, in bulk."""
    with app.app_context():
        db = db_of(app)
        municipality = world.municipalities[slug]
        fields = {
            key: field_id
            for key, field_id in db.session.execute(
                select(FieldDefinition.key, FieldDefinition.id).where(
                    FieldDefinition.municipality_id == municipality.id, FieldDefinition.target == target
                )
            )
        }
        rows = [
            {"municipality_id": municipality.id, "field_id": fields[key], "record_id": rid, "value": text}
            for key, make in values.items()
            for n, rid in enumerate(ids)
            for text in _texts(make(n))
        ]
        if rows:
            db.session.execute(insert(FieldValue), rows)
        db.session.commit()


def _texts(made: str | list[str]) -> list[str]:
    return [made] if isinstance(made, str) else made


def numbered(key: str) -> Callable[[int], str]:
    """The texts "<key>-<n>"."""
    return lambda n: f"{key}-{n}"


def count_rows(app: Flask, model: Any, *where: Any) -> int:
    """How many rows of `model` there are (that meet `where`)."""
    with app.app_context():
        return int(db_of(app).session.scalar(select(func.count()).select_from(model).where(*where)))


def record_id(location: str) -> int:
    """The id at the end of a record's address, e.g. where a form that made it sends the browser."""
    return int(location.rstrip("/").rsplit("/", 1)[1])


def export_rows(client: Any, list_url: str, **args: Any) -> list[list[str]]:
    """The rows of the CSV export of the list at `list_url`."""
    response = client.get(list_url + "export.csv", query_string=args)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def check_fields_on(client: Client, key: str, *urls: str) -> None:
    """Each form at `urls` has the field `key` among the municipality's own fields."""
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert f'name="municipal_fields__{key}"' in html and OWN_FIELDS in html, url


def check_no_fields_on(client: Client, *urls: str) -> None:
    """No form at `urls` has any of the municipality's own fields."""
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        assert "municipal_fields__" not in html and OWN_FIELDS not in html, url


def check_page_statements_with_ten_fields(
    app: Flask, world: World, client: Client, target: str, url: str
) -> None:
    """The page at `url`, showing a record of `target` whose municipality has one field ("f0"), sends as
    many statements when it has ten."""
    client.get(url)
    with count_statements(app) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 10):
        add_field(app, world, target, f"f{n}")
    with count_statements(app) as ten:
        page = client.get(url)
    assert page.status_code == 200 and "F9" in text_of(page)
    assert len(ten) == len(one)


def check_column_and_filter(
    client: Client,
    list_url: str,
    text_field: tuple[str, str],
    values: list[str],
    number_field: tuple[str, str],
    numbers: Callable[[str], set[int]],
) -> None:
    """On the list at `list_url`, whose records are numbered 0, 1... and have `values` in the text field
    (key, label), the text field is an optional column showing them, and a filter of the number field (key,
    label) that cannot be read says so and leaves the list whole (`numbers`: the records' numbers on a
    page)."""
    (text_key, text_label), (number_key, number_label) = text_field, number_field
    html = text_of(client.get(list_url))
    assert "More columns and filters" in html and text_label in html and values[0] not in html
    shown = text_of(client.get(list_url, query_string={"cols": f"municipal_fields__{text_key}"}))
    assert text_label in shown and all(value in shown for value in values)
    bad = client.get(list_url, query_string={f"municipal_fields__{number_key}.from": "many"})
    assert bad.status_code == 200
    assert "Some filters could not be used" in text_of(bad) and f"{number_label}: write a number" in text_of(
        bad
    )
    assert numbers(bad.get_data(as_text=True)) == set(range(len(values)))


def check_list_statements_do_not_grow(
    app: Flask,
    world: World,
    client: Client,
    target: str,
    list_url: str,
    make: Callable[[int, int], list[int]],
) -> None:
    """The list at `list_url` of records of `target` sends as many statements with 30 records and ten
    columns of fields as with 5 and one, and its next page keeps the columns (`make(count, start)`: ids of
    `count` new records numbered from `start`)."""
    add_field(app, world, target, "f0", label_en="Field 0")
    ids = make(5, 0)
    put_values(app, world, target, ids, {"f0": numbered("f0")})
    small_url = f"{list_url}?cols=municipal_fields__f0"
    client.get(small_url)  # warm caches
    with count_statements(app) as small:
        assert "f0-4" in text_of(client.get(small_url))

    keys = [f"f{i}" for i in range(10)]
    for key in keys[1:]:
        add_field(app, world, target, key, label_en=f"Field {key[1:]}")
    more = make(25, 5)
    put_values(app, world, target, more, {"f0": numbered("f0")})
    put_values(app, world, target, ids + more, {k: numbered(k) for k in keys[1:]})
    big_url = list_url + "?" + "&".join(f"cols=municipal_fields__{k}" for k in keys)
    with count_statements(app) as big:
        response = client.get(big_url)
    html = text_of(response)
    assert response.status_code == 200 and "Field 9" in html and "f9-" in html
    next_page = re.search(r'href="([^"]*page=2[^"]*)"', response.get_data(as_text=True))
    assert next_page and "cols=municipal_fields__f9" in next_page[1]  # the next page keeps the columns
    assert len(big) == len(small), "\n".join(big)
