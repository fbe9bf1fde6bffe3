"""The mentor plugin's demo data (`broen demo`): a pool of volunteers at every onboarding step, citizens'
wishes, matches at every stage with logged and planned meetings, one match overdue, and an application
waiting in the intake list. The demo's mentor log-in is one of the pool's mentors, with two mentees.

Made through the services, so the demo shows the real rules (capacity, both parties agreeing first).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import time, timedelta

from broen import api
from broen.plugins.mentors import services
from broen.plugins.mentors.models import (
    Application,
    Background,
    ContactForm,
    Match,
    Mentor,
    MentorStatus,
    slot_bit,
)

WALK, COFFEE, PHONE, ONLINE = (int(f) for f in ContactForm)
INTERESTS = [
    "fiskeri",
    "gåture",
    "strik",
    "brætspil",
    "madlavning",
    "fodbold",
    "musik",
    "havearbejde",
    "cykling",
    "it",
    "litteratur",
    "natur",
    "træarbejde",
    "film",
]
AREAS = {
    "silkeborg": ["Silkeborg", "Kjellerup", "Them", "Gjern"],
    "norddjurs": ["Grenaa", "Auning", "Ørsted", "Glesborg"],
}
#: (name, background, work experience, capacity, status); the first is the demo mentor's own profile.
MENTORS = [
    ("Poul Eriksen", Background.RETIRED, "Smed i 35 år, siden tillidsmand.", 2, MentorStatus.APPROVED),
    ("Inge Mikkelsen", Background.RETIRED, "Sygeplejerske, nu pensioneret.", 2, MentorStatus.APPROVED),
    ("Sofie Lund", Background.STUDENT, "Læser psykologi; job i en café.", 1, MentorStatus.APPROVED),
    ("Jens Kristensen", Background.EMPLOYED, "Lagerchef.", 1, MentorStatus.APPROVED),
    ("Birthe Holm", Background.RETIRED, "Bogholder i 30 år.", 2, MentorStatus.APPROVED),
    ("Ahmad Nasser", Background.EMPLOYED, "IT-supporter.", 1, MentorStatus.APPROVED),
    ("Lone Madsen", Background.EMPLOYED, "Pædagog.", 1, MentorStatus.APPROVED),
    ("Kasper Møller", Background.STUDENT, "Læser til lærer.", 1, MentorStatus.TRAINED),
    ("Grethe Dahl", Background.RETIRED, "Tidligere butiksejer.", 1, MentorStatus.INTERVIEWED),
    ("Henrik Bech", Background.EMPLOYED, "Tømrer.", 1, MentorStatus.PAUSED),
    ("Marianne Skov", Background.RETIRED, "Tidligere HR-konsulent.", 2, MentorStatus.LEFT),
]


def _availability(rng: random.Random) -> int:
    mask = 0
    for _ in range(rng.randint(3, 7)):
        mask |= slot_bit(rng.randrange(7), rng.randrange(3))
    return mask


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    db = api.db()
    rng = random.Random(f"mentors-{municipality.slug}")
    coordinator = next(u for u in staff if u.role_in(municipality.id) == api.Role.COORDINATOR)
    mentor_user = next(u for u in staff if u.role_in(municipality.id) == api.Role.MENTOR)
    areas = AREAS.get(municipality.slug, [municipality.name])
    today = services.local_today(municipality)

    mentors: list[Mentor] = []
    for n, (name, background, experience, capacity, status) in enumerate(MENTORS):
        if n == 0:
            name = mentor_user.name
        elif name == mentor_user.name:
            name = MENTORS[0][0]
        data = services.MentorData(
            name=name,
            background=background,
            email=f"{name.split()[0].lower()}@example.dk".replace("ø", "oe").replace("å", "aa"),
            phone="+45 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
            work_experience=experience,
            interests=rng.sample(INTERESTS, 3),
            area=rng.choice(areas),
            availability=_availability(rng),
            capacity=capacity,
            contact_forms=WALK | COFFEE if n % 2 == 0 else COFFEE | PHONE | ONLINE,
        )
        since = today - timedelta(days=rng.randint(20, 400))
        mentor = services.create_mentor(db, municipality, coordinator, data, since=since)
        if status != MentorStatus.INTERVIEWED:
            services.set_status(db, mentor, coordinator, status, since + timedelta(days=14))
        mentors.append(mentor)
    own = mentors[0]
    own.user_id = mentor_user.id  # as an accepted invitation would link it
    db.session.commit()

    # The first citizens' wishes (the citizen's own words come first).
    wishing = list(citizens[:8])
    for citizen in wishing:
        services.set_wishes(
            db,
            citizen,
            coordinator,
            interests=rng.sample(INTERESTS, 3),
            contact_forms=rng.choice([WALK, COFFEE, WALK | COFFEE, PHONE | COFFEE]),
            area=rng.choice(areas),
            availability=_availability(rng),
            note=rng.choice(
                [
                    "Vil gerne mødes udendørs.",
                    "Foretrækker korte møder i starten.",
                    "Ønsker en mentor med erfaring fra håndværk.",
                    "",
                ]
            ),
        )

    def started(mentor: Mentor, citizen: api.Citizen, weeks_ago: int, every: int, form: int) -> Match:
        match = services.propose(db, mentor, citizen, coordinator)
        services.agree(db, match, coordinator, services.CITIZEN)
        services.agree(db, match, coordinator, services.MENTOR)
        services.activate(
            db,
            match,
            coordinator,
            frequency_days=every,
            contact_form=form,
            shared=rng.choice(
                [
                    "Vil gerne tale om at komme tilbage på arbejdsmarkedet. Kan bedst lide at gå en tur.",
                    "Er glad for fiskeri og vil gerne øve sig i at tale med nye mennesker.",
                    "Vil gerne have hjælp til at forberede sig på en samtale med en arbejdsgiver.",
                ]
            ),
        )
        match.started_at = api.utcnow() - timedelta(weeks=weeks_ago)
        db.session.commit()
        return match

    # The demo mentor: two mentees, meetings logged every two weeks, the next one planned.
    for citizen, weeks in ((wishing[0], 10), (wishing[1], 4)):
        match = started(own, citizen, weeks, 14, WALK)
        for back in range(weeks * 7 - 3, 0, -14):
            services.log_meeting(
                db,
                match,
                mentor_user,
                services.MeetingData(
                    today - timedelta(days=back),
                    rng.choice([45, 60, 90]),
                    WALK,
                    note=rng.choice(["God tur ved søen.", "Talte om jobsøgning.", "Kaffe og en god snak."]),
                ),
            )
        services.plan_meeting(
            db,
            match,
            mentor_user,
            services.MeetingData(today + timedelta(days=rng.randint(1, 6)), 60, WALK, at=time(10, 0)),
        )
    # Another mentor's match with no meeting for five weeks although they agreed on every two: overdue.
    started(mentors[1], wishing[2], 5, 14, COFFEE)
    # Proposed, waiting for the citizen's yes; paused; ended.
    services.propose(db, mentors[2], wishing[3], coordinator)
    paused = started(mentors[3], wishing[4], 8, 7, PHONE)
    services.pause(db, paused, coordinator)
    ended = started(mentors[4], wishing[5], 20, 14, COFFEE)
    services.end(db, ended, coordinator, "Borgeren er startet i fleksjob og har ikke brug for en mentor nu.")

    # A volunteer's application from the public form, waiting in the intake list.
    db.session.add(
        Application(
            municipality_id=municipality.id,
            name="Rikke Thomsen",
            email="rikke.thomsen@example.dk",
            background=Background.EMPLOYED,
            about="Jeg arbejder som kok og vil gerne bruge et par timer om måneden på at hjælpe andre.",
            interests=["madlavning", "løb"],
            area=areas[0],
            availability=slot_bit(2, 2) | slot_bit(5, 0),
            contact_forms=WALK | COFFEE,
            consent_text="Jeg giver samtykke til, at kommunen gemmer mine oplysninger.",
            created_at=api.utcnow() - timedelta(days=2),
            consent_at=api.utcnow() - timedelta(days=2),
        )
    )
    db.session.commit()
