"""The café's e-mails to participants: reminders, moved or cancelled sessions, a seat from the waitlist.

Plain text, from `templates/cafe/mail/*.txt`, in the language of the citizen's log-in (or the
installation's default when they have none). A mail names the course, the session's local date and time
(the course's time zone), the place and what happened: never a CPR number or anything about health.

Mail goes out after the change it tells of is committed, and a mail that fails never undoes it: the
counts (`Told`) say how many were told and how many could not be, and the log says how many failed,
never to whom. When the mail server cannot be reached at all, the rest of a batch is counted as failed
without trying each one (a dead server would otherwise hold a page for half a minute per participant).

Every mail sent is recorded as a `SentNotice`. The day-before reminders (`send_reminders`, run daily by
`broen cafe send-reminders`) claim their row *before* sending, so two runs, even at the same moment,
send each reminder once; a claim whose mail failed is deleted, so the next run tries again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.cafe.display import local_time
from broen.plugins.cafe.models import Course, NoticeKind, SentNotice, Session, Signup, SignupStatus

log = logging.getLogger(__name__)

#: What happened to a session, as `services` tells it: the template used, and the notice recorded.
MOVED, NEW_PLACE, CANCELLED, REINSTATED = "moved", "new_place", "cancelled", "reinstated"
_KINDS = {
    MOVED: NoticeKind.MOVED,
    NEW_PLACE: NoticeKind.MOVED,
    CANCELLED: NoticeKind.CANCELLED,
    REINSTATED: NoticeKind.MOVED,  # its status changed back: told like a change of time
}


_ = api.gettext


@dataclass(frozen=True)
class Told:
    """How many participants an e-mail reached, and how many it could not reach."""

    told: int = 0
    failed: int = 0


# --- writing and sending one mail ------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """A text fit for a subject line: no line breaks, no runs of spaces."""
    return " ".join(text.split())


def _at(moment: datetime, timezone: str) -> str:
    """A local date and time ("Tuesday, October 13, 2026, 17:00"), in the current locale and `timezone`."""
    local = local_time(moment, timezone)
    return f"{api.format_date(local.date(), 'full')}, {local:%H:%M}"


def _when(session: Session) -> str:
    """The session's local date and times ("Tuesday, October 13, 2026, 17:00-19:00"), in the current
    locale and the course's time zone."""
    begins = local_time(session.starts_at, session.course.timezone)
    ends = local_time(session.ends_at, session.course.timezone)
    until = ends.strftime("%H:%M")
    if ends.date() != begins.date():
        until = f"{api.format_date(ends.date(), 'long')} {until}"
    return f"{api.format_date(begins.date(), 'full')}, {begins:%H:%M}–{until}"


def _language(citizen: api.Citizen) -> str:
    return api.language_of(citizen.user)


def _render(template: str, **context: Any) -> str:
    """A mail template rendered without a request (the command line sends reminders too)."""
    body: str = current_app.jinja_env.get_template(f"cafe/mail/{template}.txt").render(**context)
    return body.strip() + "\n"


def _participant_link(municipality: api.Municipality) -> str:
    return api.absolute_url("cafe_participant.home", municipality=municipality.slug)


class _Mailer:
    """Sends one batch of mails, counting; gives up on the rest once the server cannot be reached."""

    def __init__(self) -> None:
        self.told = 0
        self.failed = 0
        self.server_down = False

    def send(self, to: str, subject: str, body: str) -> bool:
        if self.server_down:
            self.failed += 1
            return False
        try:
            api.mail.send(to, subject, body)
        except api.mail.MailError as exc:
            # A refusal of this one address is the server's answer (an SMTPException); anything else
            # (refused connection, timeout, TLS) means no mail gets through now.
            self.server_down = not isinstance(exc.__cause__, smtplib.SMTPException)
            self.failed += 1
            return False
        self.told += 1
        return True

    def result(self) -> Told:
        return Told(self.told, self.failed)


def _record(
    db: api.Database, kind: NoticeKind, course: Course, citizen_id: int, session: Session | None
) -> None:
    """Note a mail that was sent (the caller commits)."""
    db.session.add(
        SentNotice(
            municipality_id=course.municipality_id,
            session_id=session.id if session is not None else None,
            course_id=course.id,
            citizen_id=citizen_id,
            kind=kind,
            sequence=session.sequence if session is not None else 0,
        )
    )


