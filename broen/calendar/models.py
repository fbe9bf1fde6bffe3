"""Personal feed tokens: the secret in a participant's calendar subscription link.

Only a SHA-256 hash of the token is stored, so a copy of the database (a backup, a leaked dump) does not
give anyone the links to people's calendars. A token has 256 random bits, so a plain hash is enough: there
is nothing to guess, unlike a password, and the lookup stays one indexed equality.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broen.core.db import Base, UTCDateTime, utcnow
from broen.core.models import User


class FeedToken(Base):
    """One calendar link of a user; at most one per user is live (`revoked_at` is None)."""

    __tablename__ = "calendar_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: sha256 hex of the token; the token itself is shown to its owner once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


__all__ = ["FeedToken"]
