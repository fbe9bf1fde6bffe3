"""The café's e-mails, through a real SMTP server: a moved, re-placed or cancelled session is told at once to
the confirmed participants with an address, a seat from the waitlist is told to the one who got it, more
seats move the waitlist along, and the day-before reminders go out exactly once. A mail that fails never
undoes the change and is logged without anyone's name or address."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.db import Database
from broen.core.models import AuditEntry, Citizen
from broen.plugins.cafe import notify, services
from broen.plugins.cafe.models import Course, NoticeKind, SentNotice, Session, Signup, SignupStatus
from tests.conftest import World, db_of
from tests.crowd import all_at_once
from tests.fixtures.smtp import REFUSED_DOMAIN, Inbox, free_port, smtp_server

__all__ = ["smtp_server"]  # the fixture, imported so pytest finds it here

MakeCourse = Callable[..., Course]
MakeCitizen = Callable[..., Citizen]
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def no_mail_server(app: Flask) -> None:
    """[mail] points at a port where nothing listens."""
    app.config["BROEN"].mail.host = "127.0.0.1"
    app.config["BROEN"].mail.port = free_port()


def body(message: EmailMessage) -> str:
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def to(message: EmailMessage) -> str:
    return str(message["To"])


def in_days(n: int) -> date:
    return date.today() + timedelta(days=n)


def notices(app: Flask, kind: NoticeKind) -> list[tuple[int | None, int, int]]:
    rows = db_of(app).session.execute(
        select(SentNotice.session_id, SentNotice.citizen_id, SentNotice.sequence)
        .where(SentNotice.kind == kind)
        .order_by(SentNotice.id)
    )
    return [tuple(r) for r in rows]


def test_a_moved_and_a_cancelled_session_are_mailed_at_once_to_the_confirmed_participants_with_an_address(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(title="Café på vej", first_date=in_days(7), capacity=2)
        ane = make_citizen("Ane Andersen", email="ane@example.dk")
        quiet = make_citizen("Bo Uden Adresse")  # no e-mail address: told on the page and by staff only
        waiting = make_citizen("Cecilie Venter", email="cecilie@example.dk")
        for who in (ane, quiet, waiting):
            services.sign_up(db, course, who, by)
        session = course.sessions[1]
        new_day = session.starts_at.astimezone(CPH).date() + timedelta(days=1)

        moved = services.move_session(db, session, by, day=new_day, start=time(18, 30))
        assert (moved.told.told, moved.told.failed) == (1, 0)
        (message,) = mail_to.messages
        assert to(message) == "ane@example.dk"
        assert "Café på vej" in message["Subject"]
        text = body(message)
        assert "Café på vej" in text and "18:30" in text and new_day.strftime("%B") in text
        assert str(new_day.day) in text and "Biblioteket, Hostrupsgade 41" in text
        assert "17:00" in text  # the old time, for comparison

        cancelled = services.cancel_session(db, session, by)
        assert cancelled.told.told == 1
        message = mail_to.messages[-1]
        assert to(message) == "ane@example.dk"
        assert message["Subject"].startswith("Cancelled: Café på vej")
        assert "cancelled" in body(message) and "18:30" in body(message)

        services.cancel_session(db, session, by, cancelled=False)
        assert "takes place after all" in mail_to.messages[-1]["Subject"]

        # A new place is news too; the same place again, or a cancel of a cancelled session, is not.
        services.edit_session(db, session, by, location="Medborgerhuset, sal 2")
        assert "Medborgerhuset, sal 2" in body(mail_to.messages[-1])
        services.edit_session(db, session, by, location="Medborgerhuset, sal 2")
        services.move_session(db, session, by, day=new_day, start=time(18, 30))
        assert len(mail_to.messages) == 4
        assert {to(m) for m in mail_to.messages} == {"ane@example.dk"}

        db.session.refresh(session)
        assert notices(app, NoticeKind.MOVED) == [
            (session.id, ane.id, 1),
            (session.id, ane.id, 3),
            (session.id, ane.id, 4),
        ]
        assert notices(app, NoticeKind.CANCELLED) == [(session.id, ane.id, 2)]


def test_a_session_that_is_over_is_not_mailed_about(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=in_days(-14), count=3)
        services.sign_up(db, course, make_citizen("Ane", email="ane@example.dk"), by)
        result = services.cancel_session(db, course.sessions[0], by)
        assert result.changed and result.told.told == 0
        assert db.session.get_one(Session, course.sessions[0].id).cancelled
    assert mail_to.messages == []


def test_a_mail_that_fails_keeps_the_change_is_counted_and_logged_without_personal_data(
    app: Flask,
    cafe_world: World,
    make_course: MakeCourse,
    make_citizen: MakeCitizen,
    no_mail_server: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=in_days(7))
        for name in ("Ane Andersen", "Bent Berg", "Carla Cruz"):
            services.sign_up(
                db, course, make_citizen(name, email=f"{name.split()[0].lower()}@example.dk"), by
            )
        result = services.cancel_session(db, course.sessions[0], by)
        assert (result.told.told, result.told.failed) == (0, 3)
        db.session.expire_all()
        assert db.session.get_one(Session, course.sessions[0].id).cancelled
        assert notices(app, NoticeKind.CANCELLED) == []
    assert "3 of 3 e-mails" in caplog.text
    for secret in ("Ane", "Bent", "Carla", "@example.dk"):
        assert secret not in caplog.text


def test_a_refused_address_fails_alone_and_the_others_are_told(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=in_days(7))
        services.sign_up(db, course, make_citizen("Ane", email="ane" + REFUSED_DOMAIN), by)
        services.sign_up(db, course, make_citizen("Bent", email="bent@example.dk"), by)
        result = services.cancel_session(db, course.sessions[0], by)
    assert (result.told.told, result.told.failed) == (1, 1)
    assert [to(m) for m in mail_to.messages] == ["bent@example.dk"]


def test_the_mail_is_in_the_language_of_the_citizens_log_in(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        dane = accounts.create_user(db, "dorte@example.dk", "Dorte", "a long password 123", language="da")
        course = make_course(first_date=date(2030, 10, 15))  # a Tuesday
        dorte = make_citizen("Dorte", email="dorte@example.dk")
        dorte.user_id = dane.id
        db.session.commit()
        services.sign_up(db, course, dorte, by)
        services.sign_up(db, course, make_citizen("Erik", email="erik@example.dk"), by)
        services.cancel_session(db, course.sessions[0], by)
    texts = {to(m): body(m) for m in mail_to.messages}
    assert "tirsdag" in texts["dorte@example.dk"] and "oktober" in texts["dorte@example.dk"]
    # No log-in: the installation's default language (English in the tests); no link to a page either.
    assert "Tuesday" in texts["erik@example.dk"] and "http" not in texts["erik@example.dk"]
    assert "/silkeborg/cafe/me/" in texts["dorte@example.dk"]


# --- a seat from the waitlist ----------------------------------------------------------------------------


def test_leaving_promotes_the_first_on_the_waitlist_who_is_mailed_and_noted(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(title="Torsdagscafé", first_date=in_days(7), capacity=1)
        first = make_citizen("Ane", email="ane@example.dk")
        second = make_citizen("Bent", email="bent@example.dk")
        third = make_citizen("Carla", email="carla@example.dk")
        for who in (first, second, third):
            services.sign_up(db, course, who, by)
        result = services.leave(db, course, first, by)
        assert result.promoted is not None and result.promoted.citizen_id == second.id
        assert (result.told.told, result.told.failed) == (1, 0)
        promoted = db.session.get_one(Signup, result.promoted.id)
        assert promoted.promoted_at is not None and promoted.promotion_seen is False
        assert notices(app, NoticeKind.PROMOTED) == [(None, second.id, 0)]
    (message,) = mail_to.messages
    assert to(message) == "bent@example.dk"
    assert message["Subject"] == "You got a seat on Torsdagscafé"
    assert "Torsdagscafé" in body(message) and "17:00" in body(message)


def test_change_capacity_refuses_fewer_seats_than_taken_and_more_seats_promote_in_order(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=in_days(7), capacity=2)
        people = [
            make_citizen(n, email=f"{n.lower()}@example.dk") for n in ("Ane", "Bent", "Carla", "Dan", "Eva")
        ]
        for who in people:
            services.sign_up(db, course, who, by)

        with pytest.raises(services.CafeError) as refused:
            services.change_capacity(db, course, by, 1)
        assert refused.value.field == "capacity" and "2 participants have a seat" in refused.value.message
        with pytest.raises(services.CafeError):
            services.change_capacity(db, course, by, 0)
        assert db.session.get_one(Course, course.id, populate_existing=True).capacity == 2
        assert services.change_capacity(db, course, by, 2) == []

        promoted = services.change_capacity(db, course, by, 4)
        assert [s.citizen_id for s in promoted] == [people[2].id, people[3].id]
        assert all(s.promoted_at is not None and not s.promotion_seen for s in promoted)
        rows = services.signups(db, course)
        assert [(r.citizen_id, r.status, r.position) for r in rows] == [
            (people[0].id, SignupStatus.CONFIRMED, None),
            (people[1].id, SignupStatus.CONFIRMED, None),
            (people[2].id, SignupStatus.CONFIRMED, None),
            (people[3].id, SignupStatus.CONFIRMED, None),
            (people[4].id, SignupStatus.WAITLISTED, 1),
        ]
        assert db.session.get_one(Course, course.id).capacity == 4
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "cafe_course", AuditEntry.object_id == course.id)
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.user_id == by.id
        assert entry.details["fields"] == ["capacity"]
        assert entry.details["promoted"] == [people[2].id, people[3].id]

        # Fewer seats again, down to exactly the number taken, is fine and moves no one.
        assert services.change_capacity(db, course, by, 4) == []
    assert sorted(to(m) for m in mail_to.messages) == ["carla@example.dk", "dan@example.dk"]


# --- the day-before reminders ----------------------------------------------------------------------------


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Copenhagen wall-clock time as an instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=CPH).astimezone(UTC)


TUESDAY = date(2026, 10, 13)  # make_course's first session: 17:00 Copenhagen time


def test_reminders_go_the_day_before_to_confirmed_participants_with_an_address_exactly_once(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(title="Tirsdagscafé", capacity=2)
        ane = make_citizen("Ane", email="ane@example.dk")
        services.sign_up(db, course, ane, by)
        services.sign_up(db, course, make_citizen("Bo"), by)  # no address
        services.sign_up(db, course, make_citizen("Cecilie", email="cecilie@example.dk"), by)  # waitlisted
        called_off = make_course(title="Aflyst café")
        services.sign_up(db, called_off, make_citizen("Dan", email="dan@example.dk"), by)
        services.cancel_session(db, called_off.sessions[0], by)
        later = make_course(title="Onsdagscafé", first_date=TUESDAY + timedelta(days=1))
        services.sign_up(db, later, make_citizen("Eva", email="eva@example.dk"), by)
        mail_to.messages.clear()

        first = notify.send_reminders(db, at(TUESDAY - timedelta(days=1), 9))
        assert [(m.municipality.slug, m.sent, m.failed) for m in first.municipalities] == [
            ("norddjurs", 0, 0),
            ("silkeborg", 1, 0),
        ]
        (message,) = mail_to.messages
        assert to(message) == "ane@example.dk"
        assert message["Subject"] == "Reminder: Tirsdagscafé tomorrow at 17:00"
        assert "Biblioteket, Hostrupsgade 41" in body(message) and "17:00" in body(message)

        # Again, and again later that day: nothing new.
        assert notify.send_reminders(db, at(TUESDAY - timedelta(days=1), 9, 5)).sent == 0
        assert notify.send_reminders(db, at(TUESDAY - timedelta(days=1), 23, 50)).sent == 0
        assert len(mail_to.messages) == 1
        session_id = course.sessions[0].id
        assert notices(app, NoticeKind.REMINDER) == [(session_id, ane.id, 0)]

        # The next day brings Wednesday's.
        assert notify.send_reminders(db, at(TUESDAY, 9)).sent == 1
        assert to(mail_to.messages[-1]) == "eva@example.dk"


def test_tomorrow_is_the_courses_local_tomorrow(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course()
        services.sign_up(db, course, make_citizen("Ane", email="ane@example.dk"), by)
        # 23:30 UTC on Monday is already Tuesday 01:30 in Copenhagen: the session is today, not tomorrow.
        assert (
            notify.send_reminders(db, datetime.combine(TUESDAY - timedelta(days=1), time(23, 30), UTC)).sent
            == 0
        )
        # 21:30 UTC on Monday is 23:30 Monday in Copenhagen: tomorrow.
        assert (
            notify.send_reminders(db, datetime.combine(TUESDAY - timedelta(days=1), time(21, 30), UTC)).sent
            == 1
        )


def test_a_reminder_that_failed_is_tried_again_on_the_next_run_and_the_cafe_off_sends_none(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, smtp_server: Inbox
) -> None:
    now = at(TUESDAY - timedelta(days=1), 9)
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course()
        services.sign_up(db, course, make_citizen("Ane", email="ane@example.dk"), by)
        services.sign_up(db, course, make_citizen("Bent", email="bent@example.dk"), by)

        app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = "127.0.0.1", free_port()
        failed = notify.send_reminders(db, now)
        assert (failed.sent, failed.failed) == (0, 2)
        assert notices(app, NoticeKind.REMINDER) == []  # no claim is left behind

        accounts.set_plugin_enabled(db, cafe_world.municipalities["silkeborg"], "cafe", False)
        app.config["BROEN"].mail.host, app.config["BROEN"].mail.port = smtp_server.host, smtp_server.port
        off = notify.send_reminders(db, now)
        assert [m.municipality.slug for m in off.municipalities] == ["norddjurs"] and off.sent == 0

        accounts.set_plugin_enabled(db, cafe_world.municipalities["silkeborg"], "cafe", True)
        retried = notify.send_reminders(db, now)
        assert (retried.sent, retried.failed) == (2, 0)
    assert sorted(to(m) for m in smtp_server.messages) == ["ane@example.dk", "bent@example.dk"]


def test_simultaneous_runs_send_each_reminder_once(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    runs = 4
    now = at(TUESDAY - timedelta(days=1), 9)
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(capacity=6)
        for n in range(6):
            services.sign_up(db, course, make_citizen(f"Borger {n}", email=f"borger{n}@example.dk"), by)
        db.session.remove()

    sent: list[int] = []

    def run(_n: int, go: Callable[[], None]) -> None:
        own = Database(db_of(app).url)  # a connection of its own, as a second cron job would have
        with app.app_context():
            try:
                go()
                sent.append(notify.send_reminders(own, now).sent)
            finally:
                own.dispose()
                db_of(app).session.remove()

    assert all_at_once(run, range(runs)) == []
    assert sum(sent) == 6
    assert sorted(to(m) for m in mail_to.messages) == sorted(f"borger{n}@example.dk" for n in range(6))
    with app.app_context():
        count = db_of(app).session.scalar(select(func.count()).select_from(SentNotice))
    assert count == 6


def test_no_mail_names_a_health_basis_or_another_participant(
    app: Flask, cafe_world: World, make_course: MakeCourse, make_citizen: MakeCitizen, mail_to: Inbox
) -> None:
    with app.app_context():
        db = db_of(app)
        by = cafe_world.user("silkeborg", "coordinator")
        course = make_course(first_date=in_days(7), capacity=1)
        services.sign_up(db, course, make_citizen("Ane Andersen", email="ane@example.dk"), by)
        services.sign_up(db, course, make_citizen("Bent Berg", email="bent@example.dk"), by)
        services.cancel_session(db, course.sessions[0], by)
        first = db.session.scalars(select(Citizen).where(Citizen.name == "Ane Andersen")).one()
        services.leave(db, course, first, by)
    assert len(mail_to.messages) == 2
    for message in mail_to.messages:
        text = message["Subject"] + body(message)
        assert "flex" not in text.lower() and "mental" not in text.lower()
    cancel_mail, seat_mail = mail_to.messages
    assert "Bent" not in body(cancel_mail) and "Ane" not in body(seat_mail)
