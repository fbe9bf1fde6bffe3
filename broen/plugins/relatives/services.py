"""The relatives plugin's operations on relatives, consent and referrals: the one door for writes (pages,
demo data and tests alike).

Each write is one transaction: it checks the rules, writes, adds the audit entries and commits. A broken
rule raises `RelativeError(field, message)` before anything is written, with a message fit to show the
user. Audit entries name fields and ids, never values.

Consent comes first and is checked here, not only on the pages: no relative is recorded without the
citizen's consent (the day it was given and how), no referral is proposed, sent or marked as posted unless
the consent holds and allows referrals to counselling, and withdrawing it erases the relative's details
and stops every referral in progress. Sending re-checks the consent under a lock of the relative's row, so
a withdrawal and a send of the same relative cannot cross.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import joinedload

from broen import api
from broen.plugins.relatives.blueprint import NAME
from broen.plugins.relatives.models import (
    OPEN_STATUSES,
    ConsentForm,
    GroupCourse,
    Referral,
    ReferralKind,
    ReferralStatus,
    Relation,
    Relative,
)

MAX_NAME = 200
MAX_EMAIL = 254
MAX_PHONE = 40
MAX_NOTE = 1000
MAX_SITUATION = 2000
MAX_REASON = 300
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
#: Why a referral stopped when its relative's consent was withdrawn (or narrowed).
CONSENT_WITHDRAWN = "consent withdrawn"
CONSENT_NARROWED = "consent no longer allows referrals"
#: A proposed referral not sent for longer than this shows on the start page.
UNSENT_DAYS = 7

RELATIVE = "relatives_relative"
REFERRAL = "relatives_referral"


_ = api.gettext


class RelativeError(ValueError):
    """A rule about relatives, consent or referrals was broken; `field` names the form field it belongs to,
    `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


local_today = api.local_today


def _by_id(by: api.User | None) -> int | None:
    return by.id if by is not None else None


# --- values from the forms -------------------------------------------------------------------------------


@dataclass
class RelativeData:
    """A relative's details, as a form gives them."""

    name: str
    relation: Relation | str
    email: str = ""
    phone: str = ""
    note: str = ""


@dataclass
class ConsentData:
    """The citizen's consent for one relative: when and how it was given, and what it allows."""

    given_on: date | None
    form: ConsentForm | str | None
    #: The coordinator may talk with the relative about the citizen's course.
    share_with_relative: bool = False
    #: The relative may be referred to counselling (their details go to the counselling service).
    refer_to_counselling: bool = False
    #: A referral may name the citizen.
    share_citizen_name: bool = False
    #: A referral may carry the coordinator's note on the situation.
    share_situation: bool = False


CONSENT_FLAGS = ("share_with_relative", "refer_to_counselling", "share_citizen_name", "share_situation")


def _clean_consent(consent: ConsentData, today: date) -> dict[str, Any]:
    if consent.given_on is None:
        raise RelativeError(
            "consent_given_on", _("Write the day the citizen gave their consent. The consent comes first.")
        )
    if consent.given_on > today:
        raise RelativeError("consent_given_on", _("The consent cannot be given on a day in the future."))
    try:
        form = ConsentForm(consent.form or "")
    except ValueError:
        raise RelativeError(
            "consent_form", _("Choose whether the consent was given orally or in writing.")
        ) from None
    return {
        "consent_given_on": consent.given_on,
        "consent_form": form,
        **{flag: bool(getattr(consent, flag)) for flag in CONSENT_FLAGS},
    }


def _clean_relative(data: RelativeData) -> dict[str, Any]:
    name = " ".join(data.name.split())
    if not name:
        raise RelativeError("name", _("Write the relative's name."))
    if len(name) > MAX_NAME:
        raise RelativeError("name", _("The name can be at most 200 characters long."))
    try:
        relation = Relation(data.relation)
    except ValueError:
        raise RelativeError("relation", _("Choose how the relative is close to the citizen.")) from None
    email = data.email.strip()
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        raise RelativeError(
            "email", _("Write a valid e-mail address, e.g. name@example.dk, or leave it empty.")
        )
    phone = " ".join(data.phone.split())
    digits = sum(c.isdigit() for c in phone)
    if phone and (len(phone) > MAX_PHONE or not PHONE.match(phone) or not 6 <= digits <= 15):
        raise RelativeError("phone", _("Write a phone number, e.g. 12 34 56 78, or leave it empty."))
    note = data.note.strip()
    if len(note) > MAX_NOTE:
        raise RelativeError("note", _("The note can be at most 1000 characters long."))
    return {"name": name, "relation": relation, "email": email, "phone": phone, "note": note}


def _check_open(relative: Relative) -> None:
    if not relative.consented:
        raise RelativeError(
            "consent", _("The consent was withdrawn. Nothing more can be recorded about this relative.")
        )


# --- relatives and their consent -------------------------------------------------------------------------


def add_relative(
    db: api.Database, citizen: api.Citizen, by: api.User | None, consent: ConsentData, data: RelativeData
) -> Relative:
    """Record a relative of `citizen` under the citizen's `consent`, which is checked first: without the
    day it was given and how, nothing is recorded."""
    consent_values = _clean_consent(consent, local_today(citizen.municipality))
    values = _clean_relative(data)
    relative = Relative(
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        consent_recorded_by_id=_by_id(by),
        consent_recorded_at=api.utcnow(),
        **consent_values,
        **values,
    )
    db.session.add(relative)
    db.session.flush()
    fields = ["consent_given_on", "consent_form", *CONSENT_FLAGS, *(k for k, v in values.items() if v)]
    api.audit.record(
        db,
        "create",
        RELATIVE,
        relative.id,
        by=by,
        municipality_id=citizen.municipality_id,
        citizen_id=citizen.id,
        fields=fields,
    )
    db.session.commit()
    return relative


def _lock(db: api.Database, relative_id: int) -> Relative:
    """Lock the relative's row (the first statement of the transaction) and read it afresh: a withdrawal
    of the consent and a change or a send of the same relative run one after the other."""
    api.lock_row(db, Relative, relative_id)
    return db.session.get_one(Relative, relative_id, populate_existing=True)


def update_relative(
    db: api.Database, relative: Relative, by: api.User | None, data: RelativeData
) -> list[str]:
    """Change a relative's details (while the consent holds). Returns the names of the changed fields."""
    values = _clean_relative(data)
    try:
        relative = _lock(db, relative.id)
        _check_open(relative)
        fields = [name for name, value in values.items() if getattr(relative, name) != value]
        if not fields:
            db.session.rollback()
            return []
        for name in fields:
            setattr(relative, name, values[name])
        api.audit.record(
            db,
            "update",
            RELATIVE,
            relative.id,
            by=by,
            municipality_id=relative.municipality_id,
            fields=fields,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return fields


@dataclass(frozen=True)
class ConsentChange:
    """What `update_consent` changed: the fields, and how many referrals in progress it stopped."""

    fields: list[str] = field(default_factory=list)
    stopped: int = 0


def _stop_open_referrals(
    db: api.Database, relative: Relative, by: api.User | None, today: date, reason: str
) -> int:
    """Every referral of `relative` still in progress becomes withdrawn today, with `reason`."""
    ids = list(
        db.session.scalars(
            select(Referral.id).where(Referral.relative_id == relative.id, Referral.status.in_(OPEN_STATUSES))
        )
    )
    if not ids:
        return 0
    db.session.execute(
        update(Referral)
        .where(Referral.id.in_(ids))
        .values(status=ReferralStatus.WITHDRAWN, closed_on=today, close_reason=reason)
    )
    api.audit.record_each(
        db,
        "update",
        REFERRAL,
        ids,
        by=by,
        municipality_id=relative.municipality_id,
        fields=["status", "closed_on", "close_reason"],
        status=ReferralStatus.WITHDRAWN.value,
    )
    return len(ids)


def update_consent(
    db: api.Database, relative: Relative, by: api.User | None, consent: ConsentData
) -> ConsentChange:
    """Change what the consent allows (or correct when and how it was given). Taking away referrals to
    counselling stops the relative's referrals in progress, as a withdrawal does."""
    try:
        relative = _lock(db, relative.id)
        _check_open(relative)
        today = local_today(relative.municipality)
        values = _clean_consent(consent, today)
        fields = [name for name, value in values.items() if getattr(relative, name) != value]
        if not fields:
            db.session.rollback()
            return ConsentChange()
        stopped = 0
        if relative.refer_to_counselling and not values["refer_to_counselling"]:
            stopped = _stop_open_referrals(db, relative, by, today, CONSENT_NARROWED)
        for name in fields:
            setattr(relative, name, values[name])
        relative.consent_recorded_by_id = _by_id(by)
        relative.consent_recorded_at = api.utcnow()
        api.audit.record(
            db,
            "update",
            RELATIVE,
            relative.id,
            by=by,
            municipality_id=relative.municipality_id,
            fields=fields,
            referrals_stopped=stopped,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ConsentChange(fields, stopped)


def withdraw_consent(db: api.Database, relative: Relative, by: api.User | None) -> int:
    """The citizen withdraws their consent for this relative: the relative's name, e-mail, phone and note
    are erased from the row (and the notes on the situation from their referrals), the withdrawal is dated,
    and every referral in progress becomes withdrawn today. It cannot be undone: a new consent means a new
    relative. Returns how many referrals it stopped."""
    try:
        relative = _lock(db, relative.id)
        if not relative.consented:
            raise RelativeError("consent", _("The consent is withdrawn already."))
        today = local_today(relative.municipality)
        stopped = _stop_open_referrals(db, relative, by, today, CONSENT_WITHDRAWN)
        # The notes on the situation were written to be shared under this consent; they go with it.
        db.session.execute(
            update(Referral)
            .where(Referral.relative_id == relative.id, Referral.situation != "")
            .values(situation="")
        )
        erased = [name for name in ("name", "email", "phone", "note") if getattr(relative, name)]
        relative.name = relative.email = relative.phone = relative.note = ""
        relative.withdrawn_at = api.utcnow()
        relative.withdrawn_by_id = _by_id(by)
        api.audit.record(
            db,
            "update",
            RELATIVE,
            relative.id,
            by=by,
            municipality_id=relative.municipality_id,
            what="consent_withdrawn",
            fields=[*erased, "withdrawn_at"],
            referrals_stopped=stopped,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return stopped


# --- referrals -------------------------------------------------------------------------------------------


def check_may_refer(relative: Relative) -> None:
    """Refuse (`RelativeError`) unless the relative's consent holds and allows referrals to counselling."""
    if not relative.consented:
        raise RelativeError("consent", _("The consent was withdrawn: the relative cannot be referred."))
    if not relative.refer_to_counselling:
        raise RelativeError(
            "consent", _("The citizen's consent does not allow referring this relative to counselling.")
        )


def propose_referral(
    db: api.Database,
    relative: Relative,
    by: api.User | None,
    kind: ReferralKind | str,
    situation: str = "",
    course_id: int | None = None,
    *,
    commit: bool = True,
) -> Referral:
    """Propose referring `relative` to counselling (individual conversations, a group course or teaching),
    if the consent holds and allows it. `course_id`, for a group course or teaching, must be a course of the
    relative's municipality of that kind. With `commit=False` the caller writes more in the same
    transaction (e.g. the referral's own fields) and commits."""
    check_may_refer(relative)
    try:
        kind = ReferralKind(kind)
    except ValueError:
        raise RelativeError("kind", _("Choose what the relative is referred to.")) from None
    if course_id is not None:
        if kind == ReferralKind.INDIVIDUAL:
            raise RelativeError(
                "course_id", _("Individual conversations have no course. Leave the course empty.")
            )
        course = db.session.scalar(
            select(GroupCourse).where(
                GroupCourse.id == course_id, GroupCourse.municipality_id == relative.municipality_id
            )
        )
        if course is None:
            raise RelativeError("course_id", _("Choose one of the municipality's courses."))
        if course.kind != kind:
            raise RelativeError("course_id", _("The course is not of the kind chosen."))
    situation = situation.strip()
    if len(situation) > MAX_SITUATION:
        raise RelativeError("situation", _("The note on the situation can be at most 2000 characters long."))
    referral = Referral(
        municipality_id=relative.municipality_id,
        relative_id=relative.id,
        kind=kind,
        course_id=course_id,
        status=ReferralStatus.PROPOSED,
        situation=situation,
        proposed_on=local_today(relative.municipality),
        created_by_id=_by_id(by),
    )
    db.session.add(referral)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        REFERRAL,
        referral.id,
        by=by,
        municipality_id=relative.municipality_id,
        relative_id=relative.id,
        citizen_id=relative.citizen_id,
        fields=["kind", "course_id", "situation"] if situation else ["kind", "course_id"],
    )
    if commit:
        db.session.commit()
    return referral


def _locked(db: api.Database, referral: Referral) -> tuple[Referral, Relative]:
    """Lock the referral's relative (the first statement of the transaction) and read both afresh, so the
    consent checked is the consent as it is now."""
    referral_id = referral.id
    relative = _lock(db, referral.relative_id)
    referral = db.session.get_one(Referral, referral_id, populate_existing=True)
    return referral, relative


def _check_date(on: date | None, today: date, after: date | None, name: str = "on") -> date:
    if on is None:
        raise RelativeError(name, _("Choose the date."))
    if on > today:
        raise RelativeError(name, _("The date cannot be in the future."))
    if after is not None and on < after:
        raise RelativeError(
            name, _("The date cannot be before the previous step (%(date)s).", date=api.format_date(after))
        )
    return on


def counselling_address(municipality: api.Municipality) -> str:
    """The address referrals go to ("" when the municipality's admin has set none)."""
    return str(api.plugin_settings(NAME, municipality)["counselling_email"]).strip()


def send_referral(db: api.Database, referral: Referral, by: api.User | None) -> str:
    """Send a proposed referral's letter by e-mail to the counselling service; returns the address.

    Under a lock of the relative's row: the consent is checked as it is now, the letter is made with only
    what it allows, it is handed to the SMTP server, and only then is the referral recorded as sent.
    If the server does not take it, the referral stays proposed and nothing is written."""
    from broen.plugins.relatives import letters  # letters builds on this module

    try:
        referral, relative = _locked(db, referral)
        check_may_refer(relative)
        if referral.status != ReferralStatus.PROPOSED:
            raise RelativeError("status", _("Only a proposed referral can be sent."))
        municipality = relative.municipality
        address = counselling_address(municipality)
        if not address:
            raise RelativeError(
                "send",
                _(
                    "No e-mail address of the counselling service is set, so the letter cannot be sent from "
                    "here. A municipality administrator can set it in the plugin's settings; or print the "
                    "letter and send it by post."
                ),
            )
        subject, body = letters.render(referral, by)
        try:
            api.mail.send(address, subject, body)
        except api.mail.MailError:
            raise RelativeError(
                "send",
                _(
                    "The e-mail could not be sent: the mail server did not take it. The referral is still "
                    "proposed; try again later, or send the letter by post."
                ),
            ) from None
        referral.status = ReferralStatus.SENT
        referral.sent_on = local_today(municipality)
        referral.sent_to = address
        api.audit.record(
            db,
            "update",
            REFERRAL,
            referral.id,
            by=by,
            municipality_id=referral.municipality_id,
            fields=["status", "sent_on", "sent_to"],
            status=ReferralStatus.SENT.value,
            channel="email",
            shared=letters.shared_fields(relative),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return address


def mark_sent(db: api.Database, referral: Referral, by: api.User | None, on: date | None) -> None:
    """Record that a proposed referral's letter was sent by post on `on` (the consent must still hold)."""
    from broen.plugins.relatives import letters

    try:
        referral, relative = _locked(db, referral)
        check_may_refer(relative)
        if referral.status != ReferralStatus.PROPOSED:
            raise RelativeError("status", _("Only a proposed referral can be sent."))
        today = local_today(relative.municipality)
        referral.sent_on = _check_date(on, today, referral.proposed_on, "sent_on")
        referral.status = ReferralStatus.SENT
        referral.sent_to = ""
        api.audit.record(
            db,
            "update",
            REFERRAL,
            referral.id,
            by=by,
            municipality_id=referral.municipality_id,
            fields=["status", "sent_on"],
            status=ReferralStatus.SENT.value,
            channel="post",
            shared=letters.shared_fields(relative),
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


#: From each status, where `set_status` may take a referral.
TRANSITIONS: dict[ReferralStatus, tuple[ReferralStatus, ...]] = {
    ReferralStatus.PROPOSED: (ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN),
    ReferralStatus.SENT: (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN),
    ReferralStatus.ACCEPTED: (ReferralStatus.COMPLETED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN),
    ReferralStatus.COMPLETED: (),
    ReferralStatus.DECLINED: (),
    ReferralStatus.WITHDRAWN: (),
}


def last_step(referral: Referral) -> date:
    """The day of the referral's latest step."""
    steps = [
        referral.proposed_on,
        referral.sent_on,
        referral.accepted_on,
        referral.completed_on,
        referral.closed_on,
    ]
    return max(day for day in steps if day is not None)


def set_status(
    db: api.Database,
    referral: Referral,
    by: api.User | None,
    status: ReferralStatus | str,
    on: date | None,
    reason: str = "",
) -> None:
    """Move a referral on: sent → accepted → completed, or (while in progress) declined or withdrawn with a
    reason. `on` may not be in the future, nor before the previous step."""
    try:
        status = ReferralStatus(status)
    except ValueError:
        raise RelativeError("status", _("Choose what happened.")) from None
    if status not in TRANSITIONS[referral.status]:
        raise RelativeError("status", _("The referral cannot go from its present status to the one chosen."))
    on = _check_date(on, local_today(referral.municipality), last_step(referral))
    reason = " ".join(reason.split())
    fields = ["status"]
    if status == ReferralStatus.ACCEPTED:
        referral.accepted_on = on
        fields.append("accepted_on")
    elif status == ReferralStatus.COMPLETED:
        referral.completed_on = on
        fields.append("completed_on")
    else:
        if not reason:
            raise RelativeError("reason", _("Write why, in a few words."))
        if len(reason) > MAX_REASON:
            raise RelativeError("reason", _("The reason can be at most 300 characters long."))
        referral.closed_on = on
        referral.close_reason = reason
        fields += ["closed_on", "close_reason"]
    referral.status = status
    api.audit.record(
        db,
        "update",
        REFERRAL,
        referral.id,
        by=by,
        municipality_id=referral.municipality_id,
        fields=fields,
        status=status.value,
    )
    db.session.commit()


# --- the overview ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    """A referral on the overview, with its relative and the citizen's id and name."""

    referral: Referral
    relative: Relative
    citizen_id: int
    citizen_name: str


@dataclass(frozen=True)
class Overview:
    """One page of referrals, and how many the municipality has in each status."""

    page: api.Page[ReferralRow]
    counts: dict[ReferralStatus, int]

    @property
    def open_count(self) -> int:
        return sum(self.counts[s] for s in OPEN_STATUSES)


def referrals_query(
    municipality: api.Municipality,
    status: ReferralStatus | None = None,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> Any:
    """The municipality's referrals in `status` (None: those in progress), oldest step first, each with its
    relative (and course) and the citizen's id and name: one statement. `conditions` on `Referral.id` (the
    municipality's own fields' filters, `ListOptions.conditions`) narrow them."""
    wanted = (status,) if status is not None else OPEN_STATUSES
    return (
        select(Referral, Relative, api.Citizen.id, api.Citizen.name)
        .join(Relative, Relative.id == Referral.relative_id)
        .join(api.Citizen, api.Citizen.id == Relative.citizen_id)
        .options(joinedload(Referral.course))
        .where(Referral.municipality_id == municipality.id, Referral.status.in_(wanted), *conditions)
        .order_by(Referral.proposed_on, Referral.id)
    )


def open_referrals(
    db: api.Database,
    municipality: api.Municipality,
    status: ReferralStatus | None = None,
    page: int = 1,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> Overview:
    """The overview: a page of the municipality's referrals in progress (or in `status`, narrowed by
    `conditions` as in `referrals_query`) and the counts per status (of them all). Three statements however
    many referrals there are."""
    counts = dict.fromkeys(ReferralStatus, 0)
    rows = db.session.execute(
        select(Referral.status, func.count(Referral.id))
        .where(Referral.municipality_id == municipality.id)
        .group_by(Referral.status)
    )
    for found, n in rows:
        counts[ReferralStatus(found)] = int(n)
    listed = api.paginate(db, referrals_query(municipality, status, conditions), page, item=ReferralRow)
    return Overview(listed, counts)


def unsent_count(db: api.Database, municipality: api.Municipality, today: date | None = None) -> int:
    """How many referrals were proposed more than a week ago and are still not sent. One statement."""
    before = (today or local_today(municipality)) - timedelta(days=UNSENT_DAYS)
    return int(
        db.session.scalar(
            select(func.count(Referral.id)).where(
                Referral.municipality_id == municipality.id,
                Referral.status == ReferralStatus.PROPOSED,
                Referral.proposed_on < before,
            )
        )
        or 0
    )
