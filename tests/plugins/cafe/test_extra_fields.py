"""The municipality's own fields on a café course, as the coordinator meets them: on the new-course and
edit forms and on the course's page of the municipality that defined them (only there), a required one
refused with its name and nothing saved, values saved with the course and changed by an edit, and the
course page's statements not growing with the number of fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from broen.plugins.cafe.models import Course
from broen.plugins.municipal_fields.models import FieldType
from tests.conftest import World, text_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    check_fields_on,
    check_no_fields_on,
    check_page_statements_with_ten_fields,
    count_rows,
    fields_world_with,
    logged_in,
    record_id,
    stored,
)

TARGET = "cafe_course"
BASE = "/norddjurs/cafe"
NEW = {
    "title": "Café i Grenaa",
    "venue": "Kulturhuset",
    "facilitators": "",
    "description": "",
    "capacity": "10",
    "first_date": "2026-10-13",
    "weekday": "",
    "start": "17:00",
    "count": "3",
    "minutes": "120",
}
DETAILS = {"title": "Café i Grenaa", "venue": "Kulturhuset", "facilitators": "", "description": ""}

MakeCourse = Callable[..., Course]
fields_world = fields_world_with("cafe")


def courses_titled(app: Flask, title: str) -> int:
    return count_rows(app, Course, Course.title == title)


@SQLITE_ONLY
def test_a_norddjurs_field_is_on_the_course_forms_and_page_in_norddjurs_only(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_field(app, fields_world, TARGET, "hall", label_en="Booked hall")
    with app.app_context():
        ours = make_course(slug="norddjurs").id
        theirs = make_course(slug="silkeborg").id
    client = logged_in(make_client, fields_world)
    check_fields_on(client, "hall", f"{BASE}/courses/new", f"{BASE}/courses/{ours}/edit")
    assert "Booked hall —" in text_of(client.get(f"{BASE}/courses/{ours}"))
    other = logged_in(make_client, fields_world, slug="silkeborg")
    check_no_fields_on(other, "/silkeborg/cafe/courses/new", f"/silkeborg/cafe/courses/{theirs}/edit")
    assert "Booked hall" not in text_of(other.get(f"/silkeborg/cafe/courses/{theirs}"))


@SQLITE_ONLY
def test_a_required_field_must_be_filled_and_without_it_nothing_is_saved(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_field(app, fields_world, TARGET, "hall", label_en="Booked hall", required=True)
    client = logged_in(make_client, fields_world)
    refused = client.submit(f"{BASE}/courses/new", {**NEW, "municipal_fields__hall": " "})
    assert refused.status_code == 400 and "Fill in Booked hall." in text_of(refused)
    assert 'value="Café i Grenaa"' in refused.get_data(as_text=True)  # what was typed stays
    assert courses_titled(app, "Café i Grenaa") == 0
    with app.app_context():
        course_id = make_course(slug="norddjurs", title="Café på vej").id
    edit = f"{BASE}/courses/{course_id}/edit"
    refused = client.submit(edit, {**DETAILS, "title": "Nyt navn", "capacity": "12"})
    assert refused.status_code == 400 and "Fill in Booked hall." in text_of(refused)
    assert courses_titled(app, "Nyt navn") == 0 and courses_titled(app, "Café på vej") == 1
    assert stored(app) == {}


def test_values_are_saved_with_the_course_shown_on_its_page_and_changed_by_an_edit(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "hall", label_en="Booked hall", required=True)
    add_field(app, fields_world, TARGET, "seats", FieldType.INTEGER, label_en="Chairs")
    client = logged_in(make_client, fields_world)
    made = client.submit(
        f"{BASE}/courses/new", {**NEW, "municipal_fields__hall": "Sal 2", "municipal_fields__seats": "14"}
    )
    assert made.status_code == 302
    course_id = record_id(made.location)
    assert stored(app) == {("hall", course_id): "Sal 2", ("seats", course_id): "14"}
    page = text_of(client.get(made.location))
    assert "Booked hall Sal 2" in page and "Chairs 14" in page
    edit = f"{BASE}/courses/{course_id}/edit"
    assert 'value="Sal 2"' in client.get(edit).get_data(as_text=True)
    changed = client.submit(
        edit,
        {**DETAILS, "venue": "Rådhuset", "capacity": "10"}
        | {"municipal_fields__hall": "Sal 3", "municipal_fields__seats": ""},
    )
    assert changed.status_code == 302
    assert stored(app) == {("hall", course_id): "Sal 3"}
    page = text_of(client.get(changed.location))
    assert "Booked hall Sal 3" in page and "Chairs —" in page and "Rådhuset" in page


@SQLITE_ONLY
def test_the_course_page_sends_as_many_statements_with_ten_fields_as_with_one(
    app: Flask, fields_world: World, make_client: Any, make_course: MakeCourse
) -> None:
    add_field(app, fields_world, TARGET, "f0")
    with app.app_context():
        url = f"{BASE}/courses/{make_course(slug='norddjurs').id}"
    check_page_statements_with_ten_fields(
        app, fields_world, logged_in(make_client, fields_world), TARGET, url
    )
