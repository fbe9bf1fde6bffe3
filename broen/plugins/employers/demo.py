"""The employers plugin's demo data (`broen demo`): a dozen made-up local companies, the companies the first
citizens can see themselves in, contacts made on their behalf, and placements — flex jobs with few hours,
an ordinary job, an education, an internship, one that ended at a check-in — with check-ins done and some
overdue. Names are invented and no CVR number is real. Made through the services, with dates relative to
today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from broen import api
from broen.plugins.employers import services
from broen.plugins.employers.models import Company, Outcome, Placement, PlacementKind, TaskKind, TaskStatus

#: (name, what they do, contact person, phone)
COMPANIES = [
    ("Bageriet Kornblomsten", "Bageri og café", "Lone Kragh", "86 10 20 31"),
    ("Købmanden på Torvet", "Supermarked", "Henrik Dahl", "86 10 20 32"),
    (
        "Park og Vej, {town} Kommune",
        "Kommunens eget gartnerhold: parker og grønne områder",
        "Jens Mølgaard",
        "86 10 20 33",
    ),
    ("Tømrer Holm & Søn", "Tømrer og snedker", "Allan Holm", "86 10 20 34"),
    ("IT-Hjælpen ApS", "IT-support til små virksomheder", "Sofie Lindberg", "86 10 20 35"),
    ("Plejecenter Solbakken", "Plejehjem", "Birgitte Vang", "86 10 20 36"),
    ("Genbrugsbutikken Kilden", "Genbrug og socialøkonomisk butik", "Marianne Friis", "86 10 20 37"),
    ("Cykelværkstedet Eger", "Cykelreparation og -salg", "Kasper Nørgaard", "86 10 20 38"),
    ("Vaskeriet Rent Tøj", "Industrivaskeri", "Pia Sørensen", "86 10 20 39"),
    ("Lager og Logistik Midt", "Lager og pakning", "Thomas Bruun", "86 10 20 40"),
    ("Biblioteket", "Folkebibliotek", "Anne Kjær", "86 10 20 41"),
    ("Produktionsskolen Ådalen", "Produktionsskole og uddannelse", "Mads Iversen", "86 10 20 42"),
]


def _companies(db: api.Database, municipality: api.Municipality, by: api.User) -> list[Company]:
    town = municipality.name.removesuffix(" Kommune")
    made = []
    for n, (name, industry, contact, phone) in enumerate(COMPANIES):
        made.append(
            services.create_company(
                db,
                municipality,
                by,
                services.CompanyData(
                    name=name.format(town=town),
                    industry=industry,
                    contact_name=contact,
                    phone=phone,
                    email=f"{contact.split()[0].lower()}@example.dk",
                    address=f"Industrivej {n + 1}, {town}",
                ),
            )
        )
    return made


def _follow_up(
    db: api.Database, placement: Placement, by: api.User, done_weeks: int, answer_no_at: int | None = None
) -> None:
    """Do the check-ins of the first `done_weeks` weeks on their due day; "no" at week `answer_no_at`."""
    for task in list(placement.tasks):
        if task.kind != TaskKind.CHECKIN or task.status != TaskStatus.OPEN or (task.week or 0) > done_weeks:
            continue
        still = task.week != answer_no_at
        services.complete_checkin(
            db,
            task,
            by,
            task.due_on,
            still,
            "Går godt, trives med kollegerne." if still else "Stoppede igen.",
        )
        if not still:
            return


def create(
    municipality: api.Municipality, staff: Sequence[api.User], citizens: Sequence[api.Citizen]
) -> None:
    db = api.db()
    coordinator = next(u for u in staff if u.role_in(municipality.id) == api.Role.COORDINATOR)
    today = services.local_today(municipality)
    companies = _companies(db, municipality, coordinator)
    bakery, shop, garden, carpenter, it, nursing, reuse, bikes, _laundry, stock, library, school = companies
    people = list(citizens)
    if not people:
        return

    interests = [
        (0, bakery),
        (0, library),
        (1, garden),
        (2, shop),
        (3, school),
        (4, it),
        (5, reuse),
        (6, bikes),
        (7, nursing),
    ]
    for n, company in interests:
        if n < len(people):
            services.add_interest(db, people[n], coordinator, company, "Har selv nævnt stedet.")

    contacts = [
        (0, bakery, 150, Outcome.FLEX_JOB),
        (1, garden, 70, Outcome.FLEX_JOB),
        (2, shop, 30, Outcome.ORDINARY_JOB),
        (3, school, 220, Outcome.EDUCATION),
        (4, it, 20, Outcome.INTERNSHIP),
        (5, reuse, 100, Outcome.FLEX_JOB),
        (6, bikes, 12, Outcome.JOB_INTERVIEW),
        (6, carpenter, 40, Outcome.NO),
        (7, nursing, 9, Outcome.LATER),
        (7, stock, 5, Outcome.JOB_INTERVIEW),
    ]
    for n, company, days, outcome in contacts:
        if n < len(people):
            services.record_contact(
                db, people[n], coordinator, company, today - timedelta(days=days), outcome
            )

    # (citizen, company, kind, weeks since the start, hours, check-ins done up to week, "no" at week)
    placements = [
        (0, bakery, PlacementKind.FLEXJOB, 20, "12", 13, None),
        (1, garden, PlacementKind.FLEXJOB, 9, "8", 4, None),
        (2, shop, PlacementKind.ORDINARY_JOB, 3, "25", 2, None),
        (3, school, PlacementKind.EDUCATION, 28, "", 22, None),
        (4, it, PlacementKind.INTERNSHIP, 2, "15", 0, None),
        (5, reuse, PlacementKind.FLEXJOB, 12, "6", 4, 4),
    ]
    for n, company, kind, weeks, hours, done, no_at in placements:
        if n >= len(people):
            continue
        placement = services.record_placement(
            db,
            people[n],
            coordinator,
            company,
            services.PlacementData(kind=kind, start_on=today - timedelta(weeks=weeks), hours_per_week=hours),
        )
        _follow_up(db, placement, coordinator, done, no_at)
