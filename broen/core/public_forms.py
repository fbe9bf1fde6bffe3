"""The spam guard of a form open to anyone (a plugin's public sign-up or referral form, without a log-in).

A public form is guarded by

- the CSRF token, as every form;
- a honeypot: `GuardedForm.website`, a field hidden from people (`guard_fields` in
  `core/_public_form.html`) that only robots fill in — the view thanks for such a post and drops it;
- a signed start time (`start_token`, `check_start`): when the form was shown, for which municipality and
  which consent text. A post sooner than `MIN_SECONDS` after, or more than `TOKEN_MAX_AGE` after, or
  without a valid time, is refused; so is one whose consent text changed since it was shown (the page
  shows the new text, rather than storing an agreement to a text the person never saw);
- a rate limit (`over_limit`): so many posts an hour from one source, so many a day to one municipality.
  The remote address is never stored, only `source_of` it: a keyed hash that gives no address back.

Each form names its `purpose` (e.g. "mentors.apply"): it salts the signature and the hash, so a start time
of one form is no good on another, and one form's sources cannot be matched with another's.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from wtforms import HiddenField, StringField

from broen.core.db import Database, lock_row, utcnow
from broen.core.models import Municipality

#: A post sooner than this many seconds after the form was shown is refused (people take longer).
MIN_SECONDS: float = 3.0
#: The form's signed start time is good for a day.
TOKEN_MAX_AGE: int = 24 * 60 * 60


@dataclass(frozen=True)
class StartProblem:
    """Why a post's start time is refused; `renew` when the form needs a new start token to be sent again."""

    message: str  # translated, for the page
    renew: bool


def _secret() -> bytes:
    """The app's secret key (SECRET_KEY), as bytes."""
    key = current_app.secret_key or ""
    return key.encode("utf-8") if isinstance(key, str) else key


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(), salt=f"broen.public_forms.{purpose}")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def start_token(purpose: str, municipality: Municipality, consent: str, now: float | None = None) -> str:
    """The signed time the form of `purpose` is shown at, for this municipality and consent text: put it
    in the form's `started` field."""
    started = time.time() if now is None else now
    return str(_serializer(purpose).dumps({"m": municipality.id, "t": started, "c": _digest(consent)}))


def check_start(
    purpose: str,
    token: str,
    municipality: Municipality,
    consent: str,
    now: float | None = None,
    *,
    min_seconds: float | None = None,
) -> StartProblem | None:
    """None if `token` is a start time of the form of `purpose` signed here, for this municipality, under
    `TOKEN_MAX_AGE` and at least `MIN_SECONDS` (or `min_seconds`) old, for the consent text shown now;
    else why not. With `renew` the view puts a new `start_token` in the form; without, the same one
    goes through when sent again a little later."""
    again = _("Please check your answers and send the form again.")
    unchecked = StartProblem(_("The form could not be checked.") + " " + again, renew=True)
    if not token:
        return unchecked
    try:
        payload = _serializer(purpose).loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        return StartProblem(_("The form was open for too long.") + " " + again, renew=True)
    except BadSignature:
        return unchecked
    if not isinstance(payload, dict) or payload.get("m") != municipality.id:
        return unchecked
    started = payload.get("t")
    if not isinstance(started, int | float):
        return unchecked
    if payload.get("c") != _digest(consent):
        return StartProblem(
            _(
                "The consent text has changed since the form was shown. Please read it and send the form again."
            ),
            renew=True,
        )
    wait = MIN_SECONDS if min_seconds is None else min_seconds
    if (time.time() if now is None else now) - started < wait:
        return StartProblem(_("The form was sent very quickly.") + " " + again, renew=False)
    return None


def source_of(purpose: str, address: str | None) -> str:
    """A keyed hash (64 hex characters) of where a post to the form of `purpose` came from: the same
    address gives the same hash, the hash gives no address back."""
    message = f"broen.public_forms.{purpose}:{address or 'unknown'}".encode()
    return hmac.new(_secret(), message, hashlib.sha256).hexdigest()


def over_limit(
    db: Database,
    model: type,
    municipality: Municipality,
    source: str,
    now: datetime,
    *,
    per_source_per_hour: int,
    per_municipality_per_day: int,
) -> str | None:
    """Why one more post is refused, translated for the page, or None: `source` sent
    `per_source_per_hour` rows of `model` in the hour before `now` (in any municipality), or
    `municipality` got `per_municipality_per_day` in the day before. `model` has the columns
    `municipality_id`, `source` and `created_at`. One query.

    `hold_within_limit` checks it the way a form that stores a post should."""
    table: Any = model
    from_source = (
        select(func.count())
        .select_from(table)
        .where(table.source == source, table.created_at >= now - timedelta(hours=1))
        .scalar_subquery()
    )
    here_today = (
        select(func.count())
        .select_from(table)
        .where(table.municipality_id == municipality.id, table.created_at >= now - timedelta(days=1))
        .scalar_subquery()
    )
    n_source, n_here = db.session.execute(select(from_source, here_today)).one()
    if n_source >= per_source_per_hour:
        return str(_("We have received several forms from here within the last hour."))
    if n_here >= per_municipality_per_day:
        return str(_("We have received very many forms today."))
    return None


class TooMany(Exception):
    """One more post would pass a public form's rate limit; `message` says which, for the page (429)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hold_within_limit(
    db: Database,
    model: type,
    municipality: Municipality,
    source: str,
    *,
    per_source_per_hour: int,
    per_municipality_per_day: int,
) -> datetime:
    """Before storing a post as a row of `model`: raise `TooMany` past the limit (`over_limit`), else
    lock the municipality's row for the rest of the transaction, check again under the lock (so posts at
    the same moment cannot slip past the limit together) and return the moment to store the post under.
    The first check takes no lock, so a refusal costs no one a wait."""
    now = utcnow()
    for locked in (False, True):
        if locked:
            lock_row(db, Municipality, municipality.id)
            now = utcnow()
        refusal = over_limit(
            db,
            model,
            municipality,
            source,
            now,
            per_source_per_hour=per_source_per_hour,
            per_municipality_per_day=per_municipality_per_day,
        )
        if refusal is not None:
            raise TooMany(refusal)
    return now


def paragraphs(text: str) -> list[list[str]]:
    """A text (a consent text) as paragraphs, split at blank lines, of lines: to show it as written
    (`consent_box` in `core/_public_form.html`)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if lines:
            out.append(lines)
    return out


class GuardedForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """The base class of a public form: the honeypot and the start time (render both with `guard_fields`
    from `core/_public_form.html`)."""

    #: The honeypot: hidden from people, filled in by robots.
    website = StringField(_l("Leave this field empty"))
    #: The signed start time (`start_token`).
    started = HiddenField()

    def is_robot(self) -> bool:
        """Whether the honeypot is filled in: thank for the post and drop it (store and send nothing)."""
        return bool(self.website.data)
