"""The admin's targets page: one row per figure the municipality's plugins offer, a number and (for people
and shares) a percent; saved together and audited; a wrong value names its row and field and keeps what
was typed; the configuration file carries the targets, checked strictly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen import api
from broen.core.models import AuditEntry
from broen.plugins.outcomes import configuration, services
from broen.plugins.outcomes.models import OutcomeTarget
from tests.conftest import World, db_of, text_of

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
URL = "/silkeborg/outcomes/targets"


def field_names(html: str) -> dict[str, str]:
    """The form's fields by their (visually hidden) labels."""
    return {
        label: name
        for name, label in re.findall(r'<label class="sr-only" for="([^"]+)">([^<]+)</label>', html)
    }


@SQLITE_ONLY
def test_an_admin_sets_targets_and_a_wrong_one_names_its_row(
    app: Flask, outcomes_world: World, client: Any
) -> None:
    client.login(outcomes_world.user("silkeborg", "admin"))
    html = client.get(URL).get_data(as_text=True)
    names = field_names(html)
    enrolled = names["Enrolled: target, people"]
    flex, flex_percent = names["Into a flex job: target, people"], names["Into a flex job: target, percent"]
    kept_percent = names["Kept the job: target, percent"]
    assert "WHO-5 at start: target, percent" not in names  # a mean has no percent
    assert "=Paid hours: target, hours a week" in names

    response = client.submit(URL, {enrolled: "70", flex: "39", flex_percent: "155", kept_percent: "x"})
    text = text_of(response)
    assert response.status_code == 200
    assert "The targets are not saved yet" in text
    assert "Kept the job: target, percent: Write a whole number, e.g. 70, or leave it empty." in text
    assert 'value="155"' in response.get_data(as_text=True)  # what was typed is kept
    with app.app_context():
        assert db_of(app).session.scalars(select(OutcomeTarget)).all() == []

    response = client.submit(URL, {enrolled: "70", flex: "39", flex_percent: "155", kept_percent: ""})
    assert "Into a flex job: target, percent: Write a whole number from 0 to 100." in text_of(response)

    response = client.submit(URL, {enrolled: "70", flex: "39", flex_percent: "55"}, follow_redirects=True)
    assert "The targets are saved." in text_of(response)
    with app.app_context():
        db = db_of(app)
        saved = {(t.key, t.count, t.percent) for t in db.session.scalars(select(OutcomeTarget))}
        assert saved == {("outcomes.enrolled", 70, None), ("extra.flexjob", 39, 55)}
        audit = db.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "outcomes_target")
        ).all()
        assert sorted(e.details["key"] for e in audit) == ["extra.flexjob", "outcomes.enrolled"]
        assert all(e.action == "create" and "70" not in str(e.details) for e in audit)
    report = text_of(client.get("/silkeborg/outcomes/?start=2025-01-01&end=2025-12-31"))
    assert "Into a flex job 2 " in report and "39 (55 %)" in report

    # Emptying a row removes its target.
    client.submit(URL, {enrolled: "", flex: "39", flex_percent: "55"})
    with app.app_context():
        assert {t.key for t in db_of(app).session.scalars(select(OutcomeTarget))} == {"extra.flexjob"}


@SQLITE_ONLY
def test_the_configuration_file_carries_the_targets_checked_strictly(
    app: Flask, outcomes_world: World
) -> None:
    silkeborg = outcomes_world.municipalities["silkeborg"]
    with app.test_request_context("/silkeborg/"):
        services.save_targets(silkeborg, [services.Target("outcomes.enrolled", 70)], None)
        section = configuration.export_section(silkeborg)
        assert section == {"targets": [{"key": "outcomes.enrolled", "count": 70}]}
        with pytest.raises(api.ConfigurationError) as refused:
            configuration.import_section(
                silkeborg,
                {
                    "targets": [{"key": "x.y", "count": "70", "colour": 1}, {"key": "a.b", "percent": 101}],
                    "more": 1,
                },
                None,
                apply=True,
            )
        text = " ".join(refused.value.problems)
        assert "'more': not a key" in text and "targets[1].'colour'" in text and "targets[1].count" in text
        assert "targets[2].percent" in text
        lines = configuration.import_section(
            silkeborg,
            {"targets": [{"key": "employers.flexjob", "count": 39, "percent": 55}]},
            None,
            apply=True,
        )
        assert lines == ["Sets the target of employers.flexjob."]
        db_of(app).session.commit()
        assert configuration.export_section(silkeborg) == {
            "targets": [
                {"key": "employers.flexjob", "count": 39, "percent": 55},
                {"key": "outcomes.enrolled", "count": 70},
            ]
        }
