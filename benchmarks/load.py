"""broen under load as production runs it: gunicorn with 4 workers on a PostgreSQL started here.

Run from the repository root:  .venv/bin/python benchmarks/load.py  [--seconds 60] [--workers 4] [--clients 4]

1. Starts a throwaway PostgreSQL cluster (tests/fixtures/postgres.py), migrates broen into a database of
   it, and seeds 2 municipalities x 2,000 citizens x 40 café courses (5 sessions, 12 seats, 9-11 of them
   taken, so the seats left are few and sign-ups race for them), 60 participant log-ins per municipality
   each linked to a citizen with a personal calendar link, and a coordinator per municipality. Citizens,
   users and the seated sign-ups are bulk-inserted (SQLAlchemy Core); courses and calendar links go
   through the services. Every sign-up under test goes through HTTP.
2. Starts gunicorn on 127.0.0.1 with `--workers` *sync* workers: broen is CPU-bound Python, so threads in
   a worker add nothing but contention for its interpreter lock, and a sync worker that dies loses only
   the one request it was answering (tests/production/test_gunicorn.py). This is what docs/operations.md
   recommends. The price: no keep-alive, a new loopback connection per request (a fraction of a ms).
3. `--clients` threads (stdlib http.client) drive a mix for `--seconds`, each as fast as answers come
   (no think time, so the server is saturated and latencies include queueing): coordinator page views
   (start page, citizen list at a random page, a citizen, a course page), participant sign-ups and
   leaves (the POST, then the participant page it redirects to), personal feed polls with the ETag of the
   client's last answer (304, or 200 when the municipality's calendar changed meanwhile: every sign-up
   changes it), the public feed, and a hello-world route of the same app as the machine's reference.
4. Prints requests/s, p50/p95/p99 per route, errors (status >= 500, no answer, or a 4xx that should
   not be), then checks in the database: no course has more seated than seats, queues are numbered
   1, 2, 3 ..., and every sign-up made over HTTP has its audit trail. Targets are printed met/missed.

Everything is bounded in time; gunicorn and the cluster are stopped on exit, Ctrl+C and SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from benchmarks.feeds import make_app  # noqa: E402
from tests.production.serve import CONNECTION_ERRORS, Answer, Browser, gunicorn  # noqa: E402

PASSWORD = "load benchmark password"  # noqa: S105 - a throwaway database
MUNICIPALITIES = (("silkeborg", "Silkeborg Kommune"), ("norddjurs", "Norddjurs Kommune"))
SEATS = 12
SESSIONS = 5
#: Targets (issue 9): p95 of every page under this many ms, of a 304 feed poll under this many.
PAGE_P95_MS = 150
FEED_304_P95_MS = 20
PAGES = (
    "start page",
    "citizen list",
    "citizen page",
    "course page",
    "sign-up (POST)",
    "leave (POST)",
    "participant page",
)


# --- seeding -------------------------------------------------------------------------------------------------


@dataclass
class Town:
    slug: str
    coordinator: str
    citizen_ids: list[int]
    course_ids: list[int]
    participants: list[str]  # e-mail addresses
    feeds: list[str]  # the participants' personal feeds, in the same order


def seed(app: Flask, citizens: int, courses: int, participants: int) -> list[Town]:
    from broen.calendar import tokens
    from broen.core import accounts
    from broen.core.migrate import upgrade
    from broen.core.models import Citizen, CitizenStatus, Membership, Role, User
    from broen.core.passwords import hash_password
    from broen.plugins.cafe import services
    from broen.plugins.cafe.models import Signup, SignupStatus

    rng = random.Random(9)  # noqa: S311 - the same data every run
    db = app.extensions["broen.db"]
    upgrade(db, app.extensions["broen.plugins"])
    password_hash = hash_password(PASSWORD)  # one hash for every participant: argon2 is slow on purpose
    towns = []
    with app.test_request_context():
        for slug, name in MUNICIPALITIES:
            town = accounts.create_municipality(db, slug, name)
            accounts.set_plugin_enabled(db, town, "cafe", True)
            coordinator = accounts.create_user(db, f"koordinator@{slug}.dk", "Koordinator", PASSWORD)
            accounts.grant_role(db, coordinator, town, Role.COORDINATOR)
            emails = [f"deltager{n}@{slug}.dk" for n in range(participants)]
            user_ids = list(
                db.session.scalars(
                    insert(User).returning(User.id),
                    [
                        {
                            "email": e,
                            "name": f"Deltager {n}",
                            "password_hash": password_hash,
                            "language": "da",
                        }
                        for n, e in enumerate(emails)
                    ],
                )
            )
            db.session.execute(
                insert(Membership),
                [{"user_id": u, "municipality_id": town.id, "role": Role.PARTICIPANT} for u in user_ids],
            )
            today = date.today()
            citizen_ids = list(
                db.session.scalars(
                    insert(Citizen).returning(Citizen.id),
                    [
                        {
                            "municipality_id": town.id,
                            "name": f"Borger {n:04d} {name.split()[0]}",
                            "search_name": f"borger {n:04d} {name.split()[0].lower()}",
                            "status": CitizenStatus.ACTIVE,
                            "status_since": today - timedelta(days=n % 700),
                            "flexjob_approved": True,
                            "flexjob_mental_health_basis": True,
                            "contact_person_id": coordinator.id,
                            "user_id": user_ids[n] if n < participants else None,
                        }
                        for n in range(citizens)
                    ],
                )
            )
            db.session.commit()
            course_ids = [
                services.create_course(
                    db,
                    town,
                    coordinator,
                    title=f"Café {n + 1}",
                    first_date=today + timedelta(days=3 + n % 7),
                    start=clock(9 + n % 8, 0),
                    count=SESSIONS,
                    capacity=SEATS,
                    venue=f"Lokale {n % 5 + 1}, Medborgerhuset",
                ).id
                for n in range(courses)
            ]
            # 9 to 11 of the 12 seats taken by citizens who are not participants of the benchmark.
            others = citizen_ids[participants:]
            now = datetime.now(UTC)
            db.session.execute(
                insert(Signup),
                [
                    {
                        "municipality_id": town.id,
                        "course_id": course_id,
                        "citizen_id": citizen_id,
                        "status": SignupStatus.CONFIRMED,
                        "created_at": now,
                        "changed_at": now,
                    }
                    for course_id in course_ids
                    for citizen_id in rng.sample(others, rng.randint(SEATS - 3, SEATS - 1))
                ],
            )
            db.session.commit()
            users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
            feeds = [f"/feeds/{tokens.issue(db, users[u])}.ics" for u in user_ids]
            towns.append(Town(slug, coordinator.email, citizen_ids, course_ids, emails, feeds))
        db.session.remove()
    return towns


# --- the load ------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every request's route, seconds and outcome, from every client thread."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    signups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, route: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[route].append(seconds)
            if error:
                self.errors[f"{route}: {error}"] += 1


class Client:
    """One client thread: a coordinator's browser per municipality and its share of the participants."""

    def __init__(self, port: int, towns: list[Town], share: int, of: int, tally: Tally, seed: int) -> None:
        self.port, self.towns, self.tally = port, towns, tally
        self.rng = random.Random(seed)  # noqa: S311 - a mix, not a secret
        self.staff = {t.slug: Browser(port) for t in towns}
        self.people: list[tuple[Town, int, Browser]] = [
            (t, n, Browser(port)) for t in towns for n in range(share, len(t.participants), of)
        ]
        self.tokens: dict[int, str] = {}
        self.on: dict[int, set[int]] = defaultdict(set)  # participant browser -> courses they are on
        self.etags: dict[str, str] = {}
        self.hello = Browser(port)

    def log_in(self) -> None:
        for town in self.towns:
            self.staff[town.slug].login(town.coordinator, PASSWORD)
        for town, n, browser in self.people:
            browser.login(town.participants[n], PASSWORD)
            self.tokens[id(browser)] = browser.csrf_token(f"/{town.slug}/cafe/me/")

    def ask(self, route: str, expected: tuple[int, ...], call: Callable[[], Answer]) -> Answer | None:
        began = time.perf_counter()
        try:
            answer = call()
        except CONNECTION_ERRORS as exc:
            self.tally.note(route, time.perf_counter() - began, f"no answer ({type(exc).__name__})")
            return None
        seconds = time.perf_counter() - began
        self.tally.note(route, seconds, None if answer.status in expected else f"status {answer.status}")
        return answer

    def step(self) -> None:
        town = self.rng.choice(self.towns)
        roll = self.rng.random()
        staff = self.staff[town.slug]
        m = f"/{town.slug}"
        if roll < 0.06:
            self.ask("start page", (200,), lambda: staff.get(f"{m}/"))
        elif roll < 0.14:
            page = self.rng.randint(1, 20)
            self.ask("citizen list", (200,), lambda: staff.get(f"{m}/citizens/?page={page}"))
        elif roll < 0.22:
            citizen = self.rng.choice(town.citizen_ids)
            self.ask("citizen page", (200,), lambda: staff.get(f"{m}/citizens/{citizen}"))
        elif roll < 0.30:
            course = self.rng.choice(town.course_ids)
            self.ask("course page", (200,), lambda: staff.get(f"{m}/cafe/courses/{course}"))
        elif roll < 0.50:
            self.sign_up_or_leave(town, leave=roll >= 0.45)
        elif roll < 0.80:
            feed = self.rng.choice(town.feeds[: max(1, len(town.feeds) // 6)])  # a few busy calendars
            headers = {"If-None-Match": self.etags[feed]} if feed in self.etags else {}
            answer = self.ask("personal feed", (200, 304), lambda: self.hello.get(feed, headers))
            if answer is not None:
                self.relabel(answer)
                self.etags[feed] = answer.header("ETag")
        elif roll < 0.92:
            self.ask("public feed", (200,), lambda: self.hello.get(f"{m}/public/calendar/public.ics"))
        else:
            self.ask("hello-world", (200,), lambda: self.hello.get("/hello"))

    def relabel(self, answer: Answer) -> None:
        """File the last personal feed poll under what it got: 304 or 200 (changed meanwhile)."""
        with self.tally.lock:
            seconds = self.tally.times["personal feed"].pop()
            self.tally.times[f"personal feed {answer.status}"].append(seconds)

    def sign_up_or_leave(self, town: Town, *, leave: bool) -> None:
        mine = [(t, n, b) for t, n, b in self.people if t is town]
        if not mine:
            return
        _, _, browser = self.rng.choice(mine)
        on = self.on[id(browser)]
        token = self.tokens[id(browser)]
        base = f"/{town.slug}/cafe/me/courses"
        if leave and on:
            course = self.rng.choice(sorted(on))
            answer = self.ask(
                "leave (POST)", (302,), lambda: browser.post(f"{base}/{course}/leave", {}, token)
            )
            on.discard(course)
        else:
            free = [c for c in town.course_ids if c not in on]
            if not free:
                return
            course = self.rng.choice(free)
            answer = self.ask(
                "sign-up (POST)", (302,), lambda: browser.post(f"{base}/{course}/sign-up", {}, token)
            )
            on.add(course)
            with self.tally.lock:
                self.tally.signups += 1
        if answer is not None and answer.status == 302:  # the browser follows the redirect
            self.ask("participant page", (200,), lambda: browser.get(f"/{town.slug}/cafe/me/"))

    def run(self, until: float) -> None:
        while time.monotonic() < until:
            self.step()


def drive(port: int, towns: list[Town], clients: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    made = [Client(port, towns, n, clients, tally, seed=n) for n in range(clients)]
    for client in made:
        client.log_in()
    warm = Browser(port)
    for _ in range(40):  # every worker has answered something before the clock starts
        warm.get("/hello")
    began = time.monotonic()
    until = began + seconds
    threads = [threading.Thread(target=c.run, args=(until,), daemon=True) for c in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)  # a request times out after 30 s
    return tally, time.monotonic() - began


# --- after the run -------------------------------------------------------------------------------------------


@dataclass
class Books:
    courses: int
    overbooked: int
    bad_queues: int
    seated: int
    waitlisted: int
    audited: int
    unaudited: int


def last_signup_id(app: Flask) -> int:
    from sqlalchemy import func

    from broen.plugins.cafe.models import Signup

    with app.app_context():
        db = app.extensions["broen.db"]
        found = db.session.scalar(select(func.max(Signup.id))) or 0
        db.session.remove()
    return int(found)


def check_books(app: Flask, seeded_up_to: int) -> Books:
    """Seated <= seats on every course, queues numbered 1..n, and every sign-up row written over HTTP (the
    seeded ones, ids up to `seeded_up_to`, were bulk-inserted without audit) has an audit trail whose last
    entry agrees with its status, and no audit entry names a sign-up that is not there."""
    from broen.core.models import AuditEntry
    from broen.plugins.cafe.models import Course, Signup, SignupStatus

    db = app.extensions["broen.db"]
    with app.app_context():
        capacity: dict[int, int] = {c: n for c, n in db.session.execute(select(Course.id, Course.capacity))}
        rows = list(db.session.execute(select(Signup.id, Signup.course_id, Signup.status, Signup.position)))
        last: dict[int, str] = {}
        for object_id, details in db.session.execute(
            select(AuditEntry.object_id, AuditEntry.details)
            .where(AuditEntry.object_type == "cafe_signup")
            .order_by(AuditEntry.id)
        ):
            last[object_id] = details["status"]
        db.session.remove()
    seated: dict[int, int] = defaultdict(int)
    queues: dict[int, list[int]] = defaultdict(list)
    for _, course_id, status, position in rows:
        if status == SignupStatus.CONFIRMED:
            seated[course_id] += 1
        elif status == SignupStatus.WAITLISTED:
            queues[course_id].append(position or 0)
    audited = [r for r in rows if r.id in last]
    return Books(
        courses=len(capacity),
        overbooked=sum(1 for c, n in seated.items() if n > capacity[c]),
        bad_queues=sum(1 for q in queues.values() if sorted(q) != list(range(1, len(q) + 1))),
        seated=sum(seated.values()),
        waitlisted=sum(len(q) for q in queues.values()),
        audited=len(audited),
        unaudited=sum(1 for r in audited if last[r.id] != r.status.value)
        + sum(1 for r in rows if r.id > seeded_up_to and r.id not in last)
        + len(set(last) - {r.id for r in rows}),
    )


# --- the report ----------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(tally: Tally, elapsed: float, books: Books, args: argparse.Namespace) -> bool:
    total = sum(len(v) for v in tally.times.values())
    errors = sum(tally.errors.values())
    print(
        f"broen load benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    print(
        f"gunicorn ({args.workers} sync workers) on 127.0.0.1, PostgreSQL, {args.clients} client threads "
        f"without think time, {elapsed:.0f} s; load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{len(MUNICIPALITIES)} municipalities x {args.citizens} citizens x {args.courses} café courses "
        f"({SESSIONS} sessions, {SEATS} seats)"
    )
    print()
    print(f"{'route':<22}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    order = [*PAGES, "personal feed 304", "personal feed 200", "public feed", "hello-world"]
    p95: dict[str, float] = {}
    for route in order:
        values = tally.times.get(route, [])
        if not values:
            continue
        p95[route] = percentile(values, 95) * 1000
        print(
            f"{route:<22}{len(values):>9}{len(values) / elapsed:>8.1f}"
            f"{statistics.median(values) * 1000:>9.1f}{p95[route]:>9.1f}{percentile(values, 99) * 1000:>9.1f}"
        )
    print(f"{'all':<22}{total:>9}{total / elapsed:>8.1f}")
    print()
    print(f"errors: {errors}" + "".join(f"\n  {what}: {n}" for what, n in sorted(tally.errors.items())))
    print(
        f"sign-ups over HTTP: {tally.signups}; in the database: {books.seated} seated, {books.waitlisted} "
        f"waitlisted on {books.courses} courses; {books.audited} sign-ups with an audit trail"
    )
    worst_page = max((p95[r] for r in PAGES if r in p95), default=0.0)
    checks = [
        ("zero errors", errors == 0, f"{errors}"),
        ("zero overbooked courses", books.overbooked == 0, f"{books.overbooked}"),
        ("queues numbered 1, 2, 3 ...", books.bad_queues == 0, f"{books.bad_queues} not"),
        ("every sign-up's audit agrees", books.unaudited == 0, f"{books.unaudited} not"),
        (f"p95 of every page < {PAGE_P95_MS} ms", worst_page < PAGE_P95_MS, f"worst {worst_page:.0f} ms"),
        (
            f"p95 of 304 feed polls < {FEED_304_P95_MS} ms",
            p95.get("personal feed 304", float("inf")) < FEED_304_P95_MS,
            f"{p95.get('personal feed 304', float('nan')):.1f} ms",
        ),
    ]
    print()
    for label, ok, value in checks:
        print(f"{label:<36}{value:>14}  {'met' if ok else 'MISSED'}")
    return all(ok for _, ok, _ in checks)


# --- main ----------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> Any:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--citizens", type=int, default=2000, help="citizens per municipality")
    parser.add_argument("--courses", type=int, default=40, help="café courses per municipality")
    parser.add_argument("--participants", type=int, default=60, help="participant log-ins per municipality")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    from tests.fixtures.postgres import postgres_server

    with postgres_server() as server_url:
        admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE broen_load"))
        admin.dispose()
        url = server_url.rsplit("/", 1)[0] + "/broen_load"
        app = make_app(url)
        began = time.monotonic()
        towns = seed(app, args.citizens, args.courses, args.participants)
        seeded_up_to = last_signup_id(app)
        app.extensions["broen.db"].dispose()
        print(f"seeded in {time.monotonic() - began:.0f} s", file=sys.stderr)
        env = {"BENCH_DATABASE_URL": url, "BROEN_DATABASE_URL": url}
        with gunicorn(env, app_spec="benchmarks.feeds:wsgi_app()", workers=args.workers) as server:
            tally, elapsed = drive(server.port, towns, args.clients, args.seconds)
        books = check_books(app, seeded_up_to)
        app.extensions["broen.db"].dispose()
    return 0 if report(tally, elapsed, books, args) else 1


if __name__ == "__main__":
    sys.exit(main())
