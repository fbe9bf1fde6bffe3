"""The contacts plugin's tables: the log of contacts with each citizen, the citizen's own contact rhythm
("Du bestemmer"), and their WHO-5 wellbeing measurements."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from broen import api


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ContactForm(enum.StrEnum):
    """How the coordinator and the citizen were in contact."""

    MEETING = "meeting"
    PHONE = "phone"
    WALK = "walk"
    MESSAGE = "message"


class Initiative(enum.StrEnum):
    """Who took the initiative to the contact."""

    CITIZEN = "citizen"
    COORDINATOR = "coordinator"


class Contact(api.TenantMixin, api.Base):
    """One contact between a coordinator and a citizen. The citizen may read the note on their own page."""

    __tablename__ = "contacts_contact"
    #: Each citizen's last contact, for the worklists: read from the index alone.
    __table_args__ = (Index("ix_contacts_contact_last", "municipality_id", "citizen_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date)
    form: Mapped[ContactForm] = mapped_column(_enum(ContactForm, "contacts_form"))
    initiative: Mapped[Initiative] = mapped_column(_enum(Initiative, "contacts_initiative"))
    #: A short note the citizen can read.
    note: Mapped[str] = mapped_column(String(500), default="")
    #: Who logged it (the coordinator the citizen sees named).
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)


class Rhythm(api.TenantMixin, api.Base):
    """The citizen's own rhythm ("Du bestemmer"): a contact every `weeks` weeks, more often than the
    municipality's minimum. No row: the minimum."""

    __tablename__ = "contacts_rhythm"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), unique=True, index=True
    )
    weeks: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)


class Who5(api.TenantMixin, api.Base):
    """One WHO-5 wellbeing measurement: the five answers (0-5) and the score (their sum times 4, 0-100)."""

    __tablename__ = "contacts_who5"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id", ondelete="CASCADE"), index=True)
    on: Mapped[date] = mapped_column(Date, index=True)
    item1: Mapped[int] = mapped_column(SmallInteger)
    item2: Mapped[int] = mapped_column(SmallInteger)
    item3: Mapped[int] = mapped_column(SmallInteger)
    item4: Mapped[int] = mapped_column(SmallInteger)
    item5: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[int] = mapped_column(SmallInteger)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)

    @property
    def answers(self) -> list[int]:
        return [self.item1, self.item2, self.item3, self.item4, self.item5]
