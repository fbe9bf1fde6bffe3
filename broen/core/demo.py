"""Demo data: Silkeborg and Norddjurs with made-up Danish staff and citizens.

Everything is created through the same service functions the UI uses, so the demo shows real rules
at work (audit entries included); each municipality gets its preset (broen/presets/<slug>.toml) through the
same import an admin uses. Running it again leaves existing demo data alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from broen.core import accounts, configuration
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.db import Database
from broen.core.models import Citizen, CitizenStatus, Municipality, Role, User
from broen.core.plugins import PluginRegistry

DEMO_PASSWORD = "broen-demo-2026"  # noqa: S105 - printed for people trying the demo; not a secret

FIRST_NAMES = [
    "Mette",
    "Lars",
    "Anne",
    "Jens",
    "Camilla",
    "Mads",
    "Louise",
    "Søren",
    "Maria",
    "Rasmus",
    "Sofie",
    "Henrik",
    "Ida",
    "Peter",
    "Emma",
    "Thomas",
    "Julie",
    "Kasper",
    "Line",
    "Mikkel",
    "Signe",
    "Jesper",
    "Katrine",
    "Anders",
    "Maja",
    "Morten",
    "Freja",
    "Nikolaj",
    "Birgitte",
    "Ole",
    "Hanne",
    "Jørgen",
]
LAST_NAMES = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Kjær",
    "Møller",
    "Mortensen",
    "Lund",
    "Holm",
    "Østergaard",
    "Bak",
    "Dahl",
]
STREETS = {
    "silkeborg": [
        "Vestergade",
        "Borgergade",
        "Christian 8.s Vej",
        "Drewsensvej",
        "Nørreskov Bakke",
    ],
    "norddjurs": ["Torvet", "Østergade", "Kattegatvej", "Randersvej", "Søndergade"],
}
POSTCODES = {"silkeborg": "8600 Silkeborg", "norddjurs": "8500 Grenaa"}

MUNICIPALITIES = [
    (
        "silkeborg",
        "Silkeborg Kommune",
        [
            ("admin@silkeborg.demo", "Karen Vestergaard", Role.ADMIN),
            ("mette@silkeborg.demo", "Mette Kjær", Role.COORDINATOR),
            ("lars@silkeborg.demo", "Lars Bruun", Role.COORDINATOR),
            ("mentor@silkeborg.demo", "Poul Eriksen", Role.MENTOR),
            ("deltager@silkeborg.demo", "", Role.PARTICIPANT),
        ],
    ),
    (
        "norddjurs",
        "Norddjurs Kommune",
        [
            ("admin@norddjurs.demo", "Hanne Lauridsen", Role.ADMIN),
            ("jesper@norddjurs.demo", "Jesper Friis", Role.COORDINATOR),
            ("mentor@norddjurs.demo", "Inge Mikkelsen", Role.MENTOR),
            ("deltager@norddjurs.demo", "", Role.PARTICIPANT),
        ],
    ),
]
CITIZENS_PER_MUNICIPALITY = 36


def create_demo(
    db: Database,
    plugins: PluginRegistry,
    echo: Callable[[str], object] = print,
    base_url: str = "http://127.0.0.1:5000",
) -> None:
    rng = random.Random(2026)  # the same demo every time
    if db.session.scalar(select(Municipality).where(Municipality.slug == "silkeborg")) is not None:
        echo("The demo data is there already.")
        _print_logins(echo, base_url)
        return
    for slug, name, staff in MUNICIPALITIES:
        echo(f"Creating {name} ...")
        municipality = accounts.create_municipality(db, slug, name)
        for plugin in plugins.names:
            accounts.set_plugin_enabled(db, municipality, plugin, True)
        if slug in configuration.preset_names():
            # The municipality's own fields and settings, through the same door as an admin's import.
            configuration.apply_import(db, municipality, configuration.preset(slug), None)
            echo(f"  applied the {slug}.toml preset")
        users: list[tuple[User, Role]] = []
        for email, person, role in staff:
            if role == Role.PARTICIPANT:
                continue  # made below, for one of the citizens
            user = accounts.create_user(db, email, person, DEMO_PASSWORD)
            accounts.grant_role(db, user, municipality, role)
            users.append((user, role))
        coordinators = [u for u, r in users if r in (Role.ADMIN, Role.COORDINATOR)]
        citizens = []
        for i in range(CITIZENS_PER_MUNICIPALITY):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            status = rng.choices(list(CitizenStatus)[:4], weights=[2, 6, 2, 1])[0]
            approved = rng.random() < 0.8
            citizen = create_citizen(
                db,
                municipality,
                rng.choice(coordinators),
                CitizenData(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}{i}@example.dk".replace("ø", "oe").replace(
                        "æ", "ae"
                    ),
                    phone="+45 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
                    address=f"{rng.choice(STREETS[slug])} {rng.randint(1, 80)}, {POSTCODES[slug]}",
                    contact_person_id=rng.choice(coordinators).id,
                    status=status,
                    status_since=date.today() - timedelta(days=rng.randint(1, 300)),
                    flexjob_approved=approved,
                    flexjob_approved_on=date.today() - timedelta(days=rng.randint(30, 900))
                    if approved
                    else None,
                    flexjob_mental_health_basis=approved and rng.random() < 0.85,
                ),
            )
            citizens.append(citizen)
        participant = _participant_log_in(db, municipality, staff, citizens)
        users.append((participant, Role.PARTICIPANT))
        echo(f"  {len(staff) - 1} staff, {CITIZENS_PER_MUNICIPALITY} citizens, 1 participant with a log-in")
        plugins.call(
            "broen_demo_data",
            municipality,
            municipality=municipality,
            staff=[u for u, _r in users],
            citizens=citizens,
        )
    _print_logins(echo, base_url)


def _participant_log_in(
    db: Database, municipality: Municipality, staff: list[tuple[str, str, Role]], citizens: list[Citizen]
) -> User:
    """The first citizen who may join café meetings gets the demo's participant log-in (as an accepted
    invitation would give them)."""
    citizen = next(c for c in citizens if c.flexjob_approved and c.flexjob_mental_health_basis)
    email = next(e for e, _person, role in staff if role == Role.PARTICIPANT)
    user = accounts.create_user(db, email, citizen.name, DEMO_PASSWORD)
    accounts.grant_role(db, user, municipality, Role.PARTICIPANT)
    citizen.user_id = user.id
    db.session.commit()
    return user


def _print_logins(echo: Callable[[str], object], base_url: str) -> None:
    echo("")
    echo(
        f"Log in at {base_url.rstrip('/')}/login with one of these accounts (password for all: {DEMO_PASSWORD}):"
    )
    for _slug, name, staff in MUNICIPALITIES:
        for email, person, role in staff:
            person = person or "(a citizen)"
            echo(f"  {email:<24} {person:<18} {role.value:<12} {name}")
