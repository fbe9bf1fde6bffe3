"""Two-factor login: a time-based one-time code (TOTP, RFC 6238) from an app on the phone, and recovery codes.

A user turns it on at /me/two-factor by scanning a QR code and typing the first code; a municipality may
require it of its staff (admins, coordinators and mentors). Each code works once: the last code's time step
is stored, so a code seen over someone's shoulder cannot be replayed. Recovery codes are shown once and
stored as argon2 hashes, like passwords.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
from sqlalchemy import delete, func, select

from broen.core import passwords
from broen.core.db import Database, utcnow
from broen.core.models import RecoveryCode, Role, User

#: Codes from the step before and after the current one pass too (a phone's clock may be 30 s off).
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# No 0/O, 1/l/I: a recovery code is read off paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: Roles a municipality's two-factor requirement applies to (participants are citizens, not staff).
STAFF = (Role.ADMIN, Role.COORDINATOR, Role.MENTOR)


def required_for(user: User) -> bool:
    """Whether a municipality the user works in as staff requires two-factor login."""
    return any(m.role in STAFF and m.municipality.require_two_factor for m in user.memberships)


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def provisioning_uri(user: User, secret: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _step_of(secret: str, code: str, now: float) -> int | None:
    """The time step whose code `code` is (within the allowed drift), or None."""
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(user: User, code: str, secret: str | None = None, now: float | None = None) -> bool:
    """True if `code` is a current one-time code of the user's secret (or `secret`, while setting up) that
    has not been used before; the step is then marked used (the caller commits)."""
    code = "".join(code.split())
    secret = secret or user.totp_secret
    if not secret or not code.isdigit() or len(code) != 6:
        return False
    step = _step_of(secret, code, time.time() if now is None else now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(db: Database, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones, returned once in plain text (the caller commits)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))  # 49 bits each
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=passwords.hash_password(raw)))
    return codes


def use_recovery_code(db: Database, user: User, code: str) -> bool:
    """True if `code` is one of the user's unused recovery codes; it is then used up (the caller commits)."""
    raw = _normalise(code)
    if len(raw) != 10:
        return False
    unused = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for row in unused:
        if passwords.matches(row.code_hash, raw):
            row.used_at = utcnow()
            return True
    return False


def unused_recovery_codes(db: Database, user: User) -> int:
    unused = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return db.session.scalar(unused) or 0


def enable(db: Database, user: User) -> list[str]:
    """Turn two-factor login on (its secret set and its first code checked); returns the recovery codes."""
    user.totp_enabled_at = utcnow()
    user.session_version += 1  # sessions opened with the password alone end
    return new_recovery_codes(db, user)


def disable(db: Database, user: User) -> None:
    """Turn two-factor login off (the user's own choice, or an admin's reset after a lost phone)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.session_version += 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
