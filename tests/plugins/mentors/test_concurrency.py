"""Coordinators proposing the same mentor at the same instant, from separate connections, on SQLite and
on PostgreSQL, never give the mentor more matches than places."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import func, select

from broen.core.db import Database
from broen.core.models import Citizen, User
from broen.plugins.mentors import services
from broen.plugins.mentors.models import Match, Mentor
from broen.plugins.mentors.services import MentorError
from tests.conftest import World
from tests.crowd import all_at_once

CROWD = 12
PLACES = 3


def test_simultaneous_proposals_fill_exactly_the_mentors_places(
    app: Flask,
    mentors_world: World,
    make_mentor: Callable[..., Mentor],
    make_citizen: Callable[..., Citizen],
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        mentor_id = make_mentor("Poul Mentor", capacity=PLACES).id
        citizen_ids = [make_citizen(f"Borger {n}").id for n in range(CROWD)]
        by_id = mentors_world.user("silkeborg", "coordinator").id
        db.session.remove()

    refused: list[str] = []

    def propose(citizen_id: int, go: Callable[[], None]) -> None:
        own = Database(app.extensions["broen.db"].url)  # a connection of its own
        with app.app_context():
            try:
                mentor = own.session.get_one(Mentor, mentor_id)
                citizen = own.session.get_one(Citizen, citizen_id)
                by = own.session.get_one(User, by_id)
                own.session.rollback()
                go()
                services.propose(own, mentor, citizen, by)
            except MentorError as exc:
                refused.append(exc.field)
            finally:
                own.dispose()
                app.extensions["broen.db"].session.remove()

    assert all_at_once(propose, citizen_ids) == []
    assert refused == ["mentor"] * (CROWD - PLACES)
    with app.app_context():
        db = app.extensions["broen.db"]
        count = db.session.scalar(select(func.count()).select_from(Match).where(Match.mentor_id == mentor_id))
        db.session.remove()
    assert count == PLACES
