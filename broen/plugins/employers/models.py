"""The employers plugin's tables: the municipality's companies (shared by its coordinators), the companies a
citizen can see themselves in, the contacts made with companies on a citizen's behalf, placements (hires),
and the follow-up tasks of a placement: retention check-ins and the handover at six months.

A task is never deleted: when its placement ends it becomes cancelled, so the history keeps its shape.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broen import api


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Outcome(enum.StrEnum):
    """What came of a contact with a company on a citizen's behalf."""

    NO = "no"
    LATER = "later"
    INTERNSHIP = "internship"
    JOB_INTERVIEW = "job_interview"
    FLEX_JOB = "flex_job"
    ORDINARY_JOB = "ordinary_job"
    EDUCATION = "education"


class PlacementKind(enum.StrEnum):
    """What a citizen was placed in."""

    FLEXJOB = "flexjob"
    ORDINARY_JOB = "ordinary_job"
    INTERNSHIP = "internship"
    EDUCATION = "education"


#: The outcomes of a contact that lead to a placement, and its kind.
PLACEMENT_OUTCOMES = {
    Outcome.INTERNSHIP: PlacementKind.INTERNSHIP,
    Outcome.FLEX_JOB: PlacementKind.FLEXJOB,
    Outcome.ORDINARY_JOB: PlacementKind.ORDINARY_JOB,
    Outcome.EDUCATION: PlacementKind.EDUCATION,
}
#: Placements followed up for six months (check-ins and a handover); internships are not.
FOLLOWED_UP = (PlacementKind.FLEXJOB, PlacementKind.ORDINARY_JOB, PlacementKind.EDUCATION)
#: Placements whose hours are paid work (and must be given).
PAID = (PlacementKind.FLEXJOB, PlacementKind.ORDINARY_JOB)


class TaskKind(enum.StrEnum):
    """A retention check-in, or the handover to the retention consultant at six months."""

    CHECKIN = "checkin"
    HANDOVER = "handover"


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Company(api.TenantMixin, api.Base):
    """A company (or other workplace) the municipality's coordinators are in touch with."""

    __tablename__ = "employers_company"
    __table_args__ = (UniqueConstraint("municipality_id", "cvr"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Lower-cased name for portable case-insensitive search.
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    #: The Danish company number (8 digits), when known; unique in the municipality.
    cvr: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(200), default="")
    industry: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    def __str__(self) -> str:
        return self.name


class Interest(api.TenantMixin, api.Base):
    """A company a citizen can see themselves in."""

    __tablename__ = "employers_interest"
    __table_args__ = (UniqueConstraint("citizen_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("employers_company.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    company: Mapped[Company] = relationship()


class Contact(api.TenantMixin, api.Base):
    """A contact made with a company on a citizen's behalf, and what came of it."""

    __tablename__ = "employers_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("employers_company.id", ondelete="CASCADE"), index=True
    )
    on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome, "employers_outcome"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    company: Mapped[Company] = relationship()


class Placement(api.TenantMixin, api.Base):
    """A citizen placed with a company: a flex job, an ordinary job, an internship or an education."""

    __tablename__ = "employers_placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("employers_company.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PlacementKind] = mapped_column(_enum(PlacementKind, "employers_placement_kind"))
    start_on: Mapped[date] = mapped_column(Date, index=True)
    #: Hours a week (None only for an education).
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    #: The contact it came from, if it was recorded from one.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("employers_contact.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    company: Mapped[Company] = relationship()
    citizen: Mapped[api.Citizen] = relationship()
    tasks: Mapped[list[Task]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by=lambda: [Task.due_on, Task.id]
    )


class Task(api.TenantMixin, api.Base):
    """A follow-up of a placement: a check-in `week` weeks after its start, or the handover to the
    retention consultant six months after it. Done with a date and a note; cancelled when the placement
    ends first."""

    __tablename__ = "employers_task"
    __table_args__ = (Index("ix_employers_task_open", "municipality_id", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        ForeignKey("employers_placement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind, "employers_task_kind"))
    #: For a check-in: how many weeks after the start it falls.
    week: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(
        _enum(TaskStatus, "employers_task_status"), default=TaskStatus.OPEN
    )
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    #: A check-in's answer to "still in the job or education?".
    still_there: Mapped[bool | None] = mapped_column(Boolean)
    #: A handover's receiver.
    handed_to: Mapped[str] = mapped_column(String(300), default="")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    cancelled_on: Mapped[date | None] = mapped_column(Date)

    placement: Mapped[Placement] = relationship(back_populates="tasks")
