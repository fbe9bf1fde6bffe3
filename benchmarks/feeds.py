"""How fast broen serves calendar feeds, against a hello-world route, bare icalendar and Radicale.

Run from the repository root:  .venv/bin/python benchmarks/feeds.py  [--requests N] [--rounds R]

Everything is measured in one run, on this machine, so the ratios compare like with like:

(a) a cold build of a 2,000-session public feed through broen (the request, the key query, the café's
    hook with its queries, build_ics; the feed cache emptied before each build) against bare icalendar
    serializing the same 2,000 events (Calendar/Event objects built and `to_ical()`'d, with the
    VTIMEZONE icalendar adds itself);
(b) a personal feed (10 sessions, 12 participants) against a hello-world route of the same app, both
    served by the same gunicorn (gthread worker: keep-alive) on 127.0.0.1, asked by one keep-alive
    client for a fixed number of requests after a warm-up, best of a few rounds (the machine is shared
    and noisy);
(c) the same personal feed answered 304 (If-None-Match), against hello-world;
(d) the personal and the public feed against Radicale (the same gunicorn) serving the same 10 events:
    the sessions are PUT into a Radicale calendar, then the calendar collection is asked for as .ics.

Rounds go round-robin over the routes, so a busy moment of the machine hurts all of them alike.
Needs gunicorn (in the virtualenv) and Radicale (in broen's test dependencies).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

SECRET = "benchmark-secret-" + "x" * 32
TIMEZONE = "Europe/Copenhagen"
RADICALE_USER = "bench"
RADICALE_AUTH = "Basic " + base64.b64encode(f"{RADICALE_USER}:x".encode()).decode()


def make_app(database_url: str) -> Flask:
    """broen as production runs it (with the café installed as an entry point), plus /hello."""
    from broen.core.app import create_app
    from broen.core.config import load_settings

    settings = load_settings(
        None,
        overrides={"broen": {"database_url": database_url, "mode": "production", "secret_key": SECRET}},
        environ={},
        read_file=False,
    )
    app = create_app(settings)

    @app.route("/hello")
    def hello() -> str:
        return "Hello, world!"

    return app


def wsgi_app() -> Flask:
    """What gunicorn serves: `benchmarks.feeds:wsgi_app()` (the database comes from the environment)."""
    return make_app(os.environ["BENCH_DATABASE_URL"])


def radicale_app() -> Any:
    """Radicale as tests/fixtures/radicale.py sets it up (no authentication, each user owns /<user>/)."""
    from radicale import config
    from radicale.app import Application

    configuration = config.load()
    configuration.update(
        {
            "auth": {"type": "none"},
            "rights": {"type": "owner_only"},
            "storage": {"filesystem_folder": os.environ["BENCH_RADICALE_FOLDER"]},
        },
        "benchmark",
        privileged=True,
    )
    return Application(configuration)


# --- data --------------------------------------------------------------------------------------------------


@dataclass
class Data:
    personal: str  # paths of the feeds
    public: str
    course: str
    bulk_public: str  # the 2,000-session feed
    bulk_slug: str


def make_data(app: Flask) -> Data:
    """A municipality with a café course of 10 sessions, 12 participants and a participant's calendar
    link; another with 2,000 sessions (10 courses of 200 daily sessions) for the cold build."""
    from broen.calendar import tokens
    from broen.core import accounts
    from broen.core.citizens.services import CitizenData, create_citizen
    from broen.core.migrate import upgrade
    from broen.core.models import Role
    from broen.plugins.cafe import services

    db = app.extensions["broen.db"]
    upgrade(db, app.extensions["broen.plugins"])
    with app.test_request_context():
        town = accounts.create_municipality(db, "silkeborg", "Silkeborg Kommune")
        accounts.set_plugin_enabled(db, town, "cafe", True)
        coordinator = accounts.create_user(db, "koordinator@silkeborg.dk", "Koordinator", "x" * 12)
        accounts.grant_role(db, coordinator, town, Role.COORDINATOR)
        participant = accounts.create_user(db, "deltager@example.dk", "Deltager", "x" * 12)
        accounts.grant_role(db, participant, town, Role.PARTICIPANT)
        start = date.today() + timedelta(days=3)
        course = services.create_course(
            db,
            town,
            coordinator,
            title="Tirsdagscafé",
            first_date=start,
            start=clock(17, 0),
            count=10,
            capacity=12,
            venue="Biblioteket, Hostrupsgade 41",
        )
        for i in range(12):
            email = participant.email if i == 0 else f"borger{i}@example.dk"
            citizen = create_citizen(
                db,
                town,
                coordinator,
                CitizenData(
                    name=f"Borger {i}",
                    email=email,
                    flexjob_approved=True,
                    flexjob_mental_health_basis=True,
                ),
            )
            if i == 0:
                citizen.user_id = participant.id  # the participant's own log-in
                db.session.commit()
            services.sign_up(db, course, citizen, coordinator)
        token = tokens.issue(db, participant)

        bulk = accounts.create_municipality(db, "bulk", "Bulk Kommune")
        accounts.set_plugin_enabled(db, bulk, "cafe", True)
        for n in range(10):
            services.create_course(
                db,
                bulk,
                None,
                title=f"Café nr. {n + 1}",
                first_date=date.today() - timedelta(days=20),
                start=clock(9 + n % 8, 0),
                count=200,
                every_days=1,
                capacity=12,
                venue=f"Lokale {n + 1}, Medborgerhuset",
            )
        return Data(
            personal=f"/feeds/{token}.ics",
            public="/silkeborg/public/calendar/public.ics",
            course=f"/silkeborg/public/cafe/courses/{course.id}.ics",
            bulk_public="/bulk/public/calendar/public.ics",
            bulk_slug="bulk",
        )


# --- (a) cold build ----------------------------------------------------------------------------------------


def bare_icalendar(rows: list[tuple[Any, ...]]) -> bytes:
    """The same events with icalendar alone: what any Python program serving .ics would at least do."""
    from icalendar import Calendar, Event

    zone = ZoneInfo(TIMEZONE)
    cal = Calendar()
    cal.add("prodid", "-//bench//bench//DA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Bulk Kommune")
    for uid, starts, ends, title, place, modified, sequence, cancelled in rows:
        ev = Event()
        ev.add("uid", uid)
        ev.add("dtstamp", modified)
        ev.add("last-modified", modified)
        ev.add("dtstart", starts.astimezone(zone))
        ev.add("dtend", ends.astimezone(zone))
        ev.add("sequence", sequence)
        ev.add("summary", title)
        ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        ev.add("location", place)
        cal.add_component(ev)
    cal.add_missing_timezones()
    body: bytes = cal.to_ical()
    return body


def cold_build(app: Flask, data: Data, rounds: int) -> tuple[float, float, int]:
    """Best seconds of a cold 2,000-session feed through broen, and of bare icalendar; the event count."""
    from sqlalchemy import select

    from broen.calendar.cache import feed_cache
    from broen.plugins.cafe.models import Course, Session

    with app.app_context():
        db = app.extensions["broen.db"]
        rows = [
            (
                f"cafe-session-{s.uid}@broen",
                s.starts_at,
                s.ends_at,
                c.title,
                c.venue,
                s.last_modified,
                0,
                False,
            )
            for s, c in db.session.execute(
                select(Session, Course).join(Course).where(Course.municipality_id == Session.municipality_id)
            )
            if c.title.startswith("Café nr.")
        ]
        db.session.remove()
    client = app.test_client()
    broen_times, bare_times = [], []
    for _ in range(rounds + 1):  # the first of each is a warm-up
        feed_cache(app).clear()
        began = time.perf_counter()
        response = client.get(data.bulk_public)
        broen_times.append(time.perf_counter() - began)
        assert response.status_code == 200 and response.data.count(b"BEGIN:VEVENT") == len(rows)
        began = time.perf_counter()
        body = bare_icalendar(rows)
        bare_times.append(time.perf_counter() - began)
        assert body.count(b"BEGIN:VEVENT") == len(rows)
    return min(broen_times[1:]), min(bare_times[1:]), len(rows)


# --- (b)-(d) over HTTP -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str]) -> Iterator[int]:
    """One gunicorn worker (gthread, so connections are kept alive) on 127.0.0.1; yields its port."""
    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        sys.exit("benchmarks/feeds.py needs gunicorn: .venv/bin/pip install gunicorn")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        "1",
        "--threads",
        "2",
        "--keep-alive",
        "60",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app_spec,
    ]
    process = subprocess.Popen(  # noqa: S603  # our own server, on loopback
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env}
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {command}") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Route:
    label: str
    port: int
    path: str
    headers: dict[str, str]
    status: int = 200


def run(route: Route, requests: int) -> float:
    """Requests per second over one keep-alive connection, for `requests` requests."""
    connection = http.client.HTTPConnection("127.0.0.1", route.port, timeout=30)
    try:
        began = time.perf_counter()
        for _ in range(requests):
            connection.request("GET", route.path, headers=route.headers)
            response = connection.getresponse()
            response.read()
            if response.status != route.status:
                raise RuntimeError(f"{route.label}: {route.path} answered {response.status}")
        return requests / (time.perf_counter() - began)
    finally:
        connection.close()


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def put_into_radicale(port: int, body: bytes) -> str:
    """PUT a feed into Radicale as a new calendar; the collection's path."""
    path = f"/{RADICALE_USER}/cafe/"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "PUT",
        path,
        body=body,
        headers={"Authorization": RADICALE_AUTH, "Content-Type": "text/calendar; charset=utf-8"},
    )
    response = connection.getresponse()
    text = response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"Radicale refused the feed: {response.status} {text[:200]!r}")
    return path


