"""A crowd at the door: many sign-ups at the same instant, from separate connections, on SQLite and on
PostgreSQL, give exactly as many confirmed as there are seats and a gap-free waitlist, with no errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

from flask import Flask
from sqlalchemy import select

from broen.core.db import Database
from broen.core.models import Citizen, User
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Signup, SignupStatus
from tests.conftest import World
from tests.crowd import all_at_once
from tests.plugins.cafe.conftest import citizen

CROWD = 24
SEATS = 5


def test_simultaneous_sign_ups_fill_exactly_the_seats_and_queue_the_rest_in_order(
    app: Flask, cafe_world: World
) -> None:
    with app.app_context():
        db = app.extensions["broen.db"]
        silkeborg = cafe_world.municipalities["silkeborg"]
        course_id = services.create_course(
            db,
            silkeborg,
            cafe_world.user("silkeborg", "coordinator"),
            title="Café",
            first_date=date(2027, 1, 5),
            start=time(17, 0),
            capacity=SEATS,
        ).id
        citizen_ids = [citizen(app, cafe_world, f"Borger {n}").id for n in range(CROWD)]
        by_id = cafe_world.user("silkeborg", "coordinator").id
        db.session.remove()

    results: dict[int, tuple[str, int | None]] = {}

    def sign_up(citizen_id: int, go: Callable[[], None]) -> None:
        # Each thread has a database (engine, pool, session) of its own: its own connection. The app
        # context is for what the service reads through broen.api (the café settings, translations).
        own = Database(app.extensions["broen.db"].url)
        with app.app_context():
            try:
                course = own.session.get_one(Course, course_id)
                who = own.session.get_one(Citizen, citizen_id)
                by = own.session.get_one(User, by_id)
                own.session.rollback()  # start together, each from no transaction at all
                go()
                signup = services.sign_up(own, course, who, by)
                results[citizen_id] = (signup.status.value, signup.position)
            finally:
                own.dispose()
                app.extensions["broen.db"].session.remove()

    assert all_at_once(sign_up, citizen_ids) == []
    assert len(results) == CROWD

    with app.app_context():
        db = app.extensions["broen.db"]
        rows = db.session.scalars(
            select(Signup).where(Signup.course_id == course_id).order_by(Signup.id)
        ).all()
        db.session.remove()
    assert len(rows) == CROWD
    assert len({r.citizen_id for r in rows}) == CROWD
    confirmed = [r for r in rows if r.status == SignupStatus.CONFIRMED]
    waitlisted = [r for r in rows if r.status == SignupStatus.WAITLISTED]
    assert len(confirmed) == SEATS
    assert len(waitlisted) == CROWD - SEATS
    assert all(r.position is None for r in confirmed)
    # The queue is in the order the sign-ups got in (ids are handed out inside the course lock),
    # with places 1..N, no gaps and no two on the same place.
    assert [r.position for r in waitlisted] == list(range(1, CROWD - SEATS + 1))
    # Everyone was told what the database holds.
    assert {r.citizen_id: (r.status.value, r.position) for r in rows} == results
    # Seats went to the first ones in.
    assert max(r.id for r in confirmed) < min(r.id for r in waitlisted)
