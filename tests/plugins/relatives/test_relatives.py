"""A citizen's relatives, recorded under the citizen's consent: the consent comes first (in the service and
on the form), a referral from the public page fills in the relative's details, withdrawing the consent
erases the relative's details from every page and export, and the fences (roles, the other municipality,
the plugin turned off).

The helpers here (`consent`, `add_relative`, `logged_in`, `set_settings`, `SQLITE`) are shared with
test_referrals.py and test_letters.py."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import AuditEntry, Citizen, PluginState
from broen.plugins.relatives import services
from broen.plugins.relatives.models import (
    Intake,
    Referral,
    ReferralKind,
    ReferralStatus,
    Relation,
    Relative,
)
from broen.plugins.relatives.services import ConsentData, RelativeData, RelativeError
from tests.conftest import Client, World, db_of, text_of

#: Page tests run on SQLite only: PostgreSQL adds nothing to what a page shows.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
GIVEN = date(2026, 1, 5)
BASE = "/silkeborg/relatives"
#: A consent that allows talking with the relative and referring them, but shares nothing of the citizen.
REFER = {"share_with_relative": True, "refer_to_counselling": True}
KAREN = RelativeData(
    name="Karen Krog",
    relation=Relation.PARENT,
    email="karen@krog.example",
    phone="+45 23 45 67 89",
    note="Mor",
)


def consent(**flags: bool) -> ConsentData:
    return ConsentData(given_on=GIVEN, form="written", **flags)


def add_relative(
    app: Flask,
    world: World,
    data: RelativeData = KAREN,
    given: ConsentData | None = None,
    slug: str = "silkeborg",
    citizen: int = 0,
) -> int:
    """A relative of the `citizen`-th citizen of `slug` under the consent `given` (by default one that
    allows nothing but recording them); their id."""
    with app.app_context():
        db = db_of(app)
        found = db.session.get_one(Citizen, world.citizens[slug][citizen])
        by = world.user(slug, "coordinator")
        return services.add_relative(db, found, by, given or consent(), data).id


def logged_in(make_client: Any, world: World, role: str = "coordinator", slug: str = "silkeborg") -> Client:
    client: Client = make_client()
    assert client.login(world.user(slug, role)).status_code == 302
    return client


def set_settings(app: Flask, world: World, slug: str = "silkeborg", **values: str) -> None:
    """Save the relatives plugin's settings of `slug` (as its admin would)."""
    with app.app_context():
        db = db_of(app)
        state = db.session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == world.municipalities[slug].id,
                PluginState.plugin == "relatives",
            )
        )
        assert state is not None
        state.settings = {**state.settings, **values}
        db.session.commit()


def audit_entries(app: Flask, object_type: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db_of(app).session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
            )
        )


def test_the_service_records_no_relative_without_the_consent_and_names_the_field(
    app: Flask, relatives_world: World
) -> None:
    world = relatives_world
    with app.app_context():
        db = db_of(app)
        citizen = db.session.get_one(Citizen, world.citizens["silkeborg"][0])
        by = world.user("silkeborg", "coordinator")
        future = date(2999, 1, 1)
        refused = [
            (ConsentData(given_on=None, form="oral"), KAREN, "consent_given_on"),
            (ConsentData(given_on=future, form="oral"), KAREN, "consent_given_on"),
            (ConsentData(given_on=GIVEN, form=None), KAREN, "consent_form"),
            (ConsentData(given_on=GIVEN, form="nodded"), KAREN, "consent_form"),
            # The consent is checked first: a relative with bad details and no consent hears about the consent.
            (
                ConsentData(given_on=None, form=None),
                RelativeData(name="", relation="aunt"),
                "consent_given_on",
            ),
            (consent(), RelativeData(name="  ", relation="parent"), "name"),
            (consent(), RelativeData(name="x" * 201, relation="parent"), "name"),
            (consent(), RelativeData(name="Karen", relation="aunt"), "relation"),
            (consent(), RelativeData(name="Karen", relation="parent", email="karen@"), "email"),
            (consent(), RelativeData(name="Karen", relation="parent", phone="call me"), "phone"),
            (consent(), RelativeData(name="Karen", relation="parent", note="x" * 1001), "note"),
        ]
        for given, data, field in refused:
            with pytest.raises(RelativeError) as err:
                services.add_relative(db, citizen, by, given, data)
            assert err.value.field == field, (given, data)
            db.session.rollback()
        assert db.session.scalar(select(func.count(Relative.id))) == 0

        relative = services.add_relative(db, citizen, by, consent(**REFER), KAREN)
        assert (relative.name, relative.relation, relative.consent_form.value) == (
            "Karen Krog",
            "parent",
            "written",
        )
        assert relative.refer_to_counselling and not relative.share_citizen_name and relative.consented
    (entry,) = audit_entries(app, "relatives_relative")
    assert entry.action == "create" and "name" in entry.details["fields"]
    assert "Karen" not in json.dumps(entry.details) and "krog" not in json.dumps(entry.details)


