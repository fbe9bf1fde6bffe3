"""What happens at the sessions: attendance, and the agenda (topics proposed, placed, guest talks).

Each function is one transaction, like those in `services`: it checks, writes, audits and commits, and
raises `CafeError(field, message)` for a broken rule.
"""

from __future__ import annotations

from sqlalchemy import select

from broen import api
from broen.plugins.cafe.models import AgendaItem, Course
from broen.plugins.cafe.services import CafeError, _

TITLE_MAX = 200
NOTE_MAX = 2000


def propose_topic(
    db: api.Database,
    course: Course,
    citizen: api.Citizen | None,
    by: api.User | None,
    *,
    title: str,
    note: str = "",
) -> AgendaItem:
    """A topic proposed for a course's agenda, by a participant (`citizen`) or by staff (`citizen` None).

    It waits, unplaced, until the coordinator puts it on a session (or sets it aside).
    """
    title, note = title.strip(), note.strip()
    if not title:
        raise CafeError("title", _("Write the topic."))
    if len(title) > TITLE_MAX:
        raise CafeError("title", _("The topic can be at most %(n)d characters.") % {"n": TITLE_MAX})
    if len(note) > NOTE_MAX:
        raise CafeError("note", _("The note can be at most %(n)d characters.") % {"n": NOTE_MAX})
    item = AgendaItem(
        municipality_id=course.municipality_id,
        course_id=course.id,
        title=title,
        note=note,
        proposed_by_citizen_id=citizen.id if citizen is not None else None,
        created_by_id=by.id if by is not None else None,
        position=0,
        dismissed=False,
    )
    db.session.add(item)
    db.session.flush()
    api.audit.record(
        db,
        "create",
        "cafe_agenda_item",
        item.id,
        by=by,
        municipality_id=course.municipality_id,
        course_id=course.id,
        citizen_id=item.proposed_by_citizen_id,
    )
    db.session.commit()
    return item


def proposals_by(db: api.Database, course: Course, citizen: api.Citizen) -> list[AgendaItem]:
    """The topics `citizen` proposed for `course`, oldest first (a participant sees only their own)."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.course_id == course.id, AgendaItem.proposed_by_citizen_id == citizen.id)
            .order_by(AgendaItem.id)
        )
    )
