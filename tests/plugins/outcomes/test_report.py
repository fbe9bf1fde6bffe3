"""The report as the project lead uses it: figures of every plugin added up across their municipalities
against the targets, as a table, charts that read without colour or JavaScript, a CSV and a printable page;
who may see it; and a number of statements that does not grow with the citizens."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from broen.core import accounts
from broen.core.models import Role
from broen.plugins.outcomes import services
from tests.conftest import World, db_of, text_of
from tests.plugins.outcomes.conftest import S
from tests.plugins.outcomes.test_figures import COHORT
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PERIOD = "start=2025-03-01&end=2025-06-30"


def setup_two(app: Flask, world: World, add_history: Callable[..., list[int]]) -> None:
    """Silkeborg's cohort (3 enrolled), one enrolled in Norddjurs, targets in both; Silkeborg's admin is
    also a coordinator in Norddjurs, a mentor in Aarhus, and a coordinator in Randers (outcomes off)."""
    add_history(world, "silkeborg", list(COHORT.values()))
    add_history(world, "norddjurs", [[(S.ACTIVE, date(2025, 3, 3))]])
    with app.app_context():
        db = db_of(app)
        admin = db.session.merge(world.user("silkeborg", "admin"))
        accounts.grant_role(db, admin, world.municipalities["norddjurs"], Role.COORDINATOR)
        aarhus = accounts.create_municipality(db, "aarhus", "Aarhus Kommune")
        accounts.set_plugin_enabled(db, aarhus, "outcomes", True)
        accounts.grant_role(db, admin, aarhus, Role.MENTOR)
        randers = accounts.create_municipality(db, "randers", "Randers Kommune")
        accounts.grant_role(db, admin, randers, Role.COORDINATOR)
    with app.test_request_context("/silkeborg/"):
        services.save_targets(
            world.municipalities["silkeborg"],
            [services.Target("extra.flexjob", 2, 50), services.Target("extra.kept", None, 70)],
            None,
        )
        services.save_targets(
            world.municipalities["norddjurs"],
            [services.Target("extra.flexjob", 1, 80), services.Target("extra.kept", None, 40)],
            None,
        )


def row_of(text: str, label: str) -> str:
    """The text of the table row that starts with `label` (up to the next figure's label)."""
    match = re.search(
        re.escape(label)
        + r" (.*?)(?= (Active|Completed|Ended early|Into a flex job|=Paid hours|Kept the job|WHO-5 at start|Charts) )",
        text,
    )
    assert match, f"no row {label!r} in {text}"
    return match.group(1)


@SQLITE_ONLY
def test_all_my_municipalities_adds_up_by_key_with_weighted_targets(
    app: Flask, outcomes_world: World, add_history: Callable[..., list[int]], client: Any
) -> None:
    setup_two(app, outcomes_world, add_history)
    client.login(outcomes_world.user("silkeborg", "admin"))

    response = client.get(f"/silkeborg/outcomes/?{PERIOD}&scope=all")
    html = response.get_data(as_text=True)
    text = text_of(response)

    assert response.status_code == 200
    # Columns: each municipality where the user is staff and the plugin is on, then together, then target.
    assert "Figure Norddjurs Kommune Silkeborg Kommune Together Target" in text
    assert "Aarhus" not in text and "Randers" not in text
    assert row_of(text, "Enrolled") == "1 3 4 –no target"
    assert (
        row_of(text, "Completed")
        == "0 (0 % of enrolled) 3 (100 % of enrolled) 3 (75 % of enrolled) –no target"
    )
    # 2 of 3 and 1 of 1 enrolled; targets 2 + 1 people, 50 % and 80 % weighted by 3 and 1 enrolled: 57.5 %.
    assert row_of(text, "Into a flex job") == (
        "1 (100 % of enrolled) 2 (67 % of enrolled) 3 (75 % of enrolled) 3 (58 %)"
    )
    # 8 of 10 and 3 of 5; 70 % and 40 % weighted by 10 and 5: 60 %.
    assert row_of(text, "Kept the job") == "3 of 5 (60 %) 8 of 10 (80 %) 11 of 15 (73 %) 60 %"
    assert row_of(text, "=Paid hours") == "20 hours a week 37.5 hours a week 57.5 hours a week –no target"
    # A mean of no one: a dash, and words for screen readers.
    assert '<span aria-hidden="true">–</span><span class="sr-only">no one yet</span>' in html
    # Definitions: each figure's note.
    assert "Definitions" in text and "Citizens whose course started in the period" in text and "Flex." in text

    # One chart per group with people or shares, in order, each an image with a title and numbers in words;
    # targets dashed. A mean or a total is not drawn (alone on its own scale its bar would say nothing).
    svgs = re.findall(r"<svg role=\"img\".*?</svg>", html, flags=re.S)
    titles = [re.search(r"<title id=\"[^\"]+\">(.*?)</title>", s).group(1) for s in svgs]  # type: ignore[union-attr]
    assert titles == ["Course", "Work and education", "Still in the job"]
    assert not any("Paid hours" in svg or "WHO-5 at start" in svg for svg in svgs)
    for svg in svgs:
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()  # type: ignore[union-attr]
        assert all(f'id="{i}"' in svg for i in ids) and "<desc" in svg and 'viewBox="0 0 360 ' in svg
    retention = svgs[2]
    assert (
        "Kept the job: Norddjurs Kommune 3 of 5 (60 %), target 40 %; Silkeborg Kommune 8 of 10 (80 %), "
        "target 70 %; Together 11 of 15 (73 %), target 60 %." in retention
    )
    assert 'class="outcomes-target"' in retention and 'stroke-dasharray="4 2"' in retention
    assert "Dashed line: the target" in retention
    # No JavaScript anywhere on the page.
    assert "<script" not in html
    # The links carry the same period and scope.
    assert "/silkeborg/outcomes/report.csv?start=2025-03-01&amp;end=2025-06-30&amp;scope=all" in html
    assert "/silkeborg/outcomes/print?start=2025-03-01&amp;end=2025-06-30&amp;scope=all" in html


@SQLITE_ONLY
def test_the_csv_and_the_printable_page_have_the_same_figures(
    app: Flask, outcomes_world: World, add_history: Callable[..., list[int]], client: Any
) -> None:
    setup_two(app, outcomes_world, add_history)
    client.login(outcomes_world.user("silkeborg", "admin"))

    response = client.get(f"/silkeborg/outcomes/report.csv?{PERIOD}&scope=all")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "Key",
        "Figure",
        "Norddjurs Kommune",
        "Silkeborg Kommune",
        "Together",
        "Target",
        "Percent (of enrolled, or of the share)",
    ]
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["outcomes.enrolled"] == ["outcomes.enrolled", "Enrolled", "1", "3", "4", "", ""]
    assert by_key["extra.flexjob"][2:] == ["1", "2", "3", "3 (58 %)", "75.0"]
    assert by_key["extra.kept"][2:] == ["3 of 5", "8 of 10", "11 of 15", "60 %", "73.3"]
    assert by_key["extra.hours"][1] == "'=Paid hours"  # no formula in a spreadsheet
    assert list(by_key) == [
        "outcomes.enrolled",
        "outcomes.active",
        "outcomes.completed",
        "outcomes.ended_early",
        "extra.flexjob",
        "extra.hours",
        "extra.kept",
        "extra.who5",
    ]

    page = client.get(f"/silkeborg/outcomes/print?{PERIOD}&scope=all")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<nav" not in html and "<script" not in html
    assert html.count('<svg role="img"') == 3
    assert "11 of 15 (73 %)" in text_of(page) and "@media print" in client.get(
        "/silkeborg/outcomes/report.css"
    ).get_data(as_text=True)


