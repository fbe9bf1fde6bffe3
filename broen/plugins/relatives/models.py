"""The relatives plugin's tables: a citizen's relatives and network (each recorded under the citizen's
consent), their referrals to counselling, the public referral form's intake queue, and the group courses
for relatives.

Consent is per relative: what the coordinator may share with whom (with the relative; with the
counselling service: the relative's own details, the citizen's name, a note on the situation), when it was
given and when it was withdrawn. Withdrawing it erases the relative's details from the row (the row stays,
as a dated tombstone, so the history of referrals keeps its shape) and stops every referral in progress.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broen import api


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Relation(enum.StrEnum):
    """How a relative is close to the citizen. One need not be family."""

    PARENT = "parent"
    PARTNER = "partner"
    CHILD = "child"
    FRIEND = "friend"
    COLLEAGUE = "colleague"
    OTHER = "other"


class ConsentForm(enum.StrEnum):
    """How the citizen gave their consent."""

    ORAL = "oral"
    WRITTEN = "written"


class ReferralKind(enum.StrEnum):
    """What a relative is referred to at the counselling service (SIND Pårørenderådgivning)."""

    INDIVIDUAL = "individual"
    GROUP_COURSE = "group_course"
    TEACHING = "teaching"


class ReferralStatus(enum.StrEnum):
    """proposed -> sent -> accepted -> completed; or declined (by the service or the relative) or
    withdrawn (by the coordinator, or when the consent is withdrawn)."""

    PROPOSED = "proposed"
    SENT = "sent"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


#: A referral in one of these is still in progress ("open").
OPEN_STATUSES = (ReferralStatus.PROPOSED, ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class IntakeStatus(enum.StrEnum):
    """A referral from the public form: new, accepted into a citizen, or closed with a reason."""

    NEW = "new"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class Relative(api.TenantMixin, api.Base):
    """A citizen's relative or someone in their network, recorded under the citizen's consent.

    Once the consent is withdrawn (`withdrawn_at`), `name`, `email`, `phone` and `note` are empty: the
    details are gone from the database, not only from the pages.
    """

    __tablename__ = "relatives_relative"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    relation: Mapped[Relation] = mapped_column(_enum(Relation, "relatives_relation"))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: A short note about the relative (not about the citizen).
    note: Mapped[str] = mapped_column(Text, default="")
    # The citizen's consent, recorded before anything about the relative.
    consent_given_on: Mapped[date] = mapped_column(Date)
    consent_form: Mapped[ConsentForm] = mapped_column(_enum(ConsentForm, "relatives_consent_form"))
    #: The coordinator may talk with the relative about the citizen's course.
    share_with_relative: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The relative may be referred to counselling: their details go to the counselling service.
    refer_to_counselling: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A referral may name the citizen.
    share_citizen_name: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A referral may carry the coordinator's note on the situation.
    share_situation: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    consent_recorded_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    citizen: Mapped[api.Citizen] = relationship()
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="relative", cascade="all, delete-orphan", order_by="Referral.id"
    )

    @property
    def consented(self) -> bool:
        """Whether the consent still holds (it has not been withdrawn)."""
        return self.withdrawn_at is None


class GroupCourse(api.CalendarSource, api.TenantMixin, api.Base):
    """A group course (or teaching) for relatives, led by a psychologist or therapist: one or more sessions.
    Its sessions are in the municipality's public calendar feed; nothing about who attends is."""

    __tablename__ = "relatives_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReferralKind] = mapped_column(_enum(ReferralKind, "relatives_referral_kind"))
    #: Who leads it, as shown in the public calendar (e.g. "a psychologist from SIND Pårørenderådgivning").
    led_by: Mapped[str] = mapped_column(String(200), default="")
    venue: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: How many relatives the course has room for (None: no limit).
    places: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    sessions: Mapped[list[GroupSession]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="GroupSession.starts_at"
    )

    def __str__(self) -> str:
        return self.title


class GroupSession(api.CalendarSource, api.TenantMixin, api.Base):
    """One meeting of a course for relatives. `sequence`/`last_modified` grow with every change of time,
    place or status (the calendar needs them)."""

    __tablename__ = "relatives_course_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("relatives_course.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(api.UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(api.UTCDateTime)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    last_modified: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    course: Mapped[GroupCourse] = relationship(back_populates="sessions")


class Referral(api.TenantMixin, api.Base):
    """A relative referred to counselling, with the date of each step. The letter itself is not kept:
    it is made from the template and the relative's row when it is shown or sent."""

    __tablename__ = "relatives_referral"

    id: Mapped[int] = mapped_column(primary_key=True)
    relative_id: Mapped[int] = mapped_column(
        ForeignKey("relatives_relative.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReferralKind] = mapped_column(_enum(ReferralKind, "relatives_referral_kind"))
    #: For a group course or teaching: which course, when the coordinator has one in mind.
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("relatives_course.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus, "relatives_referral_status"), default=ReferralStatus.PROPOSED, index=True
    )
    #: The coordinator's note on the situation, sent only when the consent allows it.
    situation: Mapped[str] = mapped_column(Text, default="")
    proposed_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date)
    #: Where it was sent (the counselling service's address at the time).
    sent_to: Mapped[str] = mapped_column(String(254), default="")
    accepted_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    #: When it was declined or withdrawn, and why.
    closed_on: Mapped[date | None] = mapped_column(Date)
    close_reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    relative: Mapped[Relative] = relationship(back_populates="referrals")
    course: Mapped[GroupCourse | None] = relationship()


class Intake(api.TenantMixin, api.Base):
    """A referral to the programme from the municipality's public page, by a relative or by the person
    themself. It waits in the coordinators' intake queue until a coordinator accepts it (creating or linking
    a citizen) or closes it with a reason. Nothing of it is ever shown publicly."""

    __tablename__ = "relatives_intake"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The person refers themself (then the referrer's fields are theirs, and `relation` is None).
    about_self: Mapped[bool] = mapped_column(Boolean, default=False)
    referrer_name: Mapped[str] = mapped_column(String(200))
    referrer_email: Mapped[str] = mapped_column(String(254), default="")
    referrer_phone: Mapped[str] = mapped_column(String(40), default="")
    relation: Mapped[Relation | None] = mapped_column(_enum(Relation, "relatives_relation"))
    #: The person who is referred (the referrer's own name when `about_self`).
    person_name: Mapped[str] = mapped_column(String(200))
    #: Whether the person knows about the referral: "yes", "no" or "" (not said).
    person_knows: Mapped[str] = mapped_column(String(10), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    #: The consent text the referrer agreed to, as it was shown, and when.
    consent_text: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    #: A keyed hash of where the form was sent from, for the rate limit only (never the address).
    source: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, index=True)
    status: Mapped[IntakeStatus] = mapped_column(
        _enum(IntakeStatus, "relatives_intake_status"), default=IntakeStatus.NEW, index=True
    )
    handled_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    close_reason: Mapped[str] = mapped_column(String(300), default="")
    #: The citizen it was accepted into.
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id", ondelete="SET NULL"), index=True)

    citizen: Mapped[api.Citizen | None] = relationship()
