"""The mentor plugin's part of a citizen's data export and erasure: the export holds the citizen's wishes,
matches and meetings (in a fixed number of queries); after the erasure no mentor row holds the citizen's
name, e-mail or phone, the wishes and planned meetings are gone, open matches have ended (the mentor's place
is free again) and the matches and held meetings stay as anonymous numbers. Another citizen's rows are
untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from broen import api
from broen.calendar.versions import CalendarVersion
from broen.core import privacy
from broen.core.models import Citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.models import CitizenWishes, ContactForm, Match, MatchStatus, Meeting, Mentor
from broen.plugins.mentors.services import MeetingData
from tests.conftest import World, db_of
from tests.privacy_scan import stored_texts
from tests.sqlcount import count_statements

BOTH = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
NAME, EMAIL, PHONE = "Anna Silkeborg", "anna@silkeborg.example.dk", "+45 61 23 45 67"
WALK, COFFEE = int(ContactForm.WALK), int(ContactForm.COFFEE)


def texts_of_plugin(db: api.Database) -> str:
    return stored_texts(db, "mentors_").casefold()


def sections_of(app: Flask, citizen: Citizen) -> dict[str, list[dict[str, object]]]:
    parts = privacy.citizen_parts(db_of(app), app.extensions["broen.plugins"], citizen)
    return {s.key: s.records for p in parts if p.source == "mentors" for s in p.sections}


def active_match(app: Flask, mentor: Mentor, citizen: Citizen, by: api.User, shared: str) -> Match:
    """An active match, begun 60 days ago (so meetings can be logged in the past)."""
    db = db_of(app)
    match = services.propose(db, mentor, citizen, by)
    services.agree(db, match, by, services.CITIZEN)
    services.agree(db, match, by, services.MENTOR)
    services.activate(db, match, by, frequency_days=14, contact_form=WALK, shared=shared)
    match.started_at = datetime.now(UTC) - timedelta(days=60)
    db.session.commit()
    return match


@BOTH
def test_the_export_holds_everything_and_the_erasure_keeps_only_anonymous_numbers(
    app: Flask, mentors_world: World, make_mentor: Callable[..., Mentor]
) -> None:
    w = mentors_world
    anna_id, bo_id = w.citizens["silkeborg"][:2]
    secret = f"{NAME} ({EMAIL}, {PHONE}) is afraid of crowds"
    with app.app_context():
        db = db_of(app)
        db.session.execute(update(Citizen).where(Citizen.id == anna_id).values(phone=PHONE))
        db.session.commit()
        anna, bo = db.session.get_one(Citizen, anna_id), db.session.get_one(Citizen, bo_id)
        coordinator = db.session.get_one(api.User, w.user("silkeborg", "coordinator").id)
        today = api.local_today(anna.municipality)
        mia, ole = make_mentor("Mia Mentor", capacity=2), make_mentor("Ole Olsen")
        services.set_wishes(
            db,
            anna,
            coordinator,
            interests=f"fishing, {NAME}",
            contact_forms=WALK | COFFEE,
            area=NAME,
            availability=1,
            note=secret,
        )
        services.set_wishes(db, bo, coordinator, interests="chess", note="Bo likes chess")
        match = active_match(app, mia, anna, coordinator, shared=secret)
        held = services.log_meeting(
            db,
            match,
            coordinator,
            MeetingData(on=today - timedelta(days=3), duration_minutes=45, contact_form=COFFEE, note=secret),
        )
        services.plan_meeting(
            db,
            match,
            coordinator,
            MeetingData(
                on=today + timedelta(days=3), at=time(10), duration_minutes=60, contact_form=WALK, note=secret
            ),
        )
        ended = services.propose(db, ole, anna, coordinator)
        services.end(db, ended, coordinator, f"{NAME} moved; call {PHONE}")
        bos = active_match(app, mia, bo, coordinator, shared="Bo's story")
        services.log_meeting(
            db,
            bos,
            coordinator,
            MeetingData(
                on=today - timedelta(days=1), duration_minutes=30, contact_form=WALK, note="Bo's meeting note"
            ),
        )

        with count_statements(app) as seen:
            sections = sections_of(app, anna)
        assert len([s for s in seen if "mentors_" in s]) == 3
        json.dumps(sections)  # JSON-able as it is
        assert {key: len(records) for key, records in sections.items()} == {
            "mentor_wishes": 1,
            "mentor_matches": 2,
            "mentor_meetings": 2,
        }
        wishes = sections["mentor_wishes"][0]
        assert wishes | {"updated_at": ""} == {
            "interests": ["fishing", NAME.casefold()],
            "contact_forms": ["walk", "coffee"],
            "area": NAME,
            "availability": ["monday morning"],
            "note": secret,
            "updated_at": "",
        }
        assert [
            (r["mentor"], r["status"], r["shared_with_mentor"], r["end_reason"])
            for r in sections["mentor_matches"]
        ] == [
            ("Mia Mentor", "active", secret, ""),
            ("Ole Olsen", "ended", "", f"{NAME} moved; call {PHONE}"),
        ]
        assert [
            (r["held"], r["contact_form"], r["note"], r["logged_by"]) for r in sections["mentor_meetings"]
        ] == [
            (True, "coffee", secret, coordinator.name),
            (False, "walk", secret, None),
        ]
        version = db.session.scalar(
            select(CalendarVersion.version).where(CalendarVersion.municipality_id == anna.municipality_id)
        )

    with app.test_request_context():
        db = db_of(app)
        anna = db.session.get_one(Citizen, anna_id)
        admin = db.session.get_one(api.User, w.user("silkeborg", "admin").id)
        counts = privacy.erase_citizen(db, app.extensions["broen.plugins"], anna, admin)
        assert counts["mentors"] == 5

    with app.app_context():
        db = db_of(app)
        texts = texts_of_plugin(db)
        for value in (NAME, EMAIL, PHONE, "crowds"):
            assert value.casefold() not in texts
        assert "bo's meeting note" in texts and "bo's story" in texts  # another citizen's rows stay
        assert db.session.scalars(select(CitizenWishes.citizen_id)).all() == [bo_id]
        kept = db.session.execute(
            select(Match.mentor_id, Match.status, Match.frequency_days, Match.contact_form, Match.shared)
            .add_columns(Match.end_reason, Match.started_at.is_not(None))
            .where(Match.citizen_id == anna_id)
            .order_by(Match.id)
        ).all()
        assert [tuple(r) for r in kept] == [
            (mia.id, MatchStatus.ENDED, 14, WALK, "", "", True),
            (ole.id, MatchStatus.ENDED, None, None, "", "", False),
        ]
        meetings = db.session.execute(
            select(
                Meeting.id,
                Meeting.on,
                Meeting.duration_minutes,
                Meeting.contact_form,
                Meeting.held,
                Meeting.note,
            )
            .join(Match, Match.id == Meeting.match_id)
            .where(Match.citizen_id == anna_id)
        ).all()
        assert [tuple(r) for r in meetings] == [(held.id, today - timedelta(days=3), 45, COFFEE, True, "")]
        assert services.open_matches(db, db.session.get_one(Mentor, mia.id)) == 1  # Bo's only
        # The planned meeting left the mentor's calendar feed.
        assert db.session.scalar(
            select(CalendarVersion.version).where(CalendarVersion.municipality_id == anna.municipality_id)
        ) > (version or 0)
        again = sections_of(app, db.session.get_one(Citizen, anna_id))
        assert {key: len(records) for key, records in again.items()} == {
            "mentor_wishes": 0,
            "mentor_matches": 2,
            "mentor_meetings": 1,
        }
