"""The café plugin's tables: courses, their sessions, and who signed up.

Times are instants in UTC (`api.UTCDateTime`); a session's local wall-clock time is worked out from
the course's time zone when the sessions are made (see `services.session_times`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broen import api


class SignupStatus(enum.StrEnum):
    """Where a citizen stands on a course: a seat, a place in the queue, or gone."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    LEFT = "left"


class Course(api.CalendarSource, api.TenantMixin, api.Base):
    """A course of café meetings (typically five of two hours) at one venue."""

    __tablename__ = "cafe_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(200), default="")
    facilitators: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    #: Copied from the municipality when the course is made: its sessions keep their wall-clock time here.
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    sessions: Mapped[list[Session]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Session.starts_at"
    )

    def __str__(self) -> str:
        return self.title


class Session(api.CalendarSource, api.TenantMixin, api.Base):
    """One meeting of a course. `sequence`/`last_modified` grow with every change of time, place or status."""

    __tablename__ = "cafe_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("cafe_course.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(api.UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(api.UTCDateTime)
    #: Empty: the course's venue.
    location: Mapped[str] = mapped_column(String(200), default="")
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_modified: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    #: The calendar UID's stable part: never changes, whatever happens to the session.
    uid: Mapped[str] = mapped_column(String(64), unique=True)

    course: Mapped[Course] = relationship(back_populates="sessions")

    @property
    def place(self) -> str:
        return self.location or self.course.venue


class Signup(api.CalendarSource, api.TenantMixin, api.Base):
    """A citizen on a course: confirmed, waitlisted (at `position`), or left. One row per citizen and course."""

    shown_publicly = False  # only personal feeds show these rows

    __tablename__ = "cafe_signup"
    __table_args__ = (UniqueConstraint("course_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("cafe_course.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(
        Enum(
            SignupStatus,
            name="cafe_signup_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: The place in the queue (1 is next) while waitlisted; None otherwise.
    position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    changed_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    #: When the citizen moved up from the waitlist to a seat; shown on their page until they have seen it.
    promoted_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    promotion_seen: Mapped[bool] = mapped_column(Boolean, default=False)

    course: Mapped[Course] = relationship()
    citizen: Mapped[api.Citizen] = relationship()


class Attendance(api.TenantMixin, api.Base):
    """Whether a citizen came to a session, as the coordinator marked it. No row: not marked yet."""

    __tablename__ = "cafe_attendance"
    __table_args__ = (UniqueConstraint("session_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cafe_session.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)
    marked_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class GuestKind(enum.StrEnum):
    """A guest talk on a session's agenda: someone from a company, or a person with lived experience."""

    COMPANY = "company"
    LIVED_EXPERIENCE = "lived_experience"


class AgendaItem(api.TenantMixin, api.Base):
    """A topic for a course: proposed by a participant or the coordinator, then placed on a session.

    `session_id` None: proposed, not placed yet. `dismissed`: the coordinator decided not to take it up.
    """

    __tablename__ = "cafe_agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("cafe_course.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cafe_session.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The participant who proposed it (never shown to other participants); None if staff added it.
    proposed_by_citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    guest_kind: Mapped[GuestKind | None] = mapped_column(
        Enum(
            GuestKind,
            name="cafe_guest_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    #: Who gives the guest talk (a company's name, or the speaker's), as the coordinator wrote it.
    guest_name: Mapped[str] = mapped_column(String(200), default="")
    #: Order on the session's agenda.
    position: Mapped[int] = mapped_column(Integer, default=0)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    course: Mapped[Course] = relationship()
    session: Mapped[Session | None] = relationship()


class NoticeKind(enum.StrEnum):
    """What a participant was e-mailed about a session or course."""

    REMINDER = "reminder"
    MOVED = "moved"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"


class SentNotice(api.TenantMixin, api.Base):
    """An e-mail sent to a citizen, so the same notice is never sent twice.

    One row per (session, citizen, kind, the session's `sequence` then): running the reminders twice
    sends once, while a session moved after its reminder gets a new notice.
    """

    __tablename__ = "cafe_sent_notice"
    __table_args__ = (UniqueConstraint("session_id", "citizen_id", "kind", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cafe_session.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("cafe_course.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(
        Enum(
            NoticeKind,
            name="cafe_notice_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
