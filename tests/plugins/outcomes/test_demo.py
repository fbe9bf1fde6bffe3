"""`broen demo` sets Rampen's targets through the two presets, split between the demo municipalities."""

from __future__ import annotations

from sqlalchemy import select

from broen.core.models import Municipality
from broen.plugins.outcomes.models import OutcomeTarget
from tests.conftest import Demo


def test_the_demo_sets_rampens_targets_across_both_municipalities(demo: Demo) -> None:
    db = demo.app.extensions["broen.db"]
    rows = db.session.execute(
        select(Municipality.slug, OutcomeTarget.key, OutcomeTarget.count, OutcomeTarget.percent).join(
            Municipality, Municipality.id == OutcomeTarget.municipality_id
        )
    ).all()
    together: dict[str, int] = {}
    for _slug, key, count, _percent in rows:
        together[key] = together.get(key, 0) + (count or 0)
    assert together == {"outcomes.enrolled": 140, "employers.flexjob": 77, "contacts.who5_gain": 0}
    assert {(key, percent) for _s, key, _c, percent in rows if percent} == {
        ("employers.flexjob", 55),
        ("contacts.who5_gain", 70),
    }
