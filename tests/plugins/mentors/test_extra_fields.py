"""The municipality's own fields on a volunteer mentor, as the coordinator meets them: on the new-mentor and
edit forms and on the mentor's page of the municipality that defined them (only there), a required one
refused with its name and nothing saved, values saved with the mentor and changed by an edit, and the
mentor's page's statements not growing with the number of fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from broen.plugins.mentors.models import Mentor
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

TARGET = "mentors_mentor"
BASE = "/norddjurs/mentors"
FORM = {
    "name": "Hanne Holm",
    "email": "hanne@example.org",
    "phone": "12 34 56 78",
    "background": "retired",
    "work_experience": "",
    "interests": "",
    "area": "Grenaa",
    "availability": ["0-0"],
    "capacity": "2",
    "contact_forms": ["1"],
}

MakeMentor = Callable[..., Mentor]
fields_world = fields_world_with("mentors")


def mentors_named(app: Flask, name: str) -> int:
    return count_rows(app, Mentor, Mentor.name == name)


@SQLITE_ONLY
def test_a_norddjurs_field_is_on_the_mentor_forms_and_page_in_norddjurs_only(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_field(app, fields_world, TARGET, "police", label_en="Police check done on")
    with app.app_context():
        ours = make_mentor("Ole Olsen", slug="norddjurs").id
        theirs = make_mentor("Sif Sand", slug="silkeborg").id
    client = logged_in(make_client, fields_world)
    check_fields_on(client, "police", f"{BASE}/new", f"{BASE}/{ours}/edit")
    assert "Police check done on —" in text_of(client.get(f"{BASE}/{ours}"))
    other = logged_in(make_client, fields_world, slug="silkeborg")
    check_no_fields_on(other, "/silkeborg/mentors/new", f"/silkeborg/mentors/{theirs}/edit")
    assert "Police check" not in text_of(other.get(f"/silkeborg/mentors/{theirs}"))


@SQLITE_ONLY
def test_a_required_field_must_be_filled_and_without_it_nothing_is_saved(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_field(app, fields_world, TARGET, "police", label_en="Police check", required=True)
    client = logged_in(make_client, fields_world)
    refused = client.submit(f"{BASE}/new", FORM)
    assert refused.status_code == 400 and "Fill in Police check." in text_of(refused)
    assert 'value="Hanne Holm"' in refused.get_data(as_text=True)  # what was typed stays
    assert mentors_named(app, "Hanne Holm") == 0
    with app.app_context():
        mentor_id = make_mentor("Ole Olsen", slug="norddjurs").id
    refused = client.submit(f"{BASE}/{mentor_id}/edit", {**FORM, "name": "Ole Omdøbt"})
    assert refused.status_code == 400 and "Fill in Police check." in text_of(refused)
    assert mentors_named(app, "Ole Omdøbt") == 0 and mentors_named(app, "Ole Olsen") == 1
    assert stored(app) == {}


def test_values_are_saved_with_the_mentor_shown_on_their_page_and_changed_by_an_edit(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "police", label_en="Police check", required=True)
    add_field(app, fields_world, TARGET, "course", FieldType.BOOLEAN, label_en="Introduction course")
    client = logged_in(make_client, fields_world)
    made = client.submit(
        f"{BASE}/new", {**FORM, "municipal_fields__police": "OK 2026", "municipal_fields__course": "y"}
    )
    assert made.status_code == 302
    mentor_id = record_id(made.location)
    assert stored(app) == {("police", mentor_id): "OK 2026", ("course", mentor_id): "true"}
    page = text_of(client.get(made.location))
    assert "Police check OK 2026" in page and "Introduction course Yes" in page
    edit = f"{BASE}/{mentor_id}/edit"
    assert 'value="OK 2026"' in client.get(edit).get_data(as_text=True)
    changed = client.submit(edit, {**FORM, "municipal_fields__police": "Fornyet 2027"})  # course unticked
    assert changed.status_code == 302
    assert stored(app) == {("police", mentor_id): "Fornyet 2027", ("course", mentor_id): "false"}
    page = text_of(client.get(changed.location))
    assert "The changes are saved." in page and "Police check Fornyet 2027" in page
    assert "Introduction course No" in page


@SQLITE_ONLY
def test_the_mentor_page_sends_as_many_statements_with_ten_fields_as_with_one(
    app: Flask, fields_world: World, make_client: Any, make_mentor: MakeMentor
) -> None:
    add_field(app, fields_world, TARGET, "f0")
    with app.app_context():
        url = f"{BASE}/{make_mentor('Ole Olsen', slug='norddjurs').id}"
    check_page_statements_with_ten_fields(
        app, fields_world, logged_in(make_client, fields_world), TARGET, url
    )
