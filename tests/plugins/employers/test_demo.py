"""The demo data (`broen_demo_data`) goes through the services: a dozen companies, interests, contacts and
placements, with check-ins done, one placement ended at a check-in, and some check-ins overdue."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from broen.core.models import Citizen, Municipality, User
from broen.plugins.employers import demo, services
from broen.plugins.employers.models import Company, Contact, Interest, Placement, Task, TaskStatus
from tests.conftest import World, db_of
from tests.plugins.employers.conftest import SQLITE_ONLY, make_citizen


@SQLITE_ONLY
def test_the_demo_has_companies_contacts_and_placements_with_done_and_overdue_check_ins(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    extra = [make_citizen(app, w, f"Demo {n}") for n in range(5)]
    with app.test_request_context():
        db = db_of(app)
        m = db.session.get_one(Municipality, w.municipalities["silkeborg"].id)
        staff = [db.session.get_one(User, w.user("silkeborg", r).id) for r in ("admin", "coordinator")]
        citizens = [db.session.get_one(Citizen, i) for i in [*w.citizens["silkeborg"], *extra]]
        demo.create(m, staff, citizens)

        def count(model: type) -> int:
            return int(db.session.scalar(select(func.count()).select_from(model)))

        assert (
            count(Company) == 12 and count(Interest) == 9 and count(Contact) == 10 and count(Placement) == 6
        )
        today = services.local_today(m)
        tasks = list(db.session.scalars(select(Task)))
        assert any(t.status == TaskStatus.DONE for t in tasks)
        assert any(t.status == TaskStatus.CANCELLED for t in tasks)
        assert any(t.status == TaskStatus.OPEN and t.due_on < today for t in tasks)
        assert db.session.scalar(select(func.count()).where(Placement.ended_on.is_not(None))) == 1