def _confirmed_with_address(db: api.Database, course_ids: Iterable[int]) -> dict[int, list[api.Citizen]]:
    """{course id: its confirmed participants who have an e-mail address}, with their log-ins, in one query."""
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Signup.course_id, api.Citizen)
        .join(api.Citizen, api.Citizen.id == Signup.citizen_id)
        .options(joinedload(api.Citizen.user))
        .where(
            Signup.course_id.in_(ids),
            Signup.status == SignupStatus.CONFIRMED,
            api.Citizen.email.is_not(None),
            api.Citizen.email != "",
        )
        .order_by(Signup.id)
    )
    found: dict[int, list[api.Citizen]] = {}
    for course_id, citizen in rows:
        found.setdefault(course_id, []).append(citizen)
    return found


def _log_failures(what: str, result: Told) -> None:
    if result.failed:
        log.warning(
            "cafe: %d of %d e-mails about %s not sent", result.failed, result.told + result.failed, what
        )


# --- a session changed; a seat from the waitlist ---------------------------------------------------------


def session_mail(
    session: Session,
    citizen: api.Citizen,
    what: str,
    *,
    was: datetime | None = None,
    was_place: str | None = None,
) -> tuple[str, str]:
    """(subject, body) of the mail telling `citizen` that `session` was moved, got a new place, was
    cancelled or takes place after all (`what`), in the current locale."""
    course = session.course
    title = _one_line(course.title)
    day = api.format_date(local_time(session.starts_at, course.timezone).date(), "long")
    subjects = {
        MOVED: _("New time: %(title)s on %(day)s", title=title, day=day),
        NEW_PLACE: _("New place: %(title)s on %(day)s", title=title, day=day),
        CANCELLED: _("Cancelled: %(title)s on %(day)s", title=title, day=day),
        REINSTATED: _("%(title)s on %(day)s takes place after all", title=title, day=day),
    }
    body = _render(
        what,
        name=citizen.name,
        course=course,
        when=_when(session),
        was=_at(was, course.timezone) if was is not None else None,
        place=session.place,
        was_place=was_place,
        municipality=course.municipality,
        link=_participant_link(course.municipality) if citizen.user_id is not None else None,
    )
    return subjects[what], body


def session_changed(
    db: api.Database,
    session: Session,
    what: str,
    *,
    was: datetime | None = None,
    was_place: str | None = None,
) -> Told:
    """E-mail every confirmed participant (with an address) of `session`'s course that it was moved,
    got a new place, was cancelled or takes place after all; nothing for a session that is over. Call
    after the change is committed. Each mail sent is recorded (kind MOVED or CANCELLED, at the
    session's new sequence)."""
    if session.ends_at <= api.utcnow():
        return Told()
    kind = _KINDS[what]
    mailer = _Mailer()
    for citizen in _confirmed_with_address(db, [session.course_id]).get(session.course_id, []):
        assert citizen.email is not None
        with api.force_locale(_language(citizen)):
            subject, body = session_mail(session, citizen, what, was=was, was_place=was_place)
        if mailer.send(citizen.email, subject, body):
            _record(db, kind, session.course, citizen.id, session)
    _commit_records(db)
    result = mailer.result()
    _log_failures(f"session {session.id} ({what})", result)
    return result


def _commit_records(db: api.Database) -> None:
    try:
        db.session.commit()
    except IntegrityError:  # the same notice recorded meanwhile (a double click): the mail went anyway
        db.session.rollback()


def promotion_mail(signup: Signup, now: datetime) -> tuple[str, str]:
    """(subject, body) telling a citizen they got a seat from the waitlist, with the coming sessions."""
    course = signup.course
    title = _one_line(course.title)
    coming = [s for s in course.sessions if s.ends_at > now]
    body = _render(
        "promoted",
        name=signup.citizen.name,
        course=course,
        sessions=[(_when(s), s.place, s.cancelled) for s in coming],
        municipality=course.municipality,
        link=_participant_link(course.municipality) if signup.citizen.user_id is not None else None,
    )
    return _("You got a seat on %(title)s", title=title), body


def promoted(db: api.Database, signups: Sequence[Signup]) -> Told:
    """E-mail each citizen who just got a seat from the waitlist (if they have an address). Call after
    the commit; they are told on their page too (`Signup.promotion_seen`)."""
    mailer = _Mailer()
    now = api.utcnow()
    for signup in signups:
        citizen = signup.citizen
        if not citizen.email:
            continue
        with api.force_locale(_language(citizen)):
            subject, body = promotion_mail(signup, now)
        if mailer.send(citizen.email, subject, body):
            _record(db, NoticeKind.PROMOTED, signup.course, citizen.id, None)
    _commit_records(db)
    result = mailer.result()
    _log_failures("a seat from the waitlist", result)
    return result


# --- the day-before reminders ----------------------------------------------------------------------------


@dataclass
class MunicipalityReminders:
    """The reminders of one municipality's run."""

    municipality: api.Municipality
    sent: int = 0
    failed: int = 0


