"""broen under gunicorn on PostgreSQL, as production runs it: a worker killed in the middle of the load loses
at most the one request it was answering and never half a sign-up; and two server processes on one
database show each other's writes at once (no process keeps tenant data of its own).

Each test starts real gunicorn processes (`tests/production/serve.py`) on a fresh PostgreSQL database of
the test fixtures' server, with the world and a few café courses and participants in it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.calendar import tokens
from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import AuditEntry, Role
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course, Signup, SignupStatus
from tests.conftest import PASSWORD, World
from tests.production.serve import CONNECTION_ERRORS, Answer, Browser, gunicorn

POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)
ME = "/silkeborg/cafe/me/"


def seated(name: str) -> str:
    """A row of the course page's table of those with a seat."""
    return f'<td data-title="">{name}</td>'


@dataclass
class Cafe:
    course_ids: list[int]
    capacity: int
    participants: list[str]  # e-mail addresses
    names: list[str]  # their citizens' names
    feed: str  # the first participant's personal feed


def _cafe(app: Flask, world: World, *, courses: int, capacity: int, participants: int) -> Cafe:
    """The café on in Silkeborg, `courses` courses of `capacity` seats, and `participants` participant
    log-ins each linked to an eligible citizen (as an accepted invitation links them)."""
    with app.app_context():
        db = app.extensions["broen.db"]
        silkeborg = world.municipalities["silkeborg"]
        coordinator = world.user("silkeborg", "coordinator")
        accounts.set_plugin_enabled(db, silkeborg, "cafe", True)
        course_ids = [
            services.create_course(
                db,
                silkeborg,
                coordinator,
                title=f"Kaffe og job {n + 1}",
                first_date=date.today() + timedelta(days=7),
                start=clock(17, 0),
                count=3,
                capacity=capacity,
                venue="Medborgerhuset",
            ).id
            for n in range(courses)
        ]
        emails, names, users = [], [], []
        for n in range(participants):
            user = accounts.create_user(
                db, f"deltager{n}@example.dk", f"Deltager {n}", PASSWORD, language="en"
            )
            accounts.grant_role(db, user, silkeborg, Role.PARTICIPANT)
            citizen = create_citizen(
                db,
                silkeborg,
                coordinator,
                CitizenData(name=f"Deltager Nr{n}", flexjob_approved=True, flexjob_mental_health_basis=True),
            )
            citizen.user_id = user.id
            db.session.commit()
            emails.append(user.email)
            names.append(citizen.name)
            users.append(user)
        feed = f"/feeds/{tokens.issue(db, users[0])}.ics"
        db.session.remove()
    app.extensions["broen.db"].dispose()
    return Cafe(course_ids, capacity, emails, names, feed)


def _check_no_signup_is_half_written(app: Flask, cafe: Cafe) -> int:
    """What one sign-up transaction writes holds for every row: the sign-up row and its audit entries go
    together (the last entry says the row's status; no entry names a row that is not there), no course has
    more seated than seats, a queue only behind a full course, and the queue numbered 1, 2, 3 ... The
    number of sign-up rows."""
    with app.app_context():
        db = app.extensions["broen.db"]
        rows = list(db.session.scalars(select(Signup).where(Signup.course_id.in_(cafe.course_ids))))
        entries = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == "cafe_signup").order_by(AuditEntry.id)
            )
        )
        last_status = {e.object_id: e.details["status"] for e in entries}
        assert set(last_status) == {r.id for r in rows}
        for row in rows:
            assert last_status[row.id] == row.status.value, f"sign-up {row.id} and its audit entry differ"
        for course_id in cafe.course_ids:
            course = db.session.get_one(Course, course_id)
            mine = [r for r in rows if r.course_id == course_id]
            seated = sum(r.status == SignupStatus.CONFIRMED for r in mine)
            queue = sorted(r.position or 0 for r in mine if r.status == SignupStatus.WAITLISTED)
            assert seated <= course.capacity, f"course {course_id} is overbooked"
            assert queue == list(range(1, len(queue) + 1)), f"course {course_id}: queue {queue}"
            assert not queue or seated == course.capacity
        db.session.remove()
    app.extensions["broen.db"].dispose()
    return len(rows)


