"""The café's public pages: a course's calendar feed, with no participant data at all.

`/<municipality>/public/cafe/courses/<id>.ics` has the course's sessions only (title, time, place,
status), for anyone with the link: no log-in. It is served like the core's feeds, from a cache checked
with one query per request (`api.municipality_feed`), which also answers 404 when the course is not
this municipality's or the café is off here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, Response
from sqlalchemy import bindparam, exists

from broen import api
from broen.plugins.cafe import services
from broen.plugins.cafe.feed import calendar_events
from broen.plugins.cafe.models import Course

bp = Blueprint("cafe_public", __name__)

#: True when the course is one of the municipality's (correlated to the key query's municipality).
_COURSE_HERE = exists().where(
    Course.id == bindparam("course_id"), Course.municipality_id == api.Municipality.id
)


@bp.route("/courses/<int:course_id>.ics")
@api.feed_view
def course_feed(course_id: int) -> Response:
    def build(
        municipality: api.Municipality, start: datetime, end: datetime
    ) -> tuple[str, Sequence[api.CalendarEvent]] | None:
        db = api.db()
        course = db.session.scalar(api.scoped(Course, municipality).where(Course.id == course_id))
        if course is None:
            return None
        events = calendar_events(db, municipality, start, end, course_id=course.id)
        return f"{course.title} · {municipality.name}", events

    return api.municipality_feed(
        f"cafe/course/{course_id}",
        build,
        plugin=services.NAME,
        condition=_COURSE_HERE,
        params={"course_id": course_id},
    )
