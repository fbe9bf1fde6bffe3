"""Issuing, revoking and looking up personal feed tokens (the one door for writing `FeedToken`s).

A calendar app cannot log in, so the link itself is the key: `secrets.token_urlsafe(32)` (256 bits),
shown to its owner once, stored only as a SHA-256 hash. A user has at most one live link; a new one
ends the old one, so a link that was shared by mistake is stopped by making a new one.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from broen.calendar.models import FeedToken
from broen.core import audit
from broen.core.db import Database, utcnow
from broen.core.models import User

OBJECT_TYPE = "feed_token"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke_live(db: Database, user: User) -> list[int]:
    """Mark the user's live tokens revoked, each with its audit entry (the caller commits)."""
    live = db.session.scalars(
        select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for row in live:
        row.revoked_at = now
        audit.record(db, audit.DELETE, OBJECT_TYPE, row.id, by=user)
    return [row.id for row in live]


def issue(db: Database, user: User) -> str:
    """A new calendar link token for `user`; any earlier one stops working. Commits."""
    _revoke_live(db, user)
    token = secrets.token_urlsafe(32)
    row = FeedToken(user_id=user.id, token_hash=hash_token(token))
    db.session.add(row)
    db.session.flush()
    audit.record(db, audit.CREATE, OBJECT_TYPE, row.id, by=user)
    db.session.commit()
    return token


def revoke(db: Database, user: User) -> bool:
    """Stop `user`'s calendar link. Commits; False if there was no live link."""
    ids = _revoke_live(db, user)
    db.session.commit()
    return bool(ids)


def live_token(db: Database, user: User) -> FeedToken | None:
    """The user's live token row (its hash and dates; the token itself is not kept)."""
    return db.session.scalar(
        select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
    )


def find(db: Database, token: str) -> FeedToken | None:
    """The live token row for `token`; None for an unknown or revoked token or an inactive owner."""
    row = db.session.scalar(
        select(FeedToken).where(FeedToken.token_hash == hash_token(token), FeedToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    return row


def user_for(db: Database, token: str) -> User | None:
    """The owner of a live token; None for an unknown or revoked token or an inactive user."""
    row = find(db, token)
    return row.user if row is not None else None


__all__ = ["find", "hash_token", "issue", "live_token", "revoke", "user_for"]
