"""Ranking the pool's mentors for one citizen: explainable, deterministic and fast.

`rank` reads, in one SQL statement, the approved mentors of the municipality who have a free place
(capacity minus their proposed and active matches) and are not already matched with the citizen, as
plain columns (no ORM objects), scores each with `score` (a pure function of two `Profile`s) and keeps
the best `limit`. Ties go by name (case-insensitive), then id. Only the kept ones get their reasons
spelled out; the coordinator decides.

Points: 3 per shared interest, 4 for the same area, 1 per shared weekly time slot (at most 6),
2 per shared contact form.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from broen import api
from broen.plugins.mentors.models import (
    OPEN_STATUSES,
    PARTS_OF_DAY,
    CitizenWishes,
    ContactForm,
    Match,
    MatchStatus,
    Mentor,
    MentorStatus,
    slots_of,
)

INTEREST_POINTS = 3
AREA_POINTS = 4
SLOT_POINTS = 1
MAX_SLOT_POINTS = 6
FORM_POINTS = 2

INTERESTS = "interests"
AREA = "area"
TIMES = "times"
CONTACT = "contact"

_PARTS = {
    "morning": api.lazy_gettext("morning"),
    "afternoon": api.lazy_gettext("afternoon"),
    "evening": api.lazy_gettext("evening"),
}
_FORMS = {
    ContactForm.WALK: api.lazy_gettext("walk"),
    ContactForm.COFFEE: api.lazy_gettext("coffee"),
    ContactForm.PHONE: api.lazy_gettext("phone"),
    ContactForm.ONLINE: api.lazy_gettext("online"),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """What matching compares, of a citizen's wishes or a mentor: normalised interests, the area
    (case-folded), and the availability and contact-form bitmasks."""

    interests: frozenset[str]
    area: str
    availability: int
    contact_forms: int
    #: The area as written, for the reason shown.
    area_shown: str = field(default="", compare=False)

    @classmethod
    def of(cls, interests: Iterable[str], area: str, availability: int, contact_forms: int) -> Profile:
        area = " ".join(area.split())
        return cls(frozenset(interests), area.casefold(), availability, contact_forms, area)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a mentor ranks where they do: a `kind` (INTERESTS, AREA, TIMES, CONTACT), the points it
    gave, and what it is about (the shared interests, the area, the shared slots, the shared forms)."""

    kind: str
    points: int
    items: tuple[str, ...]

    def __str__(self) -> str:
        """The reason in words, in the current language (in an app context)."""
        if self.kind == INTERESTS:
            return str(api.gettext("Shared interests: %(items)s", items=", ".join(self.items)))
        if self.kind == AREA:
            return str(api.gettext("Same area: %(area)s", area=self.items[0]))
        if self.kind == TIMES:
            words = []
            for item in self.items:
                day, part = item.split(":")
                words.append(f"{api.WEEKDAYS[int(day)]} {_PARTS[part]}")
            return str(api.gettext("Both free: %(times)s", times=", ".join(words)))
        forms = ", ".join(str(_FORMS[ContactForm[name.upper()]]) for name in self.items)
        return str(api.gettext("Both like to meet by: %(forms)s", forms=forms))


def score(wishes: Profile, mentor: Profile) -> tuple[int, tuple[Reason, ...]]:
    """How well a mentor fits a citizen's wishes, and why: (points, reasons). Pure; no database."""
    reasons = []
    shared = sorted(wishes.interests & mentor.interests)
    if shared:
        reasons.append(Reason(INTERESTS, INTEREST_POINTS * len(shared), tuple(shared)))
    if wishes.area and wishes.area == mentor.area:
        reasons.append(Reason(AREA, AREA_POINTS, (mentor.area_shown,)))
    slots = slots_of(wishes.availability & mentor.availability)
    if slots:
        reasons.append(
            Reason(
                TIMES,
                min(SLOT_POINTS * len(slots), MAX_SLOT_POINTS),
                tuple(f"{day}:{PARTS_OF_DAY[part]}" for day, part in slots),
            )
        )
    forms = [form for form in ContactForm if wishes.contact_forms & mentor.contact_forms & form]
    if forms:
        reasons.append(
            Reason(CONTACT, FORM_POINTS * len(forms), tuple(str(form.name).lower() for form in forms))
        )
    return sum(r.points for r in reasons), tuple(reasons)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A mentor on the ranked list: who, how many free places, the score and its reasons."""

    mentor_id: int
    name: str
    area: str
    free_places: int
    score: int
    reasons: tuple[Reason, ...]


def wishes_profile(wishes: CitizenWishes) -> Profile:
    return Profile.of(wishes.interests or (), wishes.area, wishes.availability, wishes.contact_forms)


def rank(
    db: api.Database, municipality: api.Municipality, wishes: CitizenWishes, limit: int = 20
) -> list[Candidate]:
    """The best `limit` approved mentors of `municipality` with a free place for the citizen whose
    `wishes` these are, best first (ties by name, then id). One SQL statement."""
    if wishes.municipality_id != municipality.id:
        raise ValueError("the wishes belong to another municipality")
    taken = (
        select(Match.mentor_id, func.count(Match.id).label("taken"))
        .where(Match.municipality_id == municipality.id, Match.status.in_(OPEN_STATUSES))
        .group_by(Match.mentor_id)
        .subquery()
    )
    already = select(Match.mentor_id).where(
        Match.municipality_id == municipality.id,
        Match.citizen_id == wishes.citizen_id,
        Match.status != MatchStatus.ENDED,
    )
    n_taken = func.coalesce(taken.c.taken, 0)
    rows = db.session.execute(
        select(
            Mentor.id,
            Mentor.name,
            Mentor.area,
            Mentor.interests,
            Mentor.availability,
            Mentor.contact_forms,
            Mentor.capacity - n_taken,
        )
        .outerjoin(taken, taken.c.mentor_id == Mentor.id)
        .where(
            Mentor.municipality_id == municipality.id,
            Mentor.status == MentorStatus.APPROVED,
            Mentor.capacity > n_taken,
            Mentor.id.not_in(already),
        )
    ).all()

    want = wishes_profile(wishes)
    interests, area = want.interests, want.area
    availability, forms = want.availability, want.contact_forms
    scored = []
    for mentor_id, name, mentor_area, tags, mentor_slots, mentor_forms, free in rows:
        # `score`'s points without its reasons (the only per-mentor Python work; areas are stored normalised).
        points = INTEREST_POINTS * len(interests.intersection(tags)) if interests and tags else 0
        if area and area == mentor_area.casefold():
            points += AREA_POINTS
        points += min(SLOT_POINTS * (availability & mentor_slots).bit_count(), MAX_SLOT_POINTS)
        points += FORM_POINTS * (forms & mentor_forms).bit_count()
        scored.append(
            (-points, name.casefold(), mentor_id, name, mentor_area, tags, mentor_slots, mentor_forms, free)
        )
    best = heapq.nsmallest(limit, scored)
    candidates = []
    for _neg, _key, mentor_id, name, mentor_area, tags, mentor_slots, mentor_forms, free in best:
        points, reasons = score(want, Profile.of(tags or (), mentor_area, mentor_slots, mentor_forms))
        candidates.append(Candidate(mentor_id, name, mentor_area, free, points, reasons))
    return candidates