@dataclass
class ReminderSummary:
    """What a run of `send_reminders` did, per municipality with the café on."""

    municipalities: list[MunicipalityReminders] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(m.sent for m in self.municipalities)

    @property
    def failed(self) -> int:
        return sum(m.failed for m in self.municipalities)


def reminder_mail(session: Session, citizen: api.Citizen) -> tuple[str, str]:
    """(subject, body) of the day-before reminder, in the current locale."""
    course = session.course
    begins = local_time(session.starts_at, course.timezone)
    body = _render(
        "reminder",
        name=citizen.name,
        course=course,
        when=_when(session),
        place=session.place,
        municipality=course.municipality,
        link=_participant_link(course.municipality) if citizen.user_id is not None else None,
    )
    return _(
        "Reminder: %(title)s tomorrow at %(time)s", title=_one_line(course.title), time=f"{begins:%H:%M}"
    ), body


def tomorrows_sessions(db: api.Database, municipality: api.Municipality, now: datetime) -> list[Session]:
    """The municipality's sessions, not cancelled, whose local date (their course's time zone) is the day
    after `now`'s local date there."""
    candidates = db.session.scalars(
        select(Session)
        .options(joinedload(Session.course))
        .where(
            Session.municipality_id == municipality.id,
            Session.cancelled.is_(False),
            Session.starts_at > now,
            Session.starts_at < now + timedelta(days=3),
        )
        .order_by(Session.starts_at, Session.id)
    )
    found = []
    for session in candidates:
        zone = ZoneInfo(session.course.timezone)
        if session.starts_at.astimezone(zone).date() == now.astimezone(zone).date() + timedelta(days=1):
            found.append(session)
    return found


def _already_claimed(db: api.Database, sessions: list[Session]) -> set[tuple[int, int, int]]:
    if not sessions:
        return set()
    rows = db.session.execute(
        select(SentNotice.session_id, SentNotice.citizen_id, SentNotice.sequence).where(
            SentNotice.kind == NoticeKind.REMINDER, SentNotice.session_id.in_([s.id for s in sessions])
        )
    )
    return {(s, c, q) for s, c, q in rows if s is not None}


def _claim(db: api.Database, session: Session, citizen_id: int) -> int | None:
    """Write (and commit) the reminder's row before sending it; None if another run has it already."""
    row = SentNotice(
        municipality_id=session.municipality_id,
        session_id=session.id,
        course_id=session.course_id,
        citizen_id=citizen_id,
        kind=NoticeKind.REMINDER,
        sequence=session.sequence,
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return row.id


def _unclaim(db: api.Database, claim_id: int) -> None:
    db.session.execute(delete(SentNotice).where(SentNotice.id == claim_id))
    db.session.commit()


def remind_municipality(
    db: api.Database, municipality: api.Municipality, now: datetime
) -> MunicipalityReminders:
    """Send the reminders of one municipality's sessions tomorrow (each at most once)."""
    counts = MunicipalityReminders(municipality)
    sessions = tomorrows_sessions(db, municipality, now)
    claimed = _already_claimed(db, sessions)
    people = _confirmed_with_address(db, [s.course_id for s in sessions])
    mailer = _Mailer()
    for session in sessions:
        for citizen in people.get(session.course_id, []):
            if (session.id, citizen.id, session.sequence) in claimed:
                continue
            if mailer.server_down:
                mailer.failed += 1
                continue
            assert citizen.email is not None
            with api.force_locale(_language(citizen)):
                subject, body = reminder_mail(session, citizen)
            address = citizen.email
            claim = _claim(db, session, citizen.id)
            if claim is None:
                continue
            if not mailer.send(address, subject, body):
                _unclaim(db, claim)
    counts.sent, counts.failed = mailer.told, mailer.failed
    _log_failures(f"tomorrow's sessions in municipality {municipality.id}", mailer.result())
    return counts


def send_reminders(
    db: api.Database, now: datetime | None = None, *, municipality: api.Municipality | None = None
) -> ReminderSummary:
    """E-mail every confirmed participant with an address the day before each of their sessions (not
    cancelled ones), in every municipality with the café on (or only `municipality`). Running it twice,
    or twice at once, sends each reminder once."""
    from broen.plugins.cafe.services import NAME

    now = now or api.utcnow()
    if municipality is not None:
        municipalities = [municipality]
    else:
        municipalities = list(db.session.scalars(select(api.Municipality).order_by(api.Municipality.name)))
    summary = ReminderSummary()
    for m in municipalities:
        if api.plugin_enabled(NAME, m):
            summary.municipalities.append(remind_municipality(db, m, now))
    return summary
