"""`broen demo` fills the café through its services: a running course with a waitlist, one to come."""

from __future__ import annotations

from sqlalchemy import func, select

from broen.core.models import Citizen, User
from broen.plugins.cafe.models import AgendaItem, Attendance, Course, Signup, SignupStatus
from tests.conftest import Demo


def test_the_demo_has_a_running_course_with_a_waitlist_and_the_participant_on_it(demo: Demo) -> None:
    db = demo.app.extensions["broen.db"]
    courses = list(db.session.scalars(select(Course).order_by(Course.id)))
    assert len(courses) == 4  # two in each municipality
    running = courses[0]
    statuses = list(db.session.scalars(select(Signup.status).where(Signup.course_id == running.id)))
    assert statuses.count(SignupStatus.CONFIRMED) == running.capacity
    assert statuses.count(SignupStatus.WAITLISTED) >= 1
    participant = db.session.scalar(select(User).where(User.email == "deltager@silkeborg.demo"))
    own = db.session.scalar(select(Citizen).where(Citizen.user_id == participant.id))
    assert own is not None
    assert (
        db.session.scalar(
            select(Signup.status).where(Signup.course_id == running.id, Signup.citizen_id == own.id)
        )
        == SignupStatus.CONFIRMED
    )
    assert db.session.scalar(select(func.count()).select_from(Attendance)) > 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.guest_kind.is_not(None))
        )
        == 4
    )