@SQLITE
def test_the_form_asks_for_the_consent_first_and_keeps_what_was_typed(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    citizen_id = world.citizens["silkeborg"][0]
    client = logged_in(make_client, world)
    url = f"{BASE}/citizens/{citizen_id}/new"
    form = text_of(client.get(url))
    assert form.index("The citizen's consent") < form.index("The relative's name")
    assert (
        "the relative's name, relation, e-mail and phone are sent there" in form
    )  # the tick boxes, in words
    typed = {
        "name": "Karen Krog",
        "relation": "parent",
        "email": "karen@krog.example",
        "consent_form": "oral",
    }
    refused = client.submit(url, {**typed, "consent_given_on": ""})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "The relative is not recorded yet" in page and "The consent comes first" in page
    assert 'value="Karen Krog"' in page and 'value="karen@krog.example"' in page
    future = client.submit(url, {**typed, "consent_given_on": "2999-01-01"})
    assert future.status_code == 400 and "cannot be given on a day in the future" in text_of(future)
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count(Relative.id))) == 0

    saved = client.submit(
        url, {**typed, "consent_given_on": "2026-01-05", "phone": "23 45 67 89", "refer_to_counselling": "y"}
    )
    assert saved.status_code == 302
    page = text_of(client.get(saved.location))
    for shown in ("Karen Krog", "karen@krog.example", "23 45 67 89", "Given orally on Jan 5, 2026"):
        assert shown in page, shown
    assert "Refer the relative to counselling: yes" in page and "Name the citizen in a referral: no" in page
    assert "Refer to counselling" in page
    # Editing: the same rules, the same messages on the field.
    relative_url = saved.location
    bad = client.submit(
        f"{relative_url}/edit", {"name": "Karen Krog", "relation": "parent", "email": "karen@"}
    )
    assert bad.status_code == 400 and "E-mail: Write a valid e-mail address" in text_of(bad)
    narrowed = client.submit(
        f"{relative_url}/consent", {"consent_given_on": "2026-01-05", "consent_form": "oral"}
    )
    assert narrowed.status_code == 302
    page = text_of(client.get(relative_url))
    assert "The consent is changed" in page and "does not allow referring this relative" in page


