"""The access log: an admin sees, for one citizen, who has looked at and changed the record (on the
citizen's page and on the plugins' pages that name them), and exports the audit log of a period as CSV for
their own municipality only."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from broen.core import audit
from tests.conftest import Client, World, db_of, text_of


def test_an_admin_sees_who_has_looked_at_a_citizens_record(
    app: Flask, world: World, make_client: Any
) -> None:
    anna = world.citizens["silkeborg"][0]
    coordinator = make_client()
    coordinator.login(world.user("silkeborg", "coordinator"))
    assert coordinator.get(f"/silkeborg/citizens/{anna}").status_code == 200
    with app.test_request_context("/silkeborg/"):
        # A plugin's page that names the citizen in its entry's details.
        audit.record(
            db_of(app),
            audit.VIEW,
            "contacts_contact",
            7,
            by=world.user("silkeborg", "mentor"),
            municipality_id=world.municipalities["silkeborg"].id,
            citizen_id=anna,
        )
        db_of(app).session.commit()
    assert coordinator.get(f"/silkeborg/citizens/{anna}/access").status_code == 403
    admin = make_client()
    admin.login(world.user("silkeborg", "admin"))
    page = admin.get(f"/silkeborg/citizens/{anna}/access")
    text = text_of(page)
    assert page.status_code == 200 and "Who has seen the record of Anna Silkeborg" in text
    assert "Coordinator Silkeborg viewed citizen" in text
    assert "Mentor Silkeborg viewed contacts_contact" in text, text[-600:]
    other = make_client()
    other.login(world.user("norddjurs", "admin"))
    assert other.get(f"/norddjurs/citizens/{anna}/access").status_code == 404


def rows_of(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))


def test_an_admin_exports_the_audit_log_of_a_period_for_their_municipality_only(
    app: Flask, world: World, client: Client, make_client: Any
) -> None:
    for slug in ("silkeborg", "norddjurs"):
        other = make_client()
        other.login(world.user(slug, "coordinator"))
        other.get(f"/{slug}/citizens/{world.citizens[slug][0]}")
    with app.test_request_context("/silkeborg/"):
        evil = world.user("silkeborg", "mentor")
        evil.name = "=HYPERLINK(1)"
        audit.record(
            db_of(app),
            audit.VIEW,
            "citizen",
            1,
            by=evil,
            municipality_id=world.municipalities["silkeborg"].id,
        )
        db_of(app).session.commit()
    client.login(world.user("silkeborg", "admin"))
    # Days are the municipality's: in the hour after midnight in Copenhagen, UTC is still on yesterday.
    local_today = datetime.now(ZoneInfo("Europe/Copenhagen")).date()
    today = local_today.isoformat()
    response = client.get("/admin/auditentry/export.csv", query_string={"start": today, "end": today})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0][:3] == ["When", "Who", "Action"]
    who = {row[1] for row in rows[1:]}
    assert "Coordinator Silkeborg" in who and "Coordinator Norddjurs" not in who
    assert "'=HYPERLINK(1)" in who  # a formula is written as text
    yesterday = (local_today - timedelta(days=1)).isoformat()
    assert (
        len(
            rows_of(
                client.get(
                    "/admin/auditentry/export.csv", query_string={"start": yesterday, "end": yesterday}
                )
            )
        )
        == 1
    )
    # The export is itself in the log.
    again = rows_of(client.get("/admin/auditentry/export.csv", query_string={"start": today, "end": today}))
    assert any(row[2] == "exported" and row[3] == "audit_entry" for row in again)
    # A wrong day is named, and nothing is exported.
    bad = client.get("/admin/auditentry/export.csv", query_string={"start": "2026-13-01", "end": today})
    assert bad.status_code == 302
    assert "From: write the day as year-month-day" in client.get(bad.headers["Location"]).get_data(
        as_text=True
    )
