"""The employers plugin's part of a citizen's data export and erasure: the export holds the citizen's
interests, the contacts made on their behalf, their placements and the placements' check-ins and handover,
free texts included; after the erasure no row of the plugin holds the citizen's name, e-mail or phone,
the interests and contacts are gone, and the placements and tasks remain as anonymous numbers for the
outcome report (no note, reason, receiver, contact or staff member). Companies and another citizen's rows
are untouched."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select, update

from broen import api
from broen.core import privacy
from broen.core.models import Citizen
from broen.plugins.employers import services
from broen.plugins.employers.models import Company, Contact, Interest, Placement, Task, TaskKind
from tests.conftest import World, db_of
from tests.plugins.employers.conftest import BOTH, make_company, place, user
from tests.privacy_scan import stored_texts

PHONE = "+45 61 23 45 67"


def _texts_of_plugin(db: api.Database) -> str:
    return stored_texts(db, "employers_")


def _numbers(db: api.Database, citizen_id: int) -> list[tuple[object, ...]]:
    """What the outcome report needs of the citizen's placements and their tasks."""
    rows = db.session.execute(
        select(
            Placement.id,
            Placement.kind,
            Placement.start_on,
            Placement.hours_per_week,
            Placement.ended_on,
            Task.kind,
            Task.week,
            Task.due_on,
            Task.status,
            Task.done_on,
            Task.still_there,
            Task.cancelled_on,
        )
        .join(Task, Task.placement_id == Placement.id)
        .where(Placement.citizen_id == citizen_id)
        .order_by(Placement.id, Task.due_on, Task.id)
    )
    return [tuple(r) for r in rows]


@BOTH
def test_the_export_holds_everything_and_the_erasure_keeps_only_anonymous_placements(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    anna_id, bo_id = w.citizens["silkeborg"][:2]
    company_id = make_company(app, w)
    with app.app_context():
        db = db_of(app)
        db.session.execute(update(Citizen).where(Citizen.id == anna_id).values(phone=PHONE))
        db.session.commit()
        anna = db.session.get_one(Citizen, anna_id)
        secret = f"{anna.name}, {anna.email}, {PHONE}"
        by = user(app, w)
        company = db.session.get_one(Company, company_id)
        today = api.local_today(anna.municipality)
        start = today - timedelta(days=400)
        services.add_interest(db, anna, by, company, note=secret)
        contact = services.record_contact(db, anna, by, company, start, "flex_job", note=secret)
        placement = services.record_placement(
            db,
            anna,
            by,
            company,
            services.PlacementData(
                kind="flexjob", start_on=start, hours_per_week="12,5", note=secret, contact_id=contact.id
            ),
        )
        placement_id, contact_id = placement.id, contact.id
        checkin, *_rest, handover = placement.tasks
        assert (checkin.kind, handover.kind) == (TaskKind.CHECKIN, TaskKind.HANDOVER)
        services.complete_checkin(db, checkin, by, start + timedelta(weeks=2), True, note=secret)
        services.complete_handover(db, handover, by, start + timedelta(days=190), secret, note=secret)
        services.end_placement(db, placement, by, start + timedelta(days=200), secret)
        bo = db.session.get_one(Citizen, bo_id)
        services.add_interest(db, bo, by, company, note="Bo likes bread")
        services.record_contact(db, bo, by, company, today, "later", note="Bo call back")
    bo_placement = place(app, w, bo_id, company_id, "ordinary_job", today, "30")

    with app.app_context():
        db = db_of(app)
        anna = db.session.get_one(Citizen, anna_id)
        before = _numbers(db, anna_id)
        bo_before = _numbers(db, bo_id)
        parts = {p.source: p for p in privacy.citizen_parts(db, app.extensions["broen.plugins"], anna)}
        sections = {s.key: s.records for s in parts["employers"].sections}
        json.dumps(sections)  # JSON-able as it is
        assert {key: len(records) for key, records in sections.items()} == {
            "interests": 1,
            "contacts": 1,
            "placements": 1,
            "placement_tasks": len(before),
        }
        assert len(before) == 7  # six check-ins and the handover
        assert sections["interests"][0]["note"] == secret
        assert sections["interests"][0]["company"] == "Bageriet Kornblomsten"
        assert sections["contacts"][0]["outcome"] == "flex_job"
        assert sections["contacts"][0]["note"] == secret
        (exported,) = sections["placements"]
        assert exported["kind"] == "flexjob"
        assert exported["hours_per_week"] == "12.50"
        assert exported["start_on"] == start.isoformat()
        assert (exported["note"], exported["end_reason"], exported["contact_id"]) == (
            secret,
            secret,
            contact_id,
        )
        assert exported["by"] == by.name
        done = [t for t in sections["placement_tasks"] if t["status"] == "done"]
        assert [(t["kind"], t["note"], t["handed_to"], t["by"]) for t in done] == [
            ("checkin", secret, "", by.name),
            ("handover", secret, secret, by.name),
        ]

    with app.test_request_context():
        db = db_of(app)
        anna = db.session.get_one(Citizen, anna_id)
        admin = user(app, w, "admin")
        counts = privacy.erase_citizen(db, app.extensions["broen.plugins"], anna, admin)
        assert counts["employers"] == 3 + 7

    with app.app_context():
        db = db_of(app)
        texts = _texts_of_plugin(db)
        assert "Bo likes bread" in texts and "Bo call back" in texts
        for value in ("Anna Silkeborg", "anna@silkeborg.example.dk", PHONE):
            assert value not in texts
        assert _numbers(db, anna_id) == before
        assert _numbers(db, bo_id) == bo_before
        assert before[0][3] == Decimal("12.5") and before[0][4] == start + timedelta(days=200)
        kept = db.session.get_one(Placement, placement_id)
        assert (kept.note, kept.end_reason, kept.contact_id, kept.created_by_id) == ("", "", None, None)
        assert {(t.note, t.handed_to, t.done_by_id) for t in kept.tasks} == {("", "", None)}
        assert db.session.scalars(select(Interest.citizen_id)).all() == [bo_id]
        assert db.session.scalars(select(Contact.citizen_id)).all() == [bo_id]
        assert db.session.scalar(select(func.count()).select_from(Company)) == 1
        bo_kept = db.session.get_one(Placement, bo_placement)
        assert bo_kept.created_by_id == user(app, w).id
