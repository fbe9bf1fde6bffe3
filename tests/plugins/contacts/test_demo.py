"""The demo data, made through the services: every citizen has contacts since their start and WHO-5
measurements at the start and every three months; some are overdue, some have a rhythm of their own."""

from __future__ import annotations

from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from broen.core.models import Citizen
from broen.plugins.contacts import demo, due
from broen.plugins.contacts.models import Contact, Rhythm, Who5
from tests.conftest import World, db_of
from tests.plugins.contacts.conftest import SQLITE_ONLY, started, today_in


@SQLITE_ONLY
def test_the_demo_gives_every_citizen_a_history_of_contacts_and_measurements(
    app: Flask, contacts_world: World
) -> None:
    today = today_in(contacts_world)
    for n, citizen_id in enumerate(contacts_world.citizens["silkeborg"]):
        started(app, citizen_id, 200 + 30 * n, today)
    with app.app_context():
        db = db_of(app)
        municipality = contacts_world.municipalities["silkeborg"]
        citizens = list(db.session.scalars(select(Citizen).where(Citizen.municipality_id == municipality.id)))
        for citizen in citizens:  # the demo's citizens started some time ago, as `broen demo` makes them
            citizen.status_since = citizen.status_changes[0].on
        db.session.commit()
        staff = [contacts_world.user("silkeborg", r) for r in ("admin", "coordinator")]
        demo.create(municipality, staff, citizens)
        contacts = Counter(db.session.scalars(select(Contact.citizen_id)))
        measurements = Counter(db.session.scalars(select(Who5.citizen_id)))
        assert set(contacts) == set(measurements) == {c.id for c in citizens}
        assert all(n >= 2 for n in measurements.values()) and all(n >= 5 for n in contacts.values())
        assert db.session.scalar(select(func.max(Contact.on))) <= today
        assert len(due.due_of(db, municipality)) == 3
        assert db.session.scalar(select(func.count()).select_from(Rhythm)) in (0, 1, 2, 3)