@SQLITE
def test_a_referral_from_the_public_page_fills_in_the_relative(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    citizen_id = world.citizens["silkeborg"][0]
    with app.app_context():
        db = db_of(app)
        rows = [
            Intake(
                municipality_id=world.municipalities[slug].id,
                referrer_name=f"Ole Olsen {slug}",
                referrer_email="ole@olsen.example",
                referrer_phone="87 65 43 21",
                relation=Relation.FRIEND,
                person_name="Anna",
                consent_text="I agree.",
            )
            for slug in ("silkeborg", "norddjurs")
        ]
        db.session.add_all(rows)
        db.session.commit()
        ours, theirs = rows[0].id, rows[1].id
    client = logged_in(make_client, world)
    page = client.get(f"{BASE}/citizens/{citizen_id}/new?intake={ours}").get_data(as_text=True)
    assert 'value="Ole Olsen silkeborg"' in page and 'value="ole@olsen.example"' in page
    assert 'value="friend" checked' in page and "filled in from the referral" in page
    assert client.get(f"{BASE}/citizens/{citizen_id}/new?intake={theirs}").status_code == 404
    assert [e.object_id for e in audit_entries(app, "relatives_intake")] == [ours]


@SQLITE
def test_withdrawn_consent_erases_the_relative_from_every_page_export_and_letter(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    citizen_id = world.citizens["silkeborg"][0]
    relative_id = add_relative(app, world, given=consent(**REFER))
    with app.app_context():
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        by = world.user("silkeborg", "coordinator")
        posted = services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL, situation="Tired")
        services.mark_sent(db, posted, by, services.local_today(relative.municipality))
        proposed = services.propose_referral(db, relative, by, ReferralKind.TEACHING).id
        posted_id = posted.id
    client = logged_in(make_client, world)
    secrets = ("Karen", "karen@krog.example", "23 45 67 89", "Mor")
    before = text_of(client.get(f"{BASE}/{relative_id}"))
    assert all(secret in before for secret in secrets)
    assert "Karen Krog (Parent)" in text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))  # the panel

    confirm = text_of(client.get(f"{BASE}/{relative_id}/withdraw"))
    assert "Withdraw the consent for Karen Krog?" in confirm and "It cannot be undone" in confirm
    assert "E-mail: karen@krog.example" in confirm
    assert "Individual conversations: sent" in confirm and "Teaching: proposed" in confirm
    done = client.submit(f"{BASE}/{relative_id}/withdraw", {})
    assert done.status_code == 302
    assert "2 referrals in progress are stopped" in text_of(client.get(done.location))

    with app.app_context():
        db = db_of(app)
        row = db.session.get_one(Relative, relative_id)
        assert (row.name, row.email, row.phone, row.note) == ("", "", "", "")
        assert (
            row.withdrawn_at is not None and row.withdrawn_by_id == world.user("silkeborg", "coordinator").id
        )
        referrals = db.session.scalars(select(Referral).order_by(Referral.id)).all()
        assert [(r.status, r.close_reason, r.situation) for r in referrals] == [
            (ReferralStatus.WITHDRAWN, "consent withdrawn", ""),
            (ReferralStatus.WITHDRAWN, "consent withdrawn", ""),
        ]
        assert all(r.closed_on == services.local_today(row.municipality) for r in referrals)
        with pytest.raises(RelativeError):
            services.withdraw_consent(db, row, None)  # it cannot be undone, nor done twice

    tombstone = "Parent, consent withdrawn on"
    pages = {
        "relative": f"{BASE}/{relative_id}",
        "citizen's relatives": f"{BASE}/citizens/{citizen_id}",
        "citizen page panel": f"/silkeborg/citizens/{citizen_id}",
        "overview": f"{BASE}/?status=withdrawn",
        "referral": f"{BASE}/referrals/{posted_id}",
    }
    for name, url in pages.items():
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert tombstone in text_of(response), name
        assert not any(secret in page for secret in secrets), name
    export = client.get(f"{BASE}/export.csv?status=withdrawn").get_data(as_text=True)
    assert not any(secret in export for secret in secrets)
    # The letter cannot be sent, by e-mail or by post, nor edited back in.
    refused = client.submit(f"{BASE}/referrals/{proposed}/send", {}, page=f"{BASE}/")
    assert refused.status_code == 400 and "consent was withdrawn" in text_of(refused)
    assert client.get(f"{BASE}/{relative_id}/edit").status_code == 302
    # The audit log knows what happened, without any of the values.
    entries = audit_entries(app, "relatives_relative")
    assert any(e.details.get("what") == "consent_withdrawn" for e in entries)
    assert not any(secret in json.dumps([e.details for e in entries]) for secret in secrets)


@SQLITE
def test_only_staff_of_the_municipality_see_relatives_and_off_means_gone(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    citizen_id = world.citizens["silkeborg"][0]
    relative_id = add_relative(app, world, given=consent(**REFER))
    with app.app_context():
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        referral_id = services.propose_referral(db, relative, None, ReferralKind.INDIVIDUAL).id
    urls = [
        f"{BASE}/",
        f"{BASE}/export.csv",
        f"{BASE}/citizens/{citizen_id}",
        f"{BASE}/citizens/{citizen_id}/new",
        f"{BASE}/{relative_id}",
        f"{BASE}/{relative_id}/withdraw",
        f"{BASE}/{relative_id}/refer",
        f"{BASE}/referrals/{referral_id}",
        f"{BASE}/referrals/{referral_id}/letter",
    ]
    for role in ("participant", "mentor"):
        client = logged_in(make_client, world, role)
        assert all(client.get(url).status_code == 403 for url in urls), role
    other = logged_in(make_client, world, "coordinator", "norddjurs")
    for url in urls[2:]:
        assert other.get(url.replace("/silkeborg/", "/norddjurs/")).status_code == 404, url
    assert "Karen" not in other.get("/norddjurs/relatives/").get_data(as_text=True)

    coordinator = logged_in(make_client, world)
    assert "Relatives</a>" in coordinator.get("/silkeborg/").get_data(as_text=True)
    with app.app_context():
        db = db_of(app)
        accounts.set_plugin_enabled(
            db, db.session.merge(world.municipalities["silkeborg"]), "relatives", False
        )
    assert all(coordinator.get(url).status_code == 404 for url in urls)
    assert "Karen" not in coordinator.get(f"/silkeborg/citizens/{citizen_id}").get_data(as_text=True)


__all__ = ["SQLITE", "add_relative", "consent", "logged_in", "set_settings"]
