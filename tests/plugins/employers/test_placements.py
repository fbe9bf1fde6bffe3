"""Placements and their follow-up: a flex job, ordinary job or education gets check-ins at the setting's
weeks and a handover six calendar months after the start; an internship gets none. Moving the start moves
the open ones; ending the placement, or a "no" at a check-in, cancels the open ones (kept, marked
cancelled). Every write leaves audit entries with field names only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core.models import AuditEntry, PluginState
from broen.plugins.employers import services
from broen.plugins.employers.models import Placement, Task
from broen.plugins.employers.services import EmployerError
from tests.conftest import World, db_of
from tests.plugins.employers.conftest import SQLITE_ONLY, make_company, place, tasks_of, user

pytestmark = SQLITE_ONLY


def test_a_flex_job_gets_check_ins_at_the_weeks_and_a_handover_at_six_months_clamped(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    company = make_company(app, w)
    start = date(2026, 8, 31)
    placement = place(app, w, w.citizens["silkeborg"][0], company, "flexjob", start, "12")
    assert tasks_of(app, placement) == [
        *(("checkin", week, start + timedelta(weeks=week), "open") for week in (2, 4, 8, 13, 17, 22)),
        ("handover", None, date(2027, 2, 28), "open"),
    ]
    education = place(app, w, w.citizens["silkeborg"][1], company, "education", date(2026, 3, 31), None)
    assert tasks_of(app, education)[-1] == ("handover", None, date(2026, 9, 30), "open")
    internship = place(app, w, w.citizens["silkeborg"][2], company, "internship", start, "15")
    assert tasks_of(app, internship) == []


def test_the_municipalitys_weeks_setting_decides_the_check_ins(app: Flask, employers_world: World) -> None:
    w = employers_world
    with app.app_context():
        db = db_of(app)
        state = db.session.scalar(
            select(PluginState).where(
                PluginState.municipality_id == w.municipalities["silkeborg"].id,
                PluginState.plugin == "employers",
            )
        )
        assert state is not None
        state.settings = {**state.settings, "checkin_weeks": "6, 1, 6"}
        db.session.commit()
    placement = place(
        app, w, w.citizens["silkeborg"][0], make_company(app, w), "ordinary_job", date(2026, 1, 5), "37"
    )
    assert [(k, wk) for k, wk, _d, _s in tasks_of(app, placement)] == [
        ("checkin", 1),
        ("checkin", 6),
        ("handover", None),
    ]


def test_moving_the_start_moves_the_open_check_ins_and_the_handover(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    company = make_company(app, w)
    start = date(2026, 1, 5)
    placement_id = place(app, w, w.citizens["silkeborg"][0], company, "flexjob", start, "10")
    with app.app_context():
        db = db_of(app)
        placement = db.session.get_one(Placement, placement_id)
        first = placement.tasks[0]
        services.complete_checkin(db, first, user(app, w), date(2026, 1, 19), True, "Fine")
        placement = db.session.get_one(Placement, placement_id)
        changed = services.update_placement(
            db, placement, user(app, w), placement.company, date(2026, 1, 12), "10", ""
        )
    assert changed == ["start_on"]
    new_start = date(2026, 1, 12)
    assert tasks_of(app, placement_id) == [
        ("checkin", 2, date(2026, 1, 19), "done"),  # done: stays where it was
        *(("checkin", week, new_start + timedelta(weeks=week), "open") for week in (4, 8, 13, 17, 22)),
        ("handover", None, date(2026, 7, 12), "open"),
    ]


def test_ending_a_placement_cancels_its_open_check_ins_and_keeps_them(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    placement_id = place(
        app, w, w.citizens["silkeborg"][0], make_company(app, w), "flexjob", date(2026, 1, 5), "10"
    )
    with app.app_context():
        db = db_of(app)
        placement = db.session.get_one(Placement, placement_id)
        services.complete_checkin(db, placement.tasks[0], user(app, w), date(2026, 1, 19), True)
        cancelled = services.end_placement(
            db, db.session.get_one(Placement, placement_id), user(app, w), date(2026, 2, 10), "Moved away"
        )
        assert cancelled == 6
        placement = db.session.get_one(Placement, placement_id)
        assert (placement.ended_on, placement.end_reason) == (date(2026, 2, 10), "Moved away")
        with pytest.raises(EmployerError) as err:
            services.end_placement(db, placement, user(app, w), date(2026, 2, 11), "Again")
        assert err.value.field == "placement"
    assert [s for *_rest, s in tasks_of(app, placement_id)] == ["done"] + ["cancelled"] * 6


def test_a_no_at_a_check_in_ends_the_placement_that_day_and_cancels_the_later_ones(
    app: Flask, employers_world: World
) -> None:
    w = employers_world
    start = date(2026, 1, 5)
    placement_id = place(app, w, w.citizens["silkeborg"][0], make_company(app, w), "education", start, None)
    with app.app_context():
        db = db_of(app)
        tasks = db.session.get_one(Placement, placement_id).tasks
        services.complete_checkin(db, tasks[0], user(app, w), date(2026, 1, 19), True)
        cancelled = services.complete_checkin(
            db, tasks[1], user(app, w), date(2026, 2, 3), False, "Dropped out"
        )
        assert cancelled == 5
        placement = db.session.get_one(Placement, placement_id)
        assert placement.ended_on == date(2026, 2, 3)
        assert "week 4" in placement.end_reason
        with pytest.raises(EmployerError):  # a cancelled one cannot be done any more
            services.complete_checkin(db, placement.tasks[2], user(app, w), date(2026, 2, 4), True)
    assert [s for *_rest, s in tasks_of(app, placement_id)] == ["done", "done"] + ["cancelled"] * 5


def test_the_writes_leave_audit_entries_with_field_names_only(app: Flask, employers_world: World) -> None:
    w = employers_world
    citizen_id = w.citizens["silkeborg"][0]
    placement_id = place(
        app, w, citizen_id, make_company(app, w, cvr="12345678"), "flexjob", date(2026, 1, 5), "7,5"
    )
    with app.app_context():
        db = db_of(app)
        placement = db.session.get_one(Placement, placement_id)
        services.complete_checkin(
            db, placement.tasks[0], user(app, w), date(2026, 1, 19), False, "A private note"
        )
        entries = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.object_type.like("employers_%")).order_by(AuditEntry.id)
            )
        )
        task_ids = list(
            db.session.scalars(select(Task.id).where(Task.placement_id == placement_id).order_by(Task.id))
        )
    summary = [(e.action, e.object_type, e.details.get("fields")) for e in entries]
    assert summary[0] == ("create", "employers_company", ["name", "cvr"])
    assert summary[1] == (
        "create",
        "employers_placement",
        ["company_id", "kind", "start_on", "hours_per_week"],
    )
    assert ("update", "employers_task", ["status", "done_on", "still_there", "note"]) in summary
    assert ("update", "employers_placement", ["ended_on", "end_reason"]) in summary
    cancelled = [
        e.object_id
        for e in entries
        if e.object_type == "employers_task" and e.details.get("fields") == ["status"]
    ]
    assert sorted(cancelled) == task_ids[1:]
    assert all(e.details.get("citizen_id") == citizen_id for e in entries[1:])
    text = repr([e.details for e in entries])
    assert "private note" not in text and "12345678" not in text and "7.5" not in text
