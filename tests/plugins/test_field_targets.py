"""`api.field_targets`: the kinds of record a municipality's admin may add fields to are the core's citizens
and the records of the plugins that are on in that municipality, and only those."""

from __future__ import annotations

from flask import Flask

from broen import api
from broen.core import accounts
from tests.conftest import World, db_of


def test_the_targets_are_the_citizens_and_the_records_of_the_plugins_on_there(
    app: Flask, world: World
) -> None:
    silkeborg, norddjurs = world.municipalities["silkeborg"], world.municipalities["norddjurs"]
    with app.app_context():
        db = db_of(app)
        for plugin in ("cafe", "mentors", "relatives"):
            accounts.set_plugin_enabled(db, silkeborg, plugin, True)
        accounts.set_plugin_enabled(db, norddjurs, "cafe", True)
    with app.test_request_context("/silkeborg/"):
        here = api.field_targets(silkeborg)
        there = api.field_targets(norddjurs)
    assert here[0].key == "citizen" and (here[0].label("da"), here[0].label("en")) == ("Borger", "Citizen")
    assert {t.key for t in here} == {"citizen", "cafe_course", "mentors_mentor", "relatives_referral"}
    cafe = next(t for t in here if t.key == "cafe_course")
    assert (cafe.label("da"), cafe.label("en")) == ("Caféforløb", "Café course")
    assert [t.key for t in there] == ["citizen", "cafe_course"]
