"""The mentor plugin's tables: the municipality's pool of volunteer mentors (with their onboarding
history), what a citizen wishes from a mentor, and the matches between the two.

Chosen for fast matching (see `matching`): a mentor's interests are a JSON list of normalised
(lower-cased, trimmed) tags, the weekly availability is a bitmask of weekday x part-of-day slots
(`slot_bit`), and the ways they like to meet are a bitmask of `ContactForm` bits.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broen import api

#: Parts of a day in the availability grid; with the 7 weekdays (Monday 0) they make 21 slots.
PARTS_OF_DAY = ("morning", "afternoon", "evening")
SLOTS = 7 * len(PARTS_OF_DAY)
ALL_SLOTS = (1 << SLOTS) - 1


def slot_bit(weekday: int, part: int) -> int:
    """The availability bit of `weekday` (Monday 0 ... Sunday 6) and part of day (index in PARTS_OF_DAY)."""
    if not (0 <= weekday <= 6 and 0 <= part < len(PARTS_OF_DAY)):
        raise ValueError(f"no such slot: {weekday}, {part}")
    return 1 << (weekday * len(PARTS_OF_DAY) + part)


def slots_of(mask: int) -> list[tuple[int, int]]:
    """The (weekday, part) slots set in an availability bitmask, in week order."""
    return [(n // len(PARTS_OF_DAY), n % len(PARTS_OF_DAY)) for n in range(SLOTS) if mask >> n & 1]


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Background(enum.StrEnum):
    EMPLOYED = "employed"
    STUDENT = "student"
    RETIRED = "retired"


class MentorStatus(enum.StrEnum):
    """Onboarding: interviewed, trained, approved (may be matched), paused, left."""

    INTERVIEWED = "interviewed"
    TRAINED = "trained"
    APPROVED = "approved"
    PAUSED = "paused"
    LEFT = "left"


class ContactForm(enum.IntFlag):
    """How a mentor and a citizen meet; a set of them is stored as an integer bitmask."""

    WALK = 1
    COFFEE = 2
    PHONE = 4
    ONLINE = 8


ALL_CONTACT_FORMS = int(ContactForm.WALK | ContactForm.COFFEE | ContactForm.PHONE | ContactForm.ONLINE)


class MatchStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


#: A match that takes a place of the mentor's capacity.
OPEN_STATUSES = (MatchStatus.PROPOSED, MatchStatus.ACTIVE)


class Mentor(api.CalendarSource, api.TenantMixin, api.Base):
    """A volunteer in the municipality's pool. Only APPROVED mentors with free capacity are matched."""

    shown_publicly = False  # only personal feeds show these rows

    __tablename__ = "mentors_mentor"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    background: Mapped[Background] = mapped_column(_enum(Background, "mentors_background"))
    work_experience: Mapped[str] = mapped_column(Text, default="")
    #: Normalised tags (see `services.normalise_tags`), e.g. ["fishing", "knitting"].
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Town or area, as written (matched case-insensitively).
    area: Mapped[str] = mapped_column(String(100), default="")
    #: Bitmask of `slot_bit`s.
    availability: Mapped[int] = mapped_column(Integer, default=0)
    #: How many mentees at once.
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    #: Bitmask of `ContactForm`s.
    contact_forms: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[MentorStatus] = mapped_column(_enum(MentorStatus, "mentors_status"), index=True)
    status_since: Mapped[date] = mapped_column(Date)
    #: When they applied through the public sign-up form and the consent text they agreed to then
    #: (None and "" for a mentor a coordinator added).
    consent_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    #: Their log-in, once they accepted an invitation.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    history: Mapped[list[MentorStatusChange]] = relationship(
        back_populates="mentor",
        cascade="all, delete-orphan",
        order_by="(MentorStatusChange.since, MentorStatusChange.id)",
    )

    def __str__(self) -> str:
        return self.name


class MentorStatusChange(api.TenantMixin, api.Base):
    """A mentor's status from a date on: the dated onboarding history (newest last)."""

    __tablename__ = "mentors_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors_mentor.id", ondelete="CASCADE"), index=True)
    status: Mapped[MentorStatus] = mapped_column(_enum(MentorStatus, "mentors_status"))
    since: Mapped[date] = mapped_column(Date)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    mentor: Mapped[Mentor] = relationship(back_populates="history")


class CitizenWishes(api.TenantMixin, api.Base):
    """What a citizen wishes from a mentor (the citizen's wishes come first). One row per citizen."""

    __tablename__ = "mentors_citizen_wishes"
    __table_args__ = (UniqueConstraint("citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"))
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_forms: Mapped[int] = mapped_column(Integer, default=0)
    area: Mapped[str] = mapped_column(String(100), default="")
    availability: Mapped[int] = mapped_column(Integer, default=0)
    #: Anything else the citizen says matters.
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    citizen: Mapped[api.Citizen] = relationship()


class Match(api.CalendarSource, api.TenantMixin, api.Base):
    """A mentor and a citizen: proposed -> active (once both agreed) -> paused -> ended (with a reason)."""

    shown_publicly = False  # only personal feeds show these rows

    __tablename__ = "mentors_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors_mentor.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    status: Mapped[MatchStatus] = mapped_column(_enum(MatchStatus, "mentors_match_status"), index=True)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    citizen_agreed_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    mentor_agreed_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    #: How often they agreed to meet, every so many days.
    frequency_days: Mapped[int | None] = mapped_column(Integer)
    #: One `ContactForm` bit.
    contact_form: Mapped[int | None] = mapped_column(Integer)
    #: What the citizen agreed to share with the mentor (the mentor sees this and the first name only).
    shared: Mapped[str] = mapped_column(Text, default="")
    #: When it became active: the frequency is counted from here until the first logged meeting.
    started_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    changed_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    mentor: Mapped[Mentor] = relationship()
    citizen: Mapped[api.Citizen] = relationship()


class Meeting(api.CalendarSource, api.TenantMixin, api.Base):
    """A meeting of a match: planned (`held` False: it shows in the mentor's calendar feed) or logged as
    held, briefly: the date, the contact form, how long, a short note."""

    shown_publicly = False  # only personal feeds show these rows

    __tablename__ = "mentors_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("mentors_match.id", ondelete="CASCADE"), index=True)
    #: The day, and for a planned meeting the local time (in the municipality's time zone).
    on: Mapped[date] = mapped_column(Date, index=True)
    at: Mapped[time | None] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    #: One `ContactForm` bit.
    contact_form: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The calendar event's UID, stable for the meeting's life; SEQUENCE goes up when it moves.
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    match: Mapped[Match] = relationship()


class Application(api.TenantMixin, api.Base):
    """A volunteer's application from the public sign-up form: it waits in the coordinators' intake list
    (not in the pool) until a coordinator adds the person to the pool or deletes the application."""

    __tablename__ = "mentors_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    background: Mapped[Background] = mapped_column(_enum(Background, "mentors_background"))
    #: Work experience, and why they would like to be a mentor, in their words.
    about: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    area: Mapped[str] = mapped_column(String(100), default="")
    availability: Mapped[int] = mapped_column(Integer, default=0)
    contact_forms: Mapped[int] = mapped_column(Integer, default=0)
    #: The consent text the applicant agreed to, as it was shown, and when.
    consent_text: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    #: A keyed hash of where the form was sent from, for the rate limit only (never the address).
    source: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, index=True)
