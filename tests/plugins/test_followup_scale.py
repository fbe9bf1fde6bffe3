"""At size: a coordinator's start page and worklists, and the outcome report over 3½ years, send as many SQL
statements for 2,000 citizens (with their contacts, WHO-5 measurements, placements and check-ins) as for
20 (the benchmark's data: benchmarks/report.py). SQLite only: the plugins' own count tests (2 against 200
records) run on PostgreSQL too, and 2,000 citizens take 17 s to write there. The timing is the benchmark's."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from benchmarks.report import log_in, routes, seed
from broen.core.models import Citizen, CitizenStatus, Municipality
from broen.plugins.employers.models import Placement, Task, TaskStatus
from tests.sqlcount import count_statements


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worklists_and_report_send_the_same_statements_for_20_and_2000_citizens(app: Flask) -> None:
    # The municipalities' date (the pages' "today"): in the hour after midnight in Copenhagen, UTC is
    # still on yesterday.
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    with app.app_context():
        small = seed(app, 20, "small", today)
        big = seed(app, 2000, "big", today)
        # The small one's start page shows every kind of row the big one's does: a check-in overdue and one
        # due today (its 20 citizens are too few to have them by chance).
        db = app.extensions["broen.db"]
        small_id = db.session.scalar(select(Municipality.id).where(Municipality.slug == "small"))
        tasks = db.session.scalars(
            select(Task)
            .join(Placement, Placement.id == Task.placement_id)
            .join(Citizen, Citizen.id == Placement.citizen_id)
            .where(Task.municipality_id == small_id, Citizen.status != CitizenStatus.ENDED)
            .where(Placement.ended_on.is_(None))
            .order_by(Task.id)
            .limit(2)
        )
        for task, due in zip(tasks, (today - timedelta(days=3), today), strict=True):
            task.status, task.done_on, task.due_on = TaskStatus.OPEN, None, due
        db.session.commit()
    assert big["contacts"] > 40_000 and big["placements"] > 900 and small["citizens"] == 20
    client = log_in(app, "coordinator@example.dk")
    counts = {}
    for slug in ("small", "big"):
        for name, url in routes(slug, today).items():
            if name == "hello-world":
                continue
            with count_statements(app) as seen:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            counts[slug, name] = len(seen)
    for name in routes("small", today):
        if name != "hello-world":
            assert counts["big", name] == counts["small", name], (name, counts)
    assert counts["big", "report, 3½ years"] <= 10, counts
