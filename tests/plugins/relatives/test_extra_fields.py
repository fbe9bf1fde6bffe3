"""The municipality's own fields on a referral of a relative, as the coordinator meets them: on the form that
proposes a referral, on the referral's page and on its own fields page (a referral has no other edit form:
the public's intake form makes many of them) of the municipality that defined them (only there), a
required one refused with its name and nothing saved, values saved with the referral and changed later,
and the referral page's statements not growing with the number of fields."""

from __future__ import annotations

from typing import Any

from flask import Flask

from broen.plugins.municipal_fields.models import FieldType
from broen.plugins.relatives import services
from broen.plugins.relatives.models import Referral, ReferralKind, Relative
from tests.conftest import World, db_of, text_of
from tests.plugins.municipal_fields.helpers import (
    SQLITE_ONLY,
    add_field,
    check_fields_on,
    check_no_fields_on,
    check_page_statements_with_ten_fields,
    count_rows,
    fields_world_with,
    record_id,
    stored,
)
from tests.plugins.relatives.test_relatives import REFER, add_relative, consent, logged_in

TARGET = "relatives_referral"
BASE = "/norddjurs/relatives"
PROPOSE = {"kind": "individual", "course_id": ""}
fields_world = fields_world_with("relatives")


def referral_of(app: Flask, world: World, slug: str = "norddjurs") -> int:
    """A proposed referral of a new relative of the first citizen of `slug`, through the service."""
    relative_id = add_relative(app, world, given=consent(**REFER), slug=slug)
    with app.app_context():
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        by = world.user(slug, "coordinator")
        return services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL).id


def referrals(app: Flask) -> int:
    return count_rows(app, Referral)


@SQLITE_ONLY
def test_a_norddjurs_field_is_on_the_referral_forms_and_page_in_norddjurs_only(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "case", label_en="Case number")
    relative_id = add_relative(app, fields_world, given=consent(**REFER), slug="norddjurs")
    ours = referral_of(app, fields_world)
    theirs = referral_of(app, fields_world, "silkeborg")
    client = logged_in(make_client, fields_world, slug="norddjurs")
    check_fields_on(client, "case", f"{BASE}/{relative_id}/refer", f"{BASE}/referrals/{ours}/fields")
    page = client.get(f"{BASE}/referrals/{ours}").get_data(as_text=True)
    assert "Case number —" in text_of(client.get(f"{BASE}/referrals/{ours}"))
    assert f"/referrals/{ours}/fields" in page  # the way to fill them in
    other = logged_in(make_client, fields_world, slug="silkeborg")
    silkeborg_relative = add_relative(app, fields_world, given=consent(**REFER))
    check_no_fields_on(other, f"/silkeborg/relatives/{silkeborg_relative}/refer")
    page = other.get(f"/silkeborg/relatives/referrals/{theirs}").get_data(as_text=True)
    assert "Case number" not in page and "/fields" not in page
    empty = other.get(f"/silkeborg/relatives/referrals/{theirs}/fields")
    assert "There are no fields here that you can fill in." in text_of(empty)
    assert client.get(f"{BASE}/referrals/{theirs}/fields").status_code == 404  # another municipality's


@SQLITE_ONLY
def test_a_required_field_must_be_filled_and_without_it_nothing_is_saved(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "case", label_en="Case number", required=True)
    relative_id = add_relative(app, fields_world, given=consent(**REFER), slug="norddjurs")
    client = logged_in(make_client, fields_world, slug="norddjurs")
    refused = client.submit(f"{BASE}/{relative_id}/refer", {**PROPOSE, "municipal_fields__case": ""})
    assert refused.status_code == 400 and "Fill in Case number." in text_of(refused)
    assert referrals(app) == 0
    referral_id = referral_of(app, fields_world)  # e.g. from the public's intake form, without the field
    refused = client.submit(f"{BASE}/referrals/{referral_id}/fields", {"municipal_fields__case": "  "})
    assert refused.status_code == 400 and "Fill in Case number." in text_of(refused)
    assert stored(app) == {}


def test_values_are_saved_with_the_referral_shown_on_its_page_and_changed_later(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "case", label_en="Case number", required=True)
    add_field(app, fields_world, TARGET, "hours", FieldType.INTEGER, label_en="Hours granted")
    relative_id = add_relative(app, fields_world, given=consent(**REFER), slug="norddjurs")
    client = logged_in(make_client, fields_world, slug="norddjurs")
    made = client.submit(
        f"{BASE}/{relative_id}/refer",
        {**PROPOSE, "municipal_fields__case": "ND-7", "municipal_fields__hours": "6"},
    )
    assert made.status_code == 302
    referral_id = record_id(made.location)
    assert stored(app) == {("case", referral_id): "ND-7", ("hours", referral_id): "6"}
    page = text_of(client.get(made.location))
    assert "Case number ND-7" in page and "Hours granted 6" in page
    url = f"{BASE}/referrals/{referral_id}/fields"
    assert 'value="ND-7"' in client.get(url).get_data(as_text=True)
    bad = client.submit(url, {"municipal_fields__case": "ND-8", "municipal_fields__hours": "many"})
    assert bad.status_code == 400 and "Write Hours granted as a whole number" in text_of(bad)
    assert 'value="ND-8"' in bad.get_data(as_text=True)  # what was typed stays
    assert stored(app) == {("case", referral_id): "ND-7", ("hours", referral_id): "6"}
    changed = client.submit(url, {"municipal_fields__case": "ND-8", "municipal_fields__hours": ""})
    assert changed.status_code == 302
    assert stored(app) == {("case", referral_id): "ND-8"}
    page = text_of(client.get(changed.location))
    assert "The changes are saved." in page and "Case number ND-8" in page and "Hours granted —" in page


@SQLITE_ONLY
def test_the_referral_page_sends_as_many_statements_with_ten_fields_as_with_one(
    app: Flask, fields_world: World, make_client: Any
) -> None:
    add_field(app, fields_world, TARGET, "f0")
    url = f"{BASE}/referrals/{referral_of(app, fields_world)}"
    client = logged_in(make_client, fields_world, slug="norddjurs")
    check_page_statements_with_ten_fields(app, fields_world, client, TARGET, url)
