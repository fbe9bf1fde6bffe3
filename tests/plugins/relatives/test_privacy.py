"""A citizen's part of the relatives plugin in the export of their data and in their erasure: the export has
every relative, referral and accepted referral from the public page, with what was written about the
citizen; the erasure leaves none of them (nor the referrals' own field values) and no trace of the
citizen's name, e-mail or phone in any text column of the plugin's tables, while another citizen's
relatives and the group courses stay."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from broen.core import privacy
from broen.core.models import Citizen
from broen.plugins.municipal_fields.models import FieldValue
from broen.plugins.relatives import courses, services
from broen.plugins.relatives.models import (
    GroupCourse,
    Intake,
    IntakeStatus,
    Referral,
    ReferralKind,
    Relation,
    Relative,
)
from broen.plugins.relatives.services import RelativeData
from tests.conftest import World, db_of
from tests.plugins.municipal_fields.helpers import add_field, fields_world_with, put_values
from tests.plugins.relatives.test_relatives import REFER, consent
from tests.privacy_scan import person, stored_texts

SLUG = "norddjurs"
fields_world = fields_world_with("relatives")


def _fill(
    app: Flask, world: World, citizen_id: int, name: str, email: str, phone: str, course_id: int
) -> list[int]:
    """Two relatives of the citizen, a referral of each (one to the course), and an accepted referral from
    the public page by the citizen themself, the citizen's name, e-mail and phone in every free text; the
    referrals' ids."""
    about = f"About {name} ({email}, {phone})"
    with app.app_context():
        db = db_of(app)
        citizen = db.session.get_one(Citizen, citizen_id)
        by = world.user(SLUG, "coordinator")
        referrals = []
        for relative_name, kind, course in (
            ("Karen Krog", ReferralKind.INDIVIDUAL, None),
            ("Ole Krog", ReferralKind.GROUP_COURSE, course_id),
        ):
            data = RelativeData(
                name=relative_name,
                relation=Relation.PARENT,
                email="krog@krog.example",
                phone="+45 99 99 99 99",
                note=about,
            )
            relative = services.add_relative(db, citizen, by, consent(**REFER), data)
            referral = services.propose_referral(db, relative, by, kind, about, course)
            referral.sent_to, referral.close_reason = email, about
            referrals.append(referral.id)
        db.session.add(
            Intake(
                municipality_id=citizen.municipality_id,
                about_self=True,
                referrer_name=name,
                referrer_email=email,
                referrer_phone=phone,
                person_name=name,
                person_knows="yes",
                message=about,
                consent_text=f"I, {name}, agree",
                status=IntakeStatus.ACCEPTED,
                close_reason=about,
                citizen_id=citizen.id,
                handled_by_id=by.id,
            )
        )
        db.session.commit()
    put_values(app, world, "relatives_referral", referrals, {"case": lambda n: about}, slug=SLUG)
    return referrals


def _texts(app: Flask) -> str:
    with app.app_context():
        return stored_texts(db_of(app), ("relatives_", "municipal_fields_value"))


def _count(app: Flask, model: Any, *where: Any) -> int:
    with app.app_context():
        return int(db_of(app).session.scalar(select(func.count()).select_from(model).where(*where)))


def test_the_export_has_every_record_and_the_erasure_leaves_nothing_of_the_citizen(
    app: Flask, fields_world: World
) -> None:
    citizen_id, name, email, phone = person(app, fields_world, SLUG, 0, "+45 12 34 56 78")
    other_id, other_name, _, other_phone = person(app, fields_world, SLUG, 1, "+45 87 65 43 21")
    add_field(app, fields_world, "relatives_referral", "case", slug=SLUG)
    with app.app_context():
        course = courses.create_course(
            db_of(app),
            fields_world.municipalities[SLUG],
            fields_world.user(SLUG, "coordinator"),
            courses.CourseData(title="Pårørendekursus", kind=ReferralKind.GROUP_COURSE),
        )
        course_id = course.id
    ours = _fill(app, fields_world, citizen_id, name, email, phone, course_id)
    theirs = _fill(app, fields_world, other_id, other_name, "bo@other.example", other_phone, course_id)

    plugins = app.extensions["broen.plugins"]
    with app.test_request_context():
        db = db_of(app)
        citizen = db.session.get_one(Citizen, citizen_id)
        part = next(p for p in privacy.citizen_parts(db, plugins, citizen) if p.source == "relatives")
        sections = {s.key: s.records for s in part.sections}
        json.dumps(sections)  # JSON-able as it is
        assert {key: len(records) for key, records in sections.items()} == {
            "relatives": 2,
            "referrals": 2,
            "intake_referrals": 1,
        }
        karen = sections["relatives"][0]
        assert karen["name"] == "Karen Krog" and name in karen["note"] and phone in karen["note"]
        assert karen["relation"] == "parent" and karen["consent_given_on"] == "2026-01-05"
        assert karen["consent_recorded_by"] == fields_world.user(SLUG, "coordinator").name
        individual, group = sections["referrals"]
        assert {individual["id"], group["id"]} == set(ours)
        assert group["course"] == "Pårørendekursus" and group["kind"] == "group_course"
        assert email in individual["situation"] and individual["status"] == "proposed"
        intake = sections["intake_referrals"][0]
        assert (
            intake["referrer_phone"] == phone
            and email in intake["message"]
            and intake["status"] == "accepted"
        )

        privacy.erase_citizen(db, plugins, citizen, fields_world.user(SLUG, "admin"))

    texts = _texts(app)
    for gone in (name, email, phone):
        assert gone not in texts
    assert _count(app, Relative, Relative.citizen_id == citizen_id) == 0
    assert _count(app, Referral, Referral.id.in_(ours)) == 0
    assert _count(app, Intake, Intake.citizen_id == citizen_id) == 0
    assert _count(app, FieldValue, FieldValue.record_id.in_(ours)) == 0
    # The other citizen's part and the course (which names no one) are untouched.
    assert other_name in texts and other_phone in texts
    assert _count(app, Relative, Relative.citizen_id == other_id) == 2
    assert _count(app, Referral, Referral.id.in_(theirs)) == 2
    assert _count(app, Intake, Intake.citizen_id == other_id) == 1
    assert _count(app, FieldValue, FieldValue.record_id.in_(theirs)) == 2
    assert _count(app, GroupCourse, GroupCourse.id == course_id) == 1
