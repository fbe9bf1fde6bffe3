"""The contacts plugin's demo data (`broen demo`): for every citizen a history of contacts since their
start (some overdue now, some due this week, a few with a rhythm of their own) and WHO-5 measurements at
the start and every three months, with a mix of gains. Made through the services, with dates relative to
today."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from broen import api
from broen.plugins.contacts import services
from broen.plugins.contacts.models import ContactForm, Initiative

NOTES = [
    "Snak om hvordan ugen er gået.",
    "Gåtur ved søen. Godt humør.",
    "Talte om praktik. Vil gerne prøve et lager.",
    "Kort opringning: aftalte næste møde.",
    "Svært at komme ud af døren i denne uge. Aftalte en gåtur.",
    "Fulgte op på mødet med jobcentret.",
    "Sms om tid til café-mødet.",
    "Har sovet bedre. Vil gerne mødes oftere.",
    "",
    "",
]


def _answers(rng: random.Random, level: float) -> list[int]:
    return [max(0, min(5, round(level + rng.uniform(-0.8, 0.8)))) for _ in range(services.WHO5_ITEMS)]


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    db = api.db()
    rng = random.Random(f"contacts-{municipality.slug}")
    today = api.local_today(municipality)
    minimum = services.minimum_days(municipality)
    for citizen in citizens:
        start = min(citizen.status_since, today)
        by = citizen.contact_person
        weeks = None
        if rng.random() < 0.2 and services.rhythm_choices(minimum):
            weeks = rng.choice(services.rhythm_choices(minimum)[:2])
            services.set_rhythm(db, citizen, by, weeks)
        days = services.effective_days(minimum, weeks)
        kind = rng.random()
        if kind < 0.25:  # overdue
            last = today - timedelta(days=days + rng.randint(1, 20))
        elif kind < 0.5:  # due this week
            last = (
                today
                - timedelta(days=days)
                + timedelta(days=rng.randint(0, (api.week_end(today) - today).days))
            )
        else:
            last = today - timedelta(days=rng.randint(0, max(0, days - 8)))
        history: list[date] = []
        day = last
        while day >= start:
            history.append(day)
            day -= timedelta(days=max(3, days + rng.randint(-7, 2)))
        for on in reversed(history):
            services.log_contact(
                db,
                citizen,
                by,
                services.ContactData(
                    on=on,
                    form=rng.choices(list(ContactForm), weights=[5, 3, 2, 2])[0],
                    initiative=rng.choices(list(Initiative), weights=[1, 3])[0],
                    note=rng.choice(NOTES),
                ),
                today=today,
            )
        level = rng.uniform(1.2, 2.8)
        gain = rng.choice([-0.2, 0.0, 0.3, 0.5, 0.8])
        on, n = start, 0
        # About one in five has missed their latest measurement: a WHO-5 is due.
        until = today - timedelta(days=services.WHO5_EVERY_DAYS) if rng.random() < 0.2 else today
        while on <= until or n == 0:
            services.record_who5(db, citizen, by, on, _answers(rng, level + gain * n), today=today)
            n += 1
            on = api.add_months(start, 3 * n)
