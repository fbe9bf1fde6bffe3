"""The café's demo data (`broen demo`): a running course with a full house and a waitlist, and one to come.

Made through the services, so the demo shows the real rules: only eligible citizens get on, the sixth
sign-up on a course of five goes to the waitlist, a moved session has a higher SEQUENCE in the feeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from broen import api
from broen.plugins.cafe import program, services
from broen.plugins.cafe.models import GuestKind

VENUES = {
    "silkeborg": "Medborgerhuset, Hostrupsgade 41, Silkeborg",
    "norddjurs": "Kulturhuset Pavillonen, Grenaa",
}


def _tuesday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() - 1) % 7)


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    db = api.db()
    coordinator = next(u for u in staff if u.role_in(municipality.id) == api.Role.COORDINATOR)
    participant = next(u for u in staff if u.role_in(municipality.id) == api.Role.PARTICIPANT)
    eligible = [c for c in citizens if services.eligibility_problem(c, municipality) is None]
    own = next(c for c in eligible if c.user_id == participant.id)
    others = [c for c in eligible if c is not own]
    venue = VENUES.get(municipality.slug, municipality.name)

    # Started two weeks ago: two sessions behind it, three ahead; five seats, so a waitlist.
    running = services.create_course(
        db,
        municipality,
        coordinator,
        title="Cafémøde: vejen til og i job",
        first_date=_tuesday_on_or_before(date.today()) - timedelta(days=14),
        start=time(17, 0),
        capacity=5,
        venue=venue,
        facilitators=f"{coordinator.name} og en frivillig mentor",
        description=(
            "Fem møder for dig i eller på vej mod et fleksjob. Vi taler om arbejdsliv, trivsel og det, "
            "I selv bringer med. Kaffe og kage står klar."
        ),
    )
    for citizen in [own, *others[:6]]:
        services.sign_up(db, running, citizen, coordinator)
    past = [s for s in running.sessions if s.starts_at.date() < date.today()]
    confirmed = [s.citizen_id for s in services.signups(db, running) if s.position is None]
    for n, session in enumerate(past):
        program.mark_attendance(
            db, session, coordinator, {cid: (i + n) % 4 != 3 for i, cid in enumerate(confirmed)}
        )
    coming = [s for s in running.sessions if s not in past]
    if coming:
        program.add_item(
            db,
            running,
            coordinator,
            title="En virksomhed fortæller om fleksjob hos dem",
            session=coming[0],
            guest_kind=GuestKind.COMPANY,
            guest_name="Silkeborg Data A/S" if municipality.slug == "silkeborg" else "Grenaa Havn",
        )
        program.add_item(
            db,
            running,
            coordinator,
            title="At fortælle sin arbejdsgiver om sin sårbarhed",
            session=coming[-1],
            guest_kind=GuestKind.LIVED_EXPERIENCE,
            guest_name="En tidligere deltager",
        )
    program.propose_topic(db, running, own, participant, title="Hvordan holder man pauser på jobbet?")

    # The next course, in a month: open for sign-up.
    services.create_course(
        db,
        municipality,
        coordinator,
        title="Cafémøde: nyt hold",
        first_date=_tuesday_on_or_before(date.today()) + timedelta(days=35),
        start=time(17, 0),
        venue=venue,
        facilitators=coordinator.name,
        description="Et nyt hold cafémøder. Skriv dig op her, eller spørg din koordinator.",
    )
