"""The employers pages as a coordinator uses them: the shared company page names only the user's own
citizens; bad input names the field, keeps what was typed and writes nothing; a contact that led to a job
offers the placement prefilled; the start page lists the user's own overdue check-ins, most overdue first;
another municipality's rows answer 404, and so does everything when the plugin is off."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select

from broen.core import accounts
from broen.core.models import AuditEntry, Municipality
from broen.plugins.employers import services
from broen.plugins.employers.models import Company, Contact, Interest, Placement, Task
from tests.conftest import Client, World, db_of, text_of
from tests.plugins.employers.conftest import SQLITE_ONLY, logged_in, make_citizen, make_company, place

pytestmark = SQLITE_ONLY
BASE = "/silkeborg/employers"


def today(app: Flask, world: World) -> date:
    with app.app_context():
        return services.local_today(
            db_of(app).session.get_one(Municipality, world.municipalities["silkeborg"].id)
        )


def rows(app: Flask, *models: type) -> list[int]:
    with app.app_context():
        return [db_of(app).session.scalar(select(func.count()).select_from(m)) or 0 for m in models]


def test_the_company_page_names_only_the_users_own_citizens(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w, "Tømrer Holm", cvr="11223344")
    own = w.citizens["silkeborg"][0]
    other = make_citizen(app, w, "Xenia Hemmelig", contact="admin")
    coordinator = logged_in(make_client, w)
    day = today(app, w) - timedelta(days=3)
    for citizen_id, outcome, note in ((own, "job_interview", "Own note"), (other, "later", "Secret note")):
        response = coordinator.submit(
            f"{BASE}/citizens/{citizen_id}/contacts/new",
            {"company_id": str(company), "on": day.isoformat(), "outcome": outcome, "note": note},
        )
        assert response.status_code == 302
    response = coordinator.get(f"{BASE}/companies/{company}")
    html = response.get_data(as_text=True)
    text = text_of(response)
    assert "Anna Silkeborg" in text and f"/citizens/{own}" in html
    assert "Another coordinator's citizen" in text and "Later" in text
    assert "Xenia" not in html and "Hemmelig" not in html and "Secret note" not in html
    assert not re.search(rf"\b{other}\b", html.replace(str(company), "")), (
        "the other citizen's id is on the page"
    )
    # The admin, whose citizen Xenia is, sees the other way round.
    admin_text = text_of(logged_in(make_client, w, "admin").get(f"{BASE}/companies/{company}"))
    assert "Xenia Hemmelig" in admin_text and "Anna Silkeborg" not in admin_text
    with app.app_context():
        viewed = db_of(app).session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.action == "view", AuditEntry.object_type == "citizen"
            )
        )
        assert own in set(viewed)


def test_bad_input_names_the_field_keeps_what_was_typed_and_writes_nothing(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w)
    foreign = make_company(app, w, "Norddjurs Lager", slug="norddjurs")
    citizen_id = w.citizens["silkeborg"][0]
    client = logged_in(make_client, w)
    before = rows(app, Company, Contact, Placement, Task, Interest)

    response = client.submit(f"{BASE}/companies/new", {"name": "Kiosken", "cvr": "123"})
    assert response.status_code == 400
    assert "CVR number: A CVR number has 8 digits" in text_of(response)
    assert 'value="Kiosken"' in response.get_data(as_text=True) and 'value="123"' in response.get_data(
        as_text=True
    )

    new_placement = f"{BASE}/citizens/{citizen_id}/placements/new"
    start = today(app, w).isoformat()
    response = client.submit(
        new_placement,
        {
            "company_id": str(company),
            "kind": "flexjob",
            "start_on": start,
            "hours_per_week": "0",
            "note": "Keep me",
        },
    )
    assert response.status_code == 400
    assert "Hours a week: The hours a week must be more than 0 and at most 37." in text_of(response)
    assert "Keep me" in response.get_data(as_text=True)
    response = client.submit(
        new_placement,
        {"company_id": str(company), "kind": "ordinary_job", "start_on": start, "hours_per_week": "38"},
    )
    assert response.status_code == 400 and "at most 37" in text_of(response)

    future = (today(app, w) + timedelta(days=1)).isoformat()
    response = client.submit(
        f"{BASE}/citizens/{citizen_id}/contacts/new",
        {"company_id": str(company), "on": future, "outcome": "no", "note": "Typed"},
    )
    assert response.status_code == 400
    assert "Date: The date of the contact cannot be in the future." in text_of(response)
    assert f'value="{future}"' in response.get_data(as_text=True) and "Typed" in response.get_data(
        as_text=True
    )

    # Another municipality's company (or citizen) is not there: 404, nothing written.
    response = client.submit(
        f"{BASE}/citizens/{citizen_id}/contacts/new",
        {"company_id": str(foreign), "on": start, "outcome": "no"},
    )
    assert response.status_code == 404
    assert client.get(f"{BASE}/companies/{foreign}").status_code == 404
    assert client.get(f"/silkeborg/employers/citizens/{w.citizens['norddjurs'][0]}").status_code == 404
    assert rows(app, Company, Contact, Placement, Task, Interest) == [before[0] + 0, *before[1:]]


def test_a_contact_that_led_to_a_flex_job_offers_the_placement_prefilled(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w, "Park og Vej")
    citizen_id = w.citizens["silkeborg"][0]
    client = logged_in(make_client, w)
    day = today(app, w)
    response = client.submit(
        f"{BASE}/citizens/{citizen_id}/contacts/new",
        {"company_id": str(company), "on": day.isoformat(), "outcome": "flex_job"},
    )
    assert response.status_code == 302 and "/placements/new?contact=" in response.headers["Location"]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<option selected value="{company}">|<option value="{company}" selected>', form)
    assert re.search(r'value="flexjob"[^>]*checked', form)
    response = client.submit(
        response.headers["Location"],
        {"company_id": str(company), "kind": "flexjob", "start_on": day.isoformat(), "hours_per_week": "7,5"},
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Flex job at Park og Vej" in page and "7.5" in page and "Check-in, week 2" in page
    # The citizen's page no longer offers it; the citizen page's panel shows the placement.
    assert "Record the placement" not in text_of(client.get(f"{BASE}/citizens/{citizen_id}"))
    panel = text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))
    assert "Flex job: Park og Vej" in panel and "Next: Check-in, week 2" in panel


def test_the_start_page_lists_my_overdue_check_ins_most_overdue_first_and_this_weeks(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w)
    day = today(app, w)
    anna, bo, _carl = w.citizens["silkeborg"]
    place(app, w, anna, company, "flexjob", day - timedelta(weeks=2, days=3))  # week 2: 3 days overdue
    place(app, w, bo, company, "ordinary_job", day - timedelta(weeks=4, days=10))  # weeks 2 and 4 overdue
    place(
        app,
        w,
        make_citizen(app, w, "Other Person", contact="admin"),
        company,
        "flexjob",
        day - timedelta(weeks=3),
    )
    place(
        app, w, anna, company, "education", day - timedelta(weeks=2) + timedelta(days=6 - day.weekday()), None
    )
    response = logged_in(make_client, w).get("/silkeborg/")
    text = text_of(response)
    assert "Check-ins after a hire" in text and "3 overdue" in text
    assert "Other Person" not in text
    overdue = text[text.index("3 overdue") :]
    order = [
        overdue.index(s)
        for s in (
            "Bo Silkeborg: Check-in, week 2",
            "Bo Silkeborg: Check-in, week 4",
            "Anna Silkeborg: Check-in, week 2",
        )
    ]
    assert order == sorted(order)
    assert "1 due this week" in text
    # Nothing due: no panel at all.
    assert "Check-ins after a hire" not in text_of(
        logged_in(make_client, w, "coordinator", "norddjurs").get("/norddjurs/")
    )
    # The worklist: mine by default, everyone on request.
    mine = text_of(logged_in(make_client, w).get(f"{BASE}/checkins"))
    assert "Other Person" not in mine and "Bo Silkeborg" in mine
    everyone = text_of(logged_in(make_client, w).get(f"{BASE}/checkins?who=everyone"))
    assert "Other Person" in everyone


def test_turned_off_the_plugin_answers_404_and_shows_nothing(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    company = make_company(app, w)
    citizen_id = w.citizens["silkeborg"][0]
    place(app, w, citizen_id, company, "flexjob", today(app, w) - timedelta(weeks=3))
    with app.app_context():
        db = db_of(app)
        accounts.set_plugin_enabled(
            db, db.session.get_one(Municipality, w.municipalities["silkeborg"].id), "employers", False
        )
    client = logged_in(make_client, w)
    for url in ("/", f"/companies/{company}", "/checkins", f"/citizens/{citizen_id}"):
        assert client.get(BASE + url).status_code == 404
    assert "Check-ins after a hire" not in text_of(client.get("/silkeborg/"))
    assert "Employers" not in text_of(client.get(f"/silkeborg/citizens/{citizen_id}"))
    for role in ("mentor", "participant"):
        assert logged_in(make_client, w, role, "norddjurs").get("/norddjurs/employers/").status_code == 403


def test_a_coordinator_follows_a_placement_up_through_the_pages(
    app: Flask, employers_world: World, make_client: Callable[[], Client]
) -> None:
    w = employers_world
    citizen_id = w.citizens["silkeborg"][0]
    client = logged_in(make_client, w)
    day = today(app, w)
    # An interest in a company made on the spot, then removed after a confirmation.
    response = client.submit(
        f"{BASE}/citizens/{citizen_id}/interests/new",
        {"company_id": "", "new_company": "Cykelværkstedet Eger", "note": "Loves bikes"},
    )
    assert response.status_code == 302
    with app.app_context():
        interest = db_of(app).session.scalars(select(Interest)).one()
        company = interest.company_id
    assert "Cykelværkstedet Eger : Loves bikes" in text_of(client.get(f"{BASE}/citizens/{citizen_id}"))
    remove = f"{BASE}/interests/{interest.id}/remove"
    assert "Yes, remove it" in text_of(client.get(remove))
    assert client.submit(remove, {}).status_code == 302
    assert rows(app, Interest, Company) == [0, 1]

    placement = place(app, w, citizen_id, company, "flexjob", day - timedelta(weeks=5), "10")
    edit = f"{BASE}/placements/{placement}/edit"
    assert 'value="10"' in client.get(edit).get_data(as_text=True)
    moved = day - timedelta(weeks=4, days=1)
    response = client.submit(
        edit, {"company_id": str(company), "start_on": moved.isoformat(), "hours_per_week": "12"}
    )
    assert response.status_code == 302
    with app.app_context():
        tasks = db_of(app).session.get_one(Placement, placement).tasks
        checkin, handover = tasks[0].id, tasks[-1].id
        assert tasks[0].due_on == moved + timedelta(weeks=2)
    assert "Hand over to the municipality's retention consultant" in text_of(
        client.get(f"{BASE}/tasks/{handover}")
    )
    response = client.submit(f"{BASE}/tasks/{checkin}", {"done_on": day.isoformat(), "note": "Fine"})
    assert response.status_code == 400 and "Answer whether the citizen is still" in text_of(response)
    response = client.submit(
        f"{BASE}/tasks/{checkin}", {"done_on": day.isoformat(), "still_there": "no", "note": "Stopped"}
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Ended on" in page and "no longer there" in page and page.count("Cancelled") == 6
    assert "End the placement" not in page
    # Ended: no more changes.
    assert client.get(f"{BASE}/placements/{placement}/end").status_code == 302

    other = place(app, w, citizen_id, company, "internship", day - timedelta(days=10), "15")
    end = f"{BASE}/placements/{other}/end"
    assert "Yes, end the placement" in text_of(client.get(end))
    response = client.submit(end, {"ended_on": day.isoformat(), "end_reason": ""})
    assert response.status_code == 400 and "Why it ended: Write why the placement ended." in text_of(response)
    assert (
        client.submit(end, {"ended_on": day.isoformat(), "end_reason": "Internship over"}).status_code == 302
    )
    assert "Internship over" in text_of(client.get(f"{BASE}/placements/{other}"))
    assert "New company" in text_of(client.get(f"{BASE}/companies/new"))
    assert "Change Cykelværkstedet Eger" in text_of(client.get(f"{BASE}/companies/{company}/edit"))
