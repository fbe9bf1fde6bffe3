"""The café's part of a citizen's data export and erasure: the export holds every sign-up, attendance mark,
proposed topic and e-mail sent (in a fixed number of queries); after the erasure no café row holds the
citizen's name, e-mail or phone, the topics they proposed and the mails sent are gone, their sign-ups and
attendance stay as anonymous numbers, and their seat on a course still running goes to the next in the
queue. Another citizen's rows are untouched."""

from __future__ import annotations

import json
from datetime import time, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from broen import api
from broen.core import privacy
from broen.core.models import Citizen
from broen.plugins.cafe import notify, program, services
from broen.plugins.cafe.models import AgendaItem, Attendance, NoticeKind, SentNotice, Signup, SignupStatus
from tests.conftest import World, db_of
from tests.privacy_scan import stored_texts
from tests.sqlcount import count_statements

BOTH = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
NAME, EMAIL, PHONE = "Anna Silkeborg", "anna@silkeborg.example.dk", "+45 61 23 45 67"


def texts_of_plugin(db: api.Database) -> str:
    return stored_texts(db, "cafe_")


def sections_of(app: Flask, citizen: Citizen) -> dict[str, list[dict[str, object]]]:
    parts = privacy.citizen_parts(db_of(app), app.extensions["broen.plugins"], citizen)
    return {s.key: s.records for p in parts if p.source == "cafe" for s in p.sections}


@BOTH
def test_the_export_holds_everything_and_the_erasure_keeps_only_anonymous_numbers(
    app: Flask, cafe_world: World
) -> None:
    w = cafe_world
    anna_id, bo_id = w.citizens["silkeborg"][:2]
    secret = f"{NAME} ({EMAIL}, {PHONE}) wants to talk about her panic attacks"
    with app.app_context():
        db = db_of(app)
        db.session.execute(
            update(Citizen)
            .where(Citizen.id.in_([anna_id, bo_id]))
            .values(flexjob_approved=True, flexjob_mental_health_basis=True)
        )
        db.session.execute(update(Citizen).where(Citizen.id == anna_id).values(phone=PHONE))
        db.session.commit()
        anna, bo = db.session.get_one(Citizen, anna_id), db.session.get_one(Citizen, bo_id)
        coordinator = db.session.get_one(api.User, w.user("silkeborg", "coordinator").id)
        m = w.municipalities["silkeborg"]
        today = api.local_today(m)
        done = services.create_course(
            db, m, coordinator, title="Spring course", first_date=today - timedelta(days=70), start=time(17)
        )
        running = services.create_course(
            db,
            m,
            coordinator,
            title="Winter course",
            first_date=today + timedelta(days=7),
            start=time(17),
            capacity=1,
        )
        for citizen in (anna, bo):
            services.sign_up(db, done, citizen, coordinator)
            services.sign_up(db, running, citizen, coordinator)  # Anna has the seat, Bo waits
        first = done.sessions[0]
        program.mark_attendance(db, first, coordinator, {anna_id: True, bo_id: False})
        placed = program.propose_topic(db, done, anna, None, title=secret[:200], note=secret)
        program.place_item(db, placed, first, coordinator)
        program.propose_topic(db, done, anna, None, title=f"Ask {NAME}", note=PHONE)
        program.propose_topic(db, done, bo, None, title="Bo's topic", note="Bo's note")
        for citizen_id in (anna_id, bo_id):
            notify._record(db, NoticeKind.REMINDER, done, citizen_id, first)
        db.session.commit()

        with count_statements(app) as seen:
            sections = sections_of(app, anna)
        cafe_queries = [s for s in seen if "cafe_" in s]
        assert len(cafe_queries) == 4
        json.dumps(sections)  # JSON-able as it is
        assert {key: len(records) for key, records in sections.items()} == {
            "cafe_signups": 2,
            "cafe_attendance": 1,
            "cafe_topics": 2,
            "cafe_notices": 1,
        }
        assert [(r["course"], r["status"]) for r in sections["cafe_signups"]] == [
            ("Spring course", "confirmed"),
            ("Winter course", "confirmed"),
        ]
        assert sections["cafe_attendance"][0] | {"id": 0, "marked_at": ""} == {
            "id": 0,
            "session_id": first.id,
            "course": "Spring course",
            "session_starts_at": first.starts_at.isoformat(),
            "present": True,
            "marked_at": "",
            "marked_by": coordinator.name,
        }
        topic = sections["cafe_topics"][0]
        assert (topic["title"], topic["note"], topic["on_session_starting_at"]) == (
            secret[:200],
            secret,
            first.starts_at.isoformat(),
        )
        assert sections["cafe_notices"][0]["kind"] == "reminder"

    with app.test_request_context():
        db = db_of(app)
        anna = db.session.get_one(Citizen, anna_id)
        admin = db.session.get_one(api.User, w.user("silkeborg", "admin").id)
        counts = privacy.erase_citizen(db, app.extensions["broen.plugins"], anna, admin)
        assert counts["cafe"] == 6

    with app.app_context():
        db = db_of(app)
        texts = texts_of_plugin(db)
        for value in (NAME, EMAIL, PHONE, "panic"):
            assert value not in texts
        assert "Bo's note" in texts  # another citizen's topic stays
        assert db.session.scalars(select(AgendaItem.proposed_by_citizen_id)).all() == [bo_id]
        assert db.session.scalars(select(SentNotice.citizen_id)).all() == [bo_id]
        # Anonymous numbers: the finished course's head count and attendance survive ...
        signups = {
            (row.course_id, row.citizen_id): row
            for row in db.session.scalars(select(Signup).execution_options(populate_existing=True))
        }
        assert signups[done.id, anna_id].status == SignupStatus.CONFIRMED
        assert sorted(db.session.execute(select(Attendance.citizen_id, Attendance.present)).all()) == [
            (anna_id, True),
            (bo_id, False),
        ]
        # ... while the seat on the course still running goes to Bo, who waited.
        assert signups[running.id, anna_id].status == SignupStatus.LEFT
        assert signups[running.id, bo_id].status == SignupStatus.CONFIRMED
        assert signups[running.id, bo_id].promoted_at is not None
        again = sections_of(app, db.session.get_one(Citizen, anna_id))
        assert {key: len(records) for key, records in again.items()} == {
            "cafe_signups": 2,
            "cafe_attendance": 1,
            "cafe_topics": 0,
            "cafe_notices": 0,
        }