def measure(routes: list[Route], requests: int, rounds: int) -> dict[str, float]:
    for route in routes:  # warm-up: caches filled, code paths compiled
        run(route, max(requests // 10, 20))
    best: dict[str, float] = {route.label: 0.0 for route in routes}
    for _ in range(rounds):
        for route in routes:
            best[route.label] = max(best[route.label], run(route, requests))
    return best


# --- main --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round and route")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best one counts")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="broen-bench-"))
    try:
        database_url = f"sqlite:///{folder / 'broen.db'}"
        app = make_app(database_url)
        data = make_data(app)
        broen_cold, bare_cold, events = cold_build(app, data, args.rounds)
        app.extensions["broen.db"].dispose()

        radicale_folder = folder / "radicale"
        radicale_folder.mkdir()
        env = {"BENCH_DATABASE_URL": database_url, "BENCH_RADICALE_FOLDER": str(radicale_folder)}
        with (
            gunicorn("benchmarks.feeds:wsgi_app()", env) as port,
            gunicorn("benchmarks.feeds:radicale_app()", env) as radicale_port,
        ):
            first = fetch(port, data.personal)
            etag = first.getheader("ETag") or ""
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", data.public)
            public = connection.getresponse()
            body = public.read()
            connection.close()
            if public.status != 200 or body.count(b"BEGIN:VEVENT") != 10:
                raise RuntimeError("the public feed should have the course's 10 sessions")
            collection = put_into_radicale(radicale_port, body)
            got = fetch(radicale_port, collection, {"Authorization": RADICALE_AUTH})
            if got.status != 200:
                raise RuntimeError(f"Radicale did not give the calendar back: {got.status}")
            routes = [
                Route("hello-world", port, "/hello", {}),
                Route("personal feed (200)", port, data.personal, {}),
                Route("personal feed (304)", port, data.personal, {"If-None-Match": etag}, 304),
                Route("public feed (200)", port, data.public, {}),
                Route("course feed (200)", port, data.course, {}),
                Route("Radicale GET .ics", radicale_port, collection, {"Authorization": RADICALE_AUTH}),
            ]
            rates = measure(routes, args.requests, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    report(rates, broen_cold, bare_cold, events, args)
    return 0


def report(
    rates: dict[str, float], broen_cold: float, bare_cold: float, events: int, args: argparse.Namespace
) -> None:
    hello = rates["hello-world"]
    radicale = rates["Radicale GET .ics"]
    print(f"broen feed benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print(f"{args.rounds} rounds of {args.requests} requests per route (best round), one keep-alive client,")
    print("gunicorn (gthread, 1 worker) on 127.0.0.1, SQLite file database")
    print()
    print(f"{'route':<24}{'req/s':>10}{'vs hello':>10}{'vs Radicale':>13}")
    for label, rate in rates.items():
        print(f"{label:<24}{rate:>10.0f}{rate / hello:>9.2f}x{rate / radicale:>12.1f}x")
    print()
    print(
        f"cold build, {events} sessions: broen {broen_cold * 1000:.0f} ms, bare icalendar {bare_cold * 1000:.0f} ms"
    )
    checks: list[tuple[str, float, str, Callable[[float], bool]]] = [
        ("(a) cold build broen / bare icalendar", broen_cold / bare_cold, "<= 1.2", lambda r: r <= 1.2),
        (
            "(b) personal feed / hello-world",
            rates["personal feed (200)"] / hello,
            ">= 0.5",
            lambda r: r >= 0.5,
        ),
        ("(c) 304 / hello-world", rates["personal feed (304)"] / hello, ">= 0.6", lambda r: r >= 0.6),
        ("(d) personal feed / Radicale", rates["personal feed (200)"] / radicale, "> 1", lambda r: r > 1),
        ("(d) public feed / Radicale", rates["public feed (200)"] / radicale, "> 1", lambda r: r > 1),
    ]
    print()
    print(f"{'check':<40}{'ratio':>8}  {'target':<8}")
    for label, ratio, target, ok in checks:
        print(f"{label:<40}{ratio:>7.2f}x  {target:<8}{'met' if ok(ratio) else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