@POSTGRESQL_ONLY
def test_a_killed_worker_loses_at_most_its_one_request_and_leaves_no_half_written_sign_up(
    app: Flask, world: World, database_url: str
) -> None:
    cafe = _cafe(app, world, courses=2, capacity=2, participants=5)
    outcomes: list[tuple[float, str, str]] = []  # (when, "ok" | "failed" | what was wrong, route)
    stop = threading.Event()

    def note(route: str, expected: set[int], ask: Callable[..., Answer], *args: Any) -> int | None:
        """Make a request; note whether it was answered as expected, answered otherwise, or lost."""
        began = time.monotonic()
        try:
            answer = ask(*args)
        except CONNECTION_ERRORS:
            outcomes.append((began, "failed", route))
            return None
        outcomes.append((began, "ok" if answer.status in expected else f"answered {answer.status}", route))
        return answer.status

    def participant(browser: Browser, token: str) -> None:
        n = 0
        while not stop.is_set():
            base = f"/silkeborg/cafe/me/courses/{cafe.course_ids[n % len(cafe.course_ids)]}"
            n += 1
            signed = note("sign-up", {302}, browser.post, f"{base}/sign-up", {}, token)
            note("participant page", {200}, browser.get, ME)
            # Off the course again; a sign-up whose answer was lost may or may not have happened.
            note("leave", {302} if signed else {302, 404}, browser.post, f"{base}/leave", {}, token)
            note("participant page", {200}, browser.get, ME)

    def coordinator(browser: Browser) -> None:
        while not stop.is_set():
            for course_id in cafe.course_ids:
                note("course page", {200}, browser.get, f"/silkeborg/cafe/courses/{course_id}")
            note("citizen list", {200}, browser.get, "/silkeborg/citizens/")

    with gunicorn({"BROEN_DATABASE_URL": database_url}, workers=2) as server:
        workers = server.wait_for_workers(2)
        people = [Browser(server.port) for _ in cafe.participants]
        for browser, email in zip(people, cafe.participants, strict=True):
            browser.login(email, PASSWORD)
        staff = Browser(server.port)
        staff.login(world.user("silkeborg", "coordinator").email, PASSWORD)
        threads = [
            threading.Thread(target=participant, args=(b, b.csrf_token(ME)), daemon=True) for b in people
        ] + [threading.Thread(target=coordinator, args=(staff,), daemon=True)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        killed_at = time.monotonic()
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)

        # The master started a worker in its place, and it answers like the others.
        replaced = server.wait_for_workers(2, not_among={workers[0]})
        assert workers[1] in replaced
        for browser in people:
            assert browser.get(ME).status == 200

    counts = Counter(what for _, what, _ in outcomes)
    wrong = [(what, route) for _, what, route in outcomes if what not in ("ok", "failed")]
    assert not wrong, wrong
    # A sync worker answers one request at a time: killing it loses at most that one.
    assert counts["failed"] <= 1, counts
    assert sum(1 for when, what, _ in outcomes if what == "ok" and when > killed_at) >= 10
    assert counts["ok"] >= 40, counts
    assert _check_no_signup_is_half_written(app, cafe) > 0


@POSTGRESQL_ONLY
def test_two_server_processes_on_one_database_show_each_others_writes_at_once(
    app: Flask, world: World, database_url: str
) -> None:
    cafe = _cafe(app, world, courses=1, capacity=5, participants=1)
    course_id = cafe.course_ids[0]
    course_page = f"/silkeborg/cafe/courses/{course_id}"
    public = "/silkeborg/public/calendar/public.ics"
    env = {"BROEN_DATABASE_URL": database_url}
    with gunicorn(env, workers=1) as a, gunicorn(env, workers=1) as b:
        participant_on_a = Browser(a.port)
        participant_on_a.login(cafe.participants[0], PASSWORD)
        coordinator_on_b = Browser(b.port)
        coordinator_on_b.login(world.user("silkeborg", "coordinator").email, PASSWORD)
        calendar_on_b, calendar_on_a = Browser(b.port), Browser(a.port)

        # B has seen the course and the feed before the sign-up (and would have kept them, if it kept any).
        assert seated(cafe.names[0]) not in coordinator_on_b.get(course_page).text
        before = calendar_on_b.get(cafe.feed)
        etag = before.header("ETag")
        assert before.status == 200 and etag and b"BEGIN:VEVENT" not in before.body
        assert calendar_on_b.get(cafe.feed, {"If-None-Match": etag}).status == 304
        assert b"Kaffe og job 1" in calendar_on_a.get(public).body

        token = participant_on_a.csrf_token(ME)
        signed = participant_on_a.post(f"/silkeborg/cafe/me/courses/{course_id}/sign-up", {}, token)
        assert signed.status == 302

        # At once, no waiting: B lists the participant and B's feed has their meetings under a new ETag.
        assert seated(cafe.names[0]) in coordinator_on_b.get(course_page).text
        after = calendar_on_b.get(cafe.feed, {"If-None-Match": etag})
        assert after.status == 200 and after.header("ETag") not in ("", etag)
        assert after.body.count(b"BEGIN:VEVENT") == 3

        # The coordinator renames the course through B: A's public feed has the new name at once.
        edit = f"{course_page}/edit"
        form = coordinator_on_b.get(edit).text
        fields = {
            name: value
            for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form)
            if name != "csrf_token"
        }
        fields.update(title="Kaffe og fremtid", capacity="5", venue="Medborgerhuset")
        saved = coordinator_on_b.submit(edit, fields)
        assert saved.status == 302, saved.text[:2000]
        feed = calendar_on_a.get(public).body
        assert b"Kaffe og fremtid" in feed and b"Kaffe og job 1" not in feed