@SQLITE_ONLY
def test_this_municipality_alone_shows_one_column_and_its_own_targets(
    app: Flask, outcomes_world: World, add_history: Callable[..., list[int]], client: Any
) -> None:
    setup_two(app, outcomes_world, add_history)
    client.login(outcomes_world.user("silkeborg", "coordinator"))
    text = text_of(client.get(f"/silkeborg/outcomes/?{PERIOD}"))
    assert "Figure Number Target" in text and "Norddjurs" not in text
    assert row_of(text, "Into a flex job") == "2 (67 % of enrolled) 2 (50 %)"
    assert row_of(text, "Kept the job") == "8 of 10 (80 %) 70 %"


@SQLITE_ONLY
def test_a_wrong_or_reversed_period_names_the_field_and_keeps_what_was_typed(
    outcomes_world: World, client: Any
) -> None:
    client.login(outcomes_world.user("silkeborg", "coordinator"))
    response = client.get("/silkeborg/outcomes/?start=1.3.2025&end=2025-06-30&scope=this")
    text = text_of(response)
    assert response.status_code == 200
    assert "From: Write the date as year-month-day, e.g. 2026-01-31." in text
    assert 'value="1.3.2025"' in response.get_data(as_text=True)
    assert "Download CSV" not in text

    text = text_of(client.get("/silkeborg/outcomes/?start=2025-06-30&end=2025-03-01"))
    assert "To: The last day cannot be before the first day." in text
    # The CSV of a wrong period goes back to the page that says what is wrong.
    assert client.get("/silkeborg/outcomes/report.csv?start=x&end=2025-03-01").status_code == 302

    # Without a period: 1 January of this year to today.
    html = client.get("/silkeborg/outcomes/").get_data(as_text=True)
    assert f'value="{date.today().year}-01-01"' in html


