"""The municipal fields plugin's tables: the fields a municipality's admin adds to its records (declarative
data, one row per field, as ckanext-scheming's schemas), and their values.

A field belongs to a *target*: a kind of record the core or a plugin offers (`broen_field_targets`), e.g.
"citizen" or "cafe_course". Values are kept as canonical text, one row per record and field (one row per
chosen value for several choices), so that one indexed query reads the values of a whole page of records
and filtering works the same on SQLite and PostgreSQL: ISO dates, decimals with a point, "true"/"false".
A removed field is archived (`archived_at`): its values stay until the admin purges them.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broen import api


class FieldType(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    CHOICES = "choices"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"


#: Types whose field has a list of choices.
CHOICE_TYPES = (FieldType.CHOICE, FieldType.CHOICES)


class FieldDefinition(api.TenantMixin, api.Base):
    """One field a municipality added to a target's records."""

    __tablename__ = "municipal_fields_field"
    __table_args__ = (UniqueConstraint("municipality_id", "target", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The kind of record (a `FieldTarget.key`, e.g. "citizen").
    target: Mapped[str] = mapped_column(String(60))
    #: Stable name in forms, filters, exports and configuration files: lower-case letters, digits and "_".
    key: Mapped[str] = mapped_column(String(40))
    label_da: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))
    help_da: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[FieldType] = mapped_column(
        Enum(
            FieldType,
            name="municipal_fields_type",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: For one choice / several choices: [{"value": "a", "da": "Dansk", "en": "English"}, ...] in order.
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The order of the field among its target's fields (lower first).
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Roles (`Role` values) who may see the field's values, and who may edit them.
    see_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    edit_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Sensitive values are audited when shown and left out of lists and exports unless asked for.
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(api.UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow)
    updated_at: Mapped[datetime] = mapped_column(api.UTCDateTime, default=api.utcnow, onupdate=api.utcnow)

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_da

    def help(self, language: str) -> str:
        return self.help_en if language == "en" else self.help_da


class FieldValue(api.TenantMixin, api.Base):
    """A value of a field for one record, as canonical text (several choices: one row per choice)."""

    __tablename__ = "municipal_fields_value"
    #: (No index on `value`: a long text can be longer than a PostgreSQL index entry may be.)
    __table_args__ = (Index("ix_municipal_fields_value_record", "field_id", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("municipal_fields_field.id", ondelete="CASCADE"))
    #: The id of the record in its target's table.
    record_id: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text)
