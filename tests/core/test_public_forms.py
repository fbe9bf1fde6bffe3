"""The spam guard of a public form (`api.public_forms`): a start time is good only for the form, the
municipality and the consent text it was made for, and only between `MIN_SECONDS` and `TOKEN_MAX_AGE`
after; the honeypot; the hash of the address; the rate limit (on the mentors' applications, the first
form that uses it; the mentors' intake tests cover it through the page) and the macros that render it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask, render_template_string
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms.validators import DataRequired

from broen import api
from broen.core import accounts
from broen.core.models import Municipality
from broen.plugins.mentors.models import Application
from tests.conftest import db_of
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CONSENT = "We store what you write.\n\nAsk us to delete it."
UNCHECKED = "The form could not be checked. Please check your answers and send the form again."


@pytest.fixture
def places(app: Flask) -> Iterator[tuple[Municipality, Municipality]]:
    """Two municipalities, inside an app context."""
    with app.test_request_context("/"):
        db = db_of(app)
        yield (
            accounts.create_municipality(db, "silkeborg", "Silkeborg Kommune"),
            accounts.create_municipality(db, "norddjurs", "Norddjurs Kommune"),
        )


@SQLITE_ONLY
def test_a_start_time_is_good_only_for_its_own_form_municipality_and_consent_text(
    places: tuple[Municipality, Municipality],
) -> None:
    silkeborg, norddjurs = places
    shown = time.time() - 10
    token = api.public_forms.start_token("mentors.apply", silkeborg, CONSENT, now=shown)
    assert api.public_forms.check_start("mentors.apply", token, silkeborg, CONSENT) is None
    for problem in (
        api.public_forms.check_start("relatives.refer", token, silkeborg, CONSENT),
        api.public_forms.check_start("mentors.apply", token, norddjurs, CONSENT),
        api.public_forms.check_start("mentors.apply", "", silkeborg, CONSENT),
        api.public_forms.check_start("mentors.apply", token[:-2], silkeborg, CONSENT),
    ):
        assert problem == api.public_forms.StartProblem(UNCHECKED, renew=True)
    changed = api.public_forms.check_start("mentors.apply", token, silkeborg, CONSENT + " And sell it.")
    assert changed is not None and changed.renew
    assert changed.message.startswith("The consent text has changed since the form was shown.")


@SQLITE_ONLY
def test_a_form_sent_too_fast_waits_for_the_same_token_and_a_day_old_one_needs_a_new_one(
    places: tuple[Municipality, Municipality], monkeypatch: pytest.MonkeyPatch
) -> None:
    silkeborg, _ = places
    shown = time.time()
    token = api.public_forms.start_token("relatives.refer", silkeborg, CONSENT, now=shown)
    fast = api.public_forms.check_start("relatives.refer", token, silkeborg, CONSENT, now=shown + 1)
    assert fast == api.public_forms.StartProblem(
        "The form was sent very quickly. Please check your answers and send the form again.", renew=False
    )
    later = shown + api.public_forms.MIN_SECONDS
    assert api.public_forms.check_start("relatives.refer", token, silkeborg, CONSENT, now=later) is None
    assert (
        api.public_forms.check_start("relatives.refer", token, silkeborg, CONSENT, now=shown, min_seconds=0)
        is None
    )
    # A day later (here: the day is made shorter than the token's age), a new token is needed.
    monkeypatch.setattr(api.public_forms, "TOKEN_MAX_AGE", -1)
    expired = api.public_forms.check_start("relatives.refer", token, silkeborg, CONSENT, now=later)
    assert expired is not None and expired.renew
    assert expired.message.startswith("The form was open for too long.")


@SQLITE_ONLY
def test_the_source_of_a_post_is_a_stable_keyed_hash_that_gives_no_address_back(app: Flask) -> None:
    with app.app_context():
        source = api.public_forms.source_of("mentors.apply", "198.51.100.7")
        assert len(source) == 64 and int(source, 16) >= 0
        assert "198.51.100.7" not in source
        assert source == api.public_forms.source_of("mentors.apply", "198.51.100.7")
        assert source != api.public_forms.source_of("mentors.apply", "198.51.100.8")
        assert source != api.public_forms.source_of("relatives.refer", "198.51.100.7")
        assert len(api.public_forms.source_of("mentors.apply", None)) == 64  # no address known
    app.secret_key = "another installation"
    with app.app_context():
        assert source != api.public_forms.source_of("mentors.apply", "198.51.100.7")


def test_the_rate_limit_counts_a_source_for_an_hour_and_a_municipality_for_a_day_in_one_query(
    app: Flask, places: tuple[Municipality, Municipality]
) -> None:
    silkeborg, norddjurs = places
    db = db_of(app)
    now = api.utcnow()

    def application(where: Municipality, source: str, age: timedelta) -> None:
        db.session.add(
            Application(
                municipality_id=where.id,
                name="A",
                email="a@example.org",
                background="retired",
                consent_text=CONSENT,
                source=source,
                created_at=now - age,
            )
        )
        db.session.commit()

    def over(where: Municipality, source: str, per_hour: int = 2, per_day: int = 3) -> str | None:
        return api.public_forms.over_limit(
            db,
            Application,
            where,
            source,
            now,
            per_source_per_hour=per_hour,
            per_municipality_per_day=per_day,
        )

    application(silkeborg, "a" * 64, timedelta(minutes=10))
    application(norddjurs, "a" * 64, timedelta(minutes=50))  # a source counts in every municipality
    application(silkeborg, "b" * 64, timedelta(minutes=61))  # more than an hour ago
    with count_statements(app) as statements:
        assert over(silkeborg, "a" * 64) == ("We have received several forms from here within the last hour.")
    assert len(statements) == 1
    assert over(silkeborg, "b" * 64) is None
    application(silkeborg, "c" * 64, timedelta(hours=23))
    assert over(silkeborg, "b" * 64) == "We have received very many forms today."
    assert over(norddjurs, "b" * 64) is None
    application(silkeborg, "d" * 64, timedelta(hours=25))  # more than a day ago: not counted
    assert over(silkeborg, "b" * 64, per_day=4) is None


class ReferForm(api.public_forms.GuardedForm):
    consent = BooleanField("I agree", validators=[DataRequired("Tick the box to agree.")])


@SQLITE_ONLY
def test_the_guard_is_hidden_from_people_robots_fill_it_in_and_the_consent_is_shown_in_full(
    app: Flask,
) -> None:
    with app.test_request_context("/", method="POST"):
        robot = ReferForm(formdata=MultiDict({"website": "https://spam.example"}), meta={"csrf": False})
        assert robot.is_robot()
        form = ReferForm(formdata=MultiDict({"website": "", "started": "t0k3n"}), meta={"csrf": False})
        assert not form.is_robot() and not form.validate()
        html = render_template_string(
            '{% from "core/_public_form.html" import guard_fields, consent_box %}'
            "{{ guard_fields(form) }}{{ consent_box(paragraphs, form.consent) }}",
            form=form,
            paragraphs=api.public_forms.paragraphs("We store it,\r\n  for a year.\n\n\n\nAsk us.\n"),
        )
    assert 'name="started" type="hidden" value="t0k3n"' in html
    assert '<div class="sr-only" aria-hidden="true">' in html
    assert 'name="website" value="" tabindex="-1" autocomplete="off"' in html
    assert '<div id="consent-text">\n  <p>We store it,<br>for a year.</p><p>Ask us.</p>\n</div>' in html
    assert (
        'type="checkbox" class="form-checkbox" id="consent" name="consent" value="y" aria-describedby' in html
    )
    assert "Tick the box to agree." in html
