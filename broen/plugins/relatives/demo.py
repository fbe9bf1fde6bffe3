"""The relatives plugin's demo data (`broen demo`): relatives of the first citizens, each under a recorded
consent (one consent withdrawn), referrals to counselling at several steps, a group course for relatives
with its sessions in the calendar, and a referral from the public form waiting in the intake queue.

Made through the services, so the demo shows the real rules (consent first, a referral only when the
consent allows it). Referrals are marked as sent by post, so the demo sends no e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time, timedelta

from broen import api
from broen.plugins.relatives import courses, intake, services
from broen.plugins.relatives.models import ConsentForm, ReferralKind, ReferralStatus, Relation

#: (name, relation, may be referred, may name the citizen, may share the situation)
RELATIVES = [
    ("Hanne Jensen", Relation.PARENT, True, True, True),
    ("Morten Lund", Relation.PARTNER, True, True, False),
    ("Sara Nielsen", Relation.FRIEND, True, False, False),
    ("Ole Berg", Relation.COLLEAGUE, False, False, False),
]


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    db = api.db()
    coordinator = next(u for u in staff if u.role_in(municipality.id) == api.Role.COORDINATOR)
    today = services.local_today(municipality)

    course = courses.create_course(
        db,
        municipality,
        coordinator,
        courses.CourseData(
            title="Pårørendekursus: at være tæt på en med psykisk sårbarhed",
            kind=ReferralKind.GROUP_COURSE,
            led_by="En psykolog fra SIND Pårørenderådgivning",
            venue=f"Biblioteket, {municipality.name.removesuffix(' Kommune')}",
            description="Fire aftener om at passe på sig selv som pårørende, med tid til at dele erfaringer.",
            places=12,
        ),
    )
    first = today + timedelta(days=(1 - today.weekday()) % 7 + 7)  # a Tuesday, one to two weeks ahead
    for week in range(4):
        courses.add_session(
            db, course, coordinator, day=first + timedelta(weeks=week), start=time(18), minutes=120
        )

    for n, (name, relation, refer, name_ok, situation_ok) in enumerate(RELATIVES):
        citizen = citizens[n % len(citizens)]
        consent = services.ConsentData(
            given_on=today - timedelta(days=30 - n),
            form=ConsentForm.WRITTEN if n % 2 == 0 else ConsentForm.ORAL,
            share_with_relative=True,
            refer_to_counselling=refer,
            share_citizen_name=name_ok,
            share_situation=situation_ok,
        )
        data = services.RelativeData(
            name=name,
            relation=relation,
            email=f"{name.split()[0].lower()}@example.dk",
            phone=f"+45 20 30 40 {50 + n}",
        )
        relative = services.add_relative(db, citizen, coordinator, consent, data)
        if n == 0:
            referral = services.propose_referral(
                db,
                relative,
                coordinator,
                ReferralKind.GROUP_COURSE,
                situation="Mor til en ung, der er på vej tilbage i job efter en depression.",
                course_id=course.id,
            )
            services.mark_sent(db, referral, coordinator, today)
            services.set_status(db, referral, coordinator, ReferralStatus.ACCEPTED, today)
        elif n == 1:
            services.propose_referral(db, relative, coordinator, ReferralKind.INDIVIDUAL)
        elif n == 2:
            services.propose_referral(db, relative, coordinator, ReferralKind.TEACHING)
            services.withdraw_consent(db, relative, coordinator)

    from_public = intake.ReferralData(
        who="other",
        referrer_name="Lise Andersen",
        consent=True,
        referrer_phone="+45 22 33 44 55",
        relation=Relation.PARENT,
        person_name="Mikkel Andersen",
        person_knows="yes",
        message="Min søn har været sygemeldt med angst i et år og vil gerne i gang med noget.",
    )
    intake.submit_referral(
        db, municipality, from_public, consent=intake.consent_text(municipality), source="demo"
    )