@SQLITE_ONLY
def test_who_may_see_the_report_and_set_targets(app: Flask, outcomes_world: World, make_client: Any) -> None:
    mentor = make_client()
    mentor.login(outcomes_world.user("silkeborg", "mentor"))
    assert mentor.get("/silkeborg/outcomes/").status_code == 403
    assert mentor.get("/silkeborg/outcomes/report.csv").status_code == 403
    coordinator = make_client()
    coordinator.login(outcomes_world.user("silkeborg", "coordinator"))
    assert coordinator.get("/silkeborg/outcomes/").status_code == 200
    assert coordinator.get("/silkeborg/outcomes/targets").status_code == 403
    assert "Outcomes" in text_of(coordinator.get("/silkeborg/"))
    assert "Outcomes" not in text_of(mentor.get("/silkeborg/"))
    # Another municipality's report: 403; with the plugin off: 404.
    assert coordinator.get("/norddjurs/outcomes/").status_code == 403
    with app.app_context():
        accounts.set_plugin_enabled(db_of(app), outcomes_world.municipalities["silkeborg"], "outcomes", False)
    assert coordinator.get("/silkeborg/outcomes/").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_report_pages_statements_do_not_grow_with_the_citizens(
    app: Flask, outcomes_world: World, add_history: Callable[..., list[int]], client: Any
) -> None:
    client.login(outcomes_world.user("silkeborg", "admin"))
    with app.app_context():
        accounts.grant_role(
            db_of(app),
            db_of(app).session.merge(outcomes_world.user("silkeborg", "admin")),
            outcomes_world.municipalities["norddjurs"],
            Role.ADMIN,
        )
    url = f"/silkeborg/outcomes/?{PERIOD}&scope=all"
    add_history(outcomes_world, "silkeborg", list(COHORT.values()))
    client.get(url)
    with count_statements(app) as few:
        small = text_of(client.get(url))
    histories = [
        [(S.ACTIVE, date(2025, 3, 1 + n % 28)), (S.IN_WORK, date(2025, 5, 1)), (S.ENDED, date(2025, 6, 1))]
        for n in range(300)
    ]
    add_history(outcomes_world, "silkeborg", histories)
    add_history(outcomes_world, "norddjurs", histories[:50])
    with count_statements(app) as many:
        big = text_of(client.get(url))
    assert row_of(small, "Enrolled") == "0 3 3 –no target"
    assert row_of(big, "Enrolled") == "50 303 353 –no target"
    assert row_of(big, "Completed").startswith("50 (100 % of enrolled) 303")
    assert len(many) == len(few), "\n".join(many)
