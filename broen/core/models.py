"""The core's tables: municipalities, users and their roles, plugin state, citizens, audit, login throttling.

The core knows nothing about cafés, mentors or relatives; those are plugins with tables of their own.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from broen.calendar.versions import CalendarSource
from broen.core.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """A user's role in one municipality, from most to least privileged."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    MENTOR = "mentor"
    PARTICIPANT = "participant"


class CitizenStatus(enum.StrEnum):
    """Where a citizen is in the course: intake -> active -> in work / in education -> ended."""

    INTAKE = "intake"
    ACTIVE = "active"
    IN_WORK = "in_work"
    IN_EDUCATION = "in_education"
    ENDED = "ended"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as short strings (SQLAlchemy checks the values): readable in SQL, portable, no PostgreSQL ENUM type
    # to migrate when a value is added.
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class TenantMixin:
    """A row that belongs to one municipality. Read such rows through `broen.core.tenancy.scoped`."""

    @declared_attr
    def municipality_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("municipality.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def municipality(cls) -> Mapped[Municipality]:
        return relationship("Municipality")


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Copenhagen")
    #: How many years an ended citizen's record is kept before `broen privacy enforce-retention` erases it.
    retention_years: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    #: Whether its staff (admins, coordinators, mentors) must log in with a one-time code as well.
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, Base):  # type: ignore[misc]  # flask_login ships no type hints
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="da")
    is_installation_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Raised to end every open session of the account (an admin's "end sessions", two-factor changes).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The TOTP secret (base32); two-factor login is on once `totp_enabled_at` is set (the secret alone is
    #: one being set up). `totp_last_step` is the last code's time step: a code works only once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def role_in(self, municipality_id: int) -> Role | None:
        for m in self.memberships:
            if m.municipality_id == municipality_id:
                return m.role
        return None

    def __str__(self) -> str:
        return self.name


class Membership(TenantMixin, Base):
    """A user's role in one municipality; a user may work in several."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    municipality: Mapped[Municipality] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.user} ({self.role.value})"


class PluginState(CalendarSource, TenantMixin, Base):
    """Whether a plugin is on in a municipality, and its settings there (defaults fill what is missing)."""

    __tablename__ = "plugin_state"
    __table_args__ = (UniqueConstraint("municipality_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Citizen(CalendarSource, TenantMixin, Base):
    """A citizen (borger) in a course. Holds no CPR number and no diagnosis: neither is needed here."""

    shown_publicly = False  # only personal feeds show these rows

    __tablename__ = "citizen"
    #: One citizen record per log-in in a municipality.
    __table_args__ = (UniqueConstraint("municipality_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[CitizenStatus] = mapped_column(
        _enum(CitizenStatus, "citizen_status"), default=CitizenStatus.INTAKE, index=True
    )
    status_since: Mapped[date] = mapped_column(Date)
    flexjob_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    flexjob_approved_on: Mapped[date | None] = mapped_column(Date)
    #: Approved on the basis of mental illness or psychological vulnerability (café meetings need this).
    flexjob_mental_health_basis: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The citizen's own log-in to the participant pages, once they accepted an invitation.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: Lower-cased name for portable case-insensitive search (SQLite's lower() is ASCII-only).
    search_name: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: When the citizen's data was erased: the row keeps only anonymous numbers (status history) for reports.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact_person: Mapped[User | None] = relationship(lazy="joined", foreign_keys=[contact_person_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    status_changes: Mapped[list[CitizenStatusChange]] = relationship(
        back_populates="citizen",
        cascade="all, delete-orphan",
        order_by="CitizenStatusChange.id",
    )

    def __str__(self) -> str:
        return self.name


class CitizenStatusChange(Base):
    """The history of a citizen's status, so outcome reports can say when someone went into work."""

    __tablename__ = "citizen_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    status: Mapped[CitizenStatus] = mapped_column(_enum(CitizenStatus, "citizen_status_change_status"))
    on: Mapped[date] = mapped_column(Date)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    citizen: Mapped[Citizen] = relationship(back_populates="status_changes")


class AuditEntry(Base):
    """Who did what to which record, when and from where (the Danish DPA's logging guidance).

    Kept apart from the records it describes (no foreign keys to them), so erasing a citizen leaves the
    trail of who saw the record. `details` never holds the values of a citizen's fields, only their names.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(120))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    municipality: Mapped[Municipality | None] = relationship()


class Invitation(TenantMixin, Base):
    """A single-use, expiring link through which a person makes their log-in: a citizen to the participant
    pages, or a plugin's record (a mentor, say) to the pages of the role the invitation gives.

    Exactly one of `citizen_id` and `subject_type`/`subject_id` is set. A plugin's record is named by its
    type (the plugin's table, e.g. "mentors_mentor") and id; the core has no foreign key to it, so `name`
    and `email` keep what the invitation needs of it. Only a SHA-256 hash of the link's token is kept (as
    for calendar links): the link itself is shown to the coordinator once, e-mailed or printed, and never
    stored.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint(
            "(citizen_id IS NOT NULL AND subject_type IS NULL AND subject_id IS NULL)"
            " OR (citizen_id IS NULL AND subject_type IS NOT NULL AND subject_id IS NOT NULL)",
            name="one_subject",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    #: A plugin's record instead of a citizen: its type (e.g. "mentors_mentor") and id.
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The name and e-mail address of a plugin's record when it was invited (None for a citizen).
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    #: The role the new log-in gets in the municipality.
    role: Mapped[Role] = mapped_column(_enum(Role, "invitation_role"), default=Role.PARTICIPANT)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "email" or "print": how the link was handed over.
    channel: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When it was used (then it opens nothing more), or when it was withdrawn or a newer one replaced it.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    citizen: Mapped[Citizen | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class LoginFailure(Base):
    """A failed login, counted per account and per address to slow down password guessing."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RecoveryCode(Base):
    """A one-time code that logs a user in when their phone is lost (argon2-hashed, like a password)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


__all__ = [
    "AuditEntry",
    "Citizen",
    "CitizenStatus",
    "CitizenStatusChange",
    "Invitation",
    "LoginFailure",
    "Membership",
    "Municipality",
    "PluginState",
    "RecoveryCode",
    "Role",
    "TenantMixin",
    "User",
]
