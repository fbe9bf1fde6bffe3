"""The mentor plugin's services: the pool with its dated status history, a citizen's wishes (audited as
the citizen's data, without values), and a match's way from proposed to ended."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, Citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.models import (
    ContactForm,
    Match,
    MatchStatus,
    Mentor,
    MentorStatus,
    MentorStatusChange,
    slot_bit,
)
from broen.plugins.mentors.services import MentorData, MentorError
from tests.conftest import World


def audit(app: Flask, object_type: str) -> list[AuditEntry]:
    db = app.extensions["broen.db"]
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)
        )
    )


# --- the pool --------------------------------------------------------------------------------------------


def test_a_new_mentor_is_stored_normalised_with_the_first_status_in_the_history(
    app: Flask, mentors_world: World
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        mentor = services.create_mentor(
            db,
            mentors_world.municipalities["silkeborg"],
            mentors_world.user("silkeborg", "coordinator"),
            MentorData(
                name="  Birthe Holm ",
                background="retired",
                email="birthe@example.dk",
                interests=" Knitting, fishing;knitting,  Board   games ",
                area=" Silkeborg  ",
                availability=slot_bit(0, 0) | slot_bit(6, 2),
                capacity=2,
                contact_forms=int(ContactForm.WALK | ContactForm.ONLINE),
            ),
            since=date(2026, 3, 1),
        )
        db.session.expire_all()
        stored = db.session.get(Mentor, mentor.id)
        assert stored is not None
        assert (stored.name, stored.area, stored.status, stored.status_since) == (
            "Birthe Holm",
            "Silkeborg",
            MentorStatus.INTERVIEWED,
            date(2026, 3, 1),
        )
        assert stored.interests == ["knitting", "fishing", "board games"]
        assert [(h.status, h.since) for h in stored.history] == [(MentorStatus.INTERVIEWED, date(2026, 3, 1))]
        (entry,) = audit(app, "mentors_mentor")
        assert entry.action == "create" and entry.object_id == mentor.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"email": "not an address"}, "email"),
        ({"background": "astronaut"}, "background"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 21}, "capacity"),
        ({"availability": 1 << 21}, "availability"),
        ({"contact_forms": 16}, "contact_forms"),
        ({"interests": "x" * 51}, "interests"),
        ({"interests": [f"tag {n}" for n in range(31)]}, "interests"),
    ],
)
def test_bad_mentor_details_name_the_field_and_store_nothing(
    app: Flask, mentors_world: World, changes: dict[str, object], field: str
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        values: dict[str, object] = {"name": "Birthe", "background": "employed", **changes}
        with pytest.raises(MentorError) as error:
            services.create_mentor(
                db,
                mentors_world.municipalities["silkeborg"],
                None,
                MentorData(**values),  # type: ignore[arg-type]
            )
        assert error.value.field == field
        db.session.rollback()
        assert db.session.scalars(select(Mentor)).all() == []


def test_status_changes_are_dated_in_the_history_and_updates_audit_only_field_names(
    app: Flask, mentors_world: World, make_mentor: Callable[..., Mentor]
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = mentors_world.user("silkeborg", "coordinator")
        mentor = make_mentor("Birthe", status=MentorStatus.INTERVIEWED, phone="12345678")
        assert services.set_status(db, mentor, by, "trained", date(2026, 2, 1))
        assert services.set_status(db, mentor, by, MentorStatus.APPROVED, date(2026, 2, 15))
        assert not services.set_status(db, mentor, by, MentorStatus.APPROVED, date(2026, 3, 1))
        with pytest.raises(MentorError) as error:
            services.set_status(db, mentor, by, MentorStatus.PAUSED, date(2026, 1, 1))
        assert error.value.field == "since"
        with pytest.raises(MentorError):
            services.set_status(db, mentor, by, "retired")
        db.session.expire_all()
        history = db.session.scalars(
            select(MentorStatusChange)
            .where(MentorStatusChange.mentor_id == mentor.id)
            .order_by(MentorStatusChange.id)
        ).all()
        assert [(h.status, h.since) for h in history] == [
            (MentorStatus.INTERVIEWED, date(2026, 1, 5)),
            (MentorStatus.TRAINED, date(2026, 2, 1)),
            (MentorStatus.APPROVED, date(2026, 2, 15)),
        ]
        assert (mentor.status, mentor.status_since) == (MentorStatus.APPROVED, date(2026, 2, 15))

        changed = services.update_mentor(
            db, mentor, by, MentorData(name="Birthe", background="employed", phone="87654321")
        )
        assert changed == ["phone"]
        assert (
            services.update_mentor(
                db, mentor, by, MentorData(name="Birthe", background="employed", phone="87654321")
            )
            == []
        )
        last = audit(app, "mentors_mentor")[-1]
        assert last.details == {"fields": ["phone"]}
        assert "8765" not in json.dumps([e.details for e in audit(app, "mentors_mentor")])


# --- the citizen's wishes --------------------------------------------------------------------------------


def test_wishes_are_one_row_per_citizen_and_every_read_and_write_is_audited_without_values(
    app: Flask, mentors_world: World, make_citizen: Callable[..., Citizen]
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = mentors_world.user("silkeborg", "coordinator")
        citizen = make_citizen()
        assert services.wishes_of(db, citizen, by) is None
        services.set_wishes(db, citizen, by, interests="Fishing", area="Them", note="Not on Mondays")
        services.set_wishes(
            db, citizen, by, interests=["fishing", "Dogs"], area="Them", note="Not on Mondays"
        )
        wishes = services.wishes_of(db, citizen, by)
        assert (
            wishes is not None and wishes.interests == ["fishing", "dogs"] and wishes.note == "Not on Mondays"
        )
        entries = [e for e in audit(app, "citizen") if e.details.get("what") == "mentors_wishes"]
        assert [(e.action, e.object_id) for e in entries] == [
            ("view", citizen.id),
            ("create", citizen.id),
            ("update", citizen.id),
            ("view", citizen.id),
        ]
        assert entries[2].details["fields"] == ["interests"]
        text = json.dumps([e.details for e in entries]).casefold()
        assert "fishing" not in text and "mondays" not in text and "them" not in text
        with pytest.raises(MentorError) as error:
            services.set_wishes(db, citizen, by, contact_forms=99)
        assert error.value.field == "contact_forms"


# --- matches ---------------------------------------------------------------------------------------------


@pytest.fixture
def pair(
    app: Flask, make_mentor: Callable[..., Mentor], make_citizen: Callable[..., Citizen]
) -> tuple[int, int]:
    with app.app_context():
        return make_mentor("Birthe", capacity=1).id, make_citizen().id


def test_a_match_becomes_active_only_after_both_agreed_and_then_pauses_and_ends(
    app: Flask, mentors_world: World, pair: tuple[int, int]
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = mentors_world.user("silkeborg", "coordinator")
        mentor, citizen = db.session.get(Mentor, pair[0]), db.session.get(Citizen, pair[1])
        assert mentor is not None and citizen is not None
        match = services.propose(db, mentor, citizen, by)
        assert match.status == MatchStatus.PROPOSED
        agreed = {"frequency_days": 14, "contact_form": int(ContactForm.WALK)}

        with pytest.raises(MentorError) as error:
            services.activate(db, match, by, **agreed)
        assert error.value.field == "citizen_agreed"
        services.agree(db, match, by, services.CITIZEN)
        with pytest.raises(MentorError) as error:
            services.activate(db, match, by, **agreed)
        assert error.value.field == "mentor_agreed"
        services.agree(db, match, by, services.MENTOR)
        with pytest.raises(MentorError) as error:
            services.activate(db, match, by, frequency_days=0, contact_form=int(ContactForm.WALK))
        assert error.value.field == "frequency_days"
        with pytest.raises(MentorError) as error:
            services.activate(db, match, by, frequency_days=14, contact_form=3)  # two forms at once
        assert error.value.field == "contact_form"
        assert match.status == MatchStatus.PROPOSED

        services.activate(db, match, by, **agreed)
        db.session.expire_all()
        reloaded = db.session.get(Match, match.id)
        assert reloaded is not None
        match = reloaded
        assert (match.status, match.frequency_days, match.contact_form) == (MatchStatus.ACTIVE, 14, 1)
        assert match.citizen_agreed_at is not None and match.mentor_agreed_at is not None
        with pytest.raises(MentorError):
            services.agree(db, match, by, services.CITIZEN)

        services.pause(db, match, by)
        with pytest.raises(MentorError):
            services.pause(db, match, by)
        services.resume(db, match, by)
        with pytest.raises(MentorError) as error:
            services.end(db, match, by, "   ")
        assert error.value.field == "end_reason"
        services.end(db, match, by, "The citizen got a job")
        assert (match.status, match.end_reason) == (MatchStatus.ENDED, "The citizen got a job")
        with pytest.raises(MentorError):
            services.end(db, match, by, "again")
        with pytest.raises(MentorError):
            services.resume(db, match, by)

        entries = [e for e in audit(app, "citizen") if e.details.get("what") == "mentors_match"]
        assert {e.object_id for e in entries} == {citizen.id}
        assert len(entries) == 7  # propose, 2 agreements, activate, pause, resume, end
        assert "job" not in json.dumps([e.details for e in entries])


def test_proposing_needs_an_approved_mentor_of_the_municipality_with_a_free_place(
    app: Flask,
    mentors_world: World,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
    pair: tuple[int, int],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        by = mentors_world.user("silkeborg", "coordinator")
        mentor, citizen = db.session.get(Mentor, pair[0]), db.session.get(Citizen, pair[1])
        assert mentor is not None and citizen is not None
        trained = make_mentor("Trained", status=MentorStatus.TRAINED)
        elsewhere = make_mentor("Elsewhere", slug="norddjurs")
        for who in (trained, elsewhere):
            with pytest.raises(MentorError) as error:
                services.propose(db, who, citizen, by)
            assert error.value.field == "mentor"

        first = services.propose(db, mentor, citizen, by)
        with pytest.raises(MentorError, match="already matched"):
            services.propose(db, mentor, citizen, by)
        with pytest.raises(MentorError, match="no free place"):
            services.propose(db, mentor, make_citizen("Second"), by)

        # A paused match frees the place; resuming it needs the place back.
        services.agree(db, first, by, services.CITIZEN)
        services.agree(db, first, by, services.MENTOR)
        services.activate(db, first, by, frequency_days=7, contact_form=int(ContactForm.PHONE))
        services.pause(db, first, by)
        second = services.propose(db, mentor, make_citizen("Second"), by)
        with pytest.raises(MentorError, match="no free place"):
            services.resume(db, first, by)
        services.end(db, second, by, "The citizen said no")
        services.resume(db, first, by)
        assert first.status == MatchStatus.ACTIVE
        assert db.session.scalars(
            select(Match).where(Match.mentor_id == mentor.id).order_by(Match.id)
        ).all() == [first, second]
