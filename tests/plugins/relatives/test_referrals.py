"""Referrals of relatives to counselling: only under a consent that allows them (checked in the services),
their dated steps and the transitions between them, the overview of open referrals (its statement count
does not grow with the referrals) and the start page's notice of referrals not sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from broen import api
from broen.core.models import Citizen
from broen.plugins.relatives import letters, services
from broen.plugins.relatives.models import GroupCourse, Referral, ReferralKind, ReferralStatus, Relative
from broen.plugins.relatives.services import RelativeData, RelativeError
from tests.conftest import World, db_of, text_of
from tests.plugins.relatives.test_relatives import REFER, SQLITE, add_relative, consent, logged_in
from tests.sqlcount import count_statements

BASE = "/silkeborg/relatives"


def test_a_referral_is_proposed_and_sent_only_while_the_consent_allows_it(
    app: Flask, relatives_world: World
) -> None:
    world = relatives_world
    no_referrals = add_relative(app, world, given=consent(share_with_relative=True))
    allowed = add_relative(app, world, given=consent(**REFER))
    with app.app_context():
        db = db_of(app)
        by = world.user("silkeborg", "coordinator")
        with pytest.raises(RelativeError) as err:
            services.propose_referral(
                db, db.session.get_one(Relative, no_referrals), by, ReferralKind.INDIVIDUAL
            )
        assert err.value.field == "consent"
        relative = db.session.get_one(Relative, allowed)
        elsewhere = GroupCourse(
            municipality_id=world.municipalities["norddjurs"].id,
            title="Kursus",
            kind=ReferralKind.GROUP_COURSE,
        )
        db.session.add(elsewhere)
        db.session.commit()
        for kind, course, field in (
            ("therapy", None, "kind"),
            (ReferralKind.INDIVIDUAL, elsewhere.id, "course_id"),
            (ReferralKind.GROUP_COURSE, elsewhere.id, "course_id"),  # another municipality's course
        ):
            with pytest.raises(RelativeError) as err:
                services.propose_referral(db, relative, by, kind, course_id=course)
            assert err.value.field == field
        first = services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL)
        second = services.propose_referral(db, relative, by, ReferralKind.TEACHING)
        today = services.local_today(relative.municipality)
        services.mark_sent(db, second, by, today)

        # Taking referrals out of the consent stops those in progress, as a withdrawal does.
        change = services.update_consent(db, relative, by, consent(share_with_relative=True))
        assert change.stopped == 2 and change.fields == ["refer_to_counselling"]
        assert [
            (r.status, r.close_reason) for r in db.session.scalars(select(Referral).order_by(Referral.id))
        ] == [(ReferralStatus.WITHDRAWN, services.CONSENT_NARROWED)] * 2
        with pytest.raises(RelativeError):
            services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL)

        # With referrals allowed again, a new one; then the consent is withdrawn: nothing can be sent.
        services.update_consent(db, relative, by, consent(**REFER))
        third = services.propose_referral(db, relative, by, ReferralKind.INDIVIDUAL, situation="Worn out")
        assert services.withdraw_consent(db, relative, by) == 1
        for attempt in (
            lambda: services.send_referral(db, third, by),
            lambda: services.mark_sent(db, third, by, today),
            lambda: letters.render(third, by),
        ):
            with pytest.raises(RelativeError) as err:
                attempt()
            assert "consent was withdrawn" in err.value.message
        db.session.refresh(third)
        assert (third.status, third.situation, third.sent_on) == (ReferralStatus.WITHDRAWN, "", None)
        assert first.id != third.id


def test_a_letter_stays_unsent_when_the_consent_is_withdrawn_under_way(
    app: Flask, relatives_world: World
) -> None:
    """The send reads the consent afresh under the relative's lock: a referral object loaded before the
    withdrawal does not carry the old consent through."""
    world = relatives_world
    relative_id = add_relative(app, world, given=consent(**REFER))
    with app.app_context():
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        referral = services.propose_referral(db, relative, None, ReferralKind.INDIVIDUAL)
        # Another request withdraws the consent (a plain UPDATE, behind this session's back).
        db.session.execute(
            update(Relative).where(Relative.id == relative_id).values(withdrawn_at=api.utcnow(), name=""),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
        assert referral.relative.consented  # what this session still believes
        with pytest.raises(RelativeError):
            services.mark_sent(db, referral, None, services.local_today(relative.municipality))
        assert db.session.get_one(Referral, referral.id).status == ReferralStatus.PROPOSED


@SQLITE
def test_the_steps_of_a_referral_are_dated_and_bad_steps_name_the_field(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    relative_id = add_relative(app, world, given=consent(**REFER))
    client = logged_in(make_client, world)
    proposed = client.submit(f"{BASE}/{relative_id}/refer", {"kind": "individual", "course_id": ""})
    assert proposed.status_code == 302
    url = proposed.location
    referral_id = int(url.rsplit("/", 1)[1])
    page = text_of(client.get(url))
    assert "Status Proposed" in page and "Record that it was sent by post" in page

    def post(path: str, data: dict[str, str]) -> Any:
        return client.submit(f"{url}/{path}", data, page=url)

    with app.app_context():
        today = services.local_today(world.municipalities["silkeborg"])
    iso = today.isoformat
    tomorrow = (today + timedelta(days=1)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    bad = post("status", {"status": "accepted", "on": iso()})  # not sent yet
    assert bad.status_code == 400 and "cannot go from its present status" in text_of(bad)
    bad = post("posted", {"sent_on": tomorrow})
    assert bad.status_code == 400 and "Sent by post on: The date cannot be in the future" in text_of(bad)
    bad = post("posted", {"sent_on": yesterday})  # before it was proposed
    assert bad.status_code == 400 and "cannot be before the previous step" in text_of(bad)
    assert post("posted", {"sent_on": iso()}).status_code == 302
    bad = post("status", {"status": "declined", "on": iso(), "reason": " "})
    assert bad.status_code == 400 and "Why: Write why, in a few words" in text_of(bad)
    bad = post("status", {"status": "accepted", "on": ""})
    assert bad.status_code == 400 and "On: Choose the date" in text_of(bad)
    assert post("status", {"status": "accepted", "on": iso()}).status_code == 302
    assert post("status", {"status": "completed", "on": iso()}).status_code == 302
    page = text_of(client.get(url))
    assert "Status Completed" in page and "by post" in page and "What happened next" not in page
    with app.app_context():
        referral = db_of(app).session.get_one(Referral, referral_id)
        assert (referral.sent_on, referral.accepted_on, referral.completed_on) == (today, today, today)


@SQLITE
def test_the_overview_lists_open_referrals_with_counts_in_the_same_statements_however_many(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    silkeborg = world.municipalities["silkeborg"]

    def referrals(n: int, slug: str = "silkeborg") -> None:
        with app.app_context():
            db = db_of(app)
            citizens = world.citizens[slug]
            for i in range(n):
                citizen = db.session.get_one(Citizen, citizens[i % len(citizens)])
                relative = services.add_relative(
                    db,
                    citizen,
                    None,
                    consent(**REFER),
                    RelativeData(name=f"Relative {slug} {i}", relation="friend"),
                )
                services.propose_referral(db, relative, None, ReferralKind.INDIVIDUAL)

    referrals(2)
    referrals(1, "norddjurs")
    client = logged_in(make_client, world)
    page = text_of(client.get(f"{BASE}/"))
    assert "2 referrals in progress" in page and "Relative silkeborg 1 (Friend)" in page
    assert "norddjurs" not in page

    def statements() -> int:
        with count_statements(app) as seen:
            assert client.get(f"{BASE}/").status_code == 200
        return len(seen)

    few = statements()
    referrals(30)
    assert statements() == few
    page = text_of(client.get(f"{BASE}/"))
    assert "32 referrals in progress" in page and "Page 1 of 2" in page and "Proposed: 32" in page
    assert "No referral has this status" in text_of(client.get(f"{BASE}/?status=completed"))
    export = client.get(f"{BASE}/export.csv").get_data(as_text=True)
    assert export.startswith("\ufeffCitizen;Relative;") and export.count("\n") == 33

    # Proposed more than a week ago and not sent: the start page says so.
    assert "not sent yet" not in text_of(client.get("/silkeborg/"))
    with app.app_context():
        db = db_of(app)
        old = services.local_today(silkeborg) - timedelta(days=8)
        db.session.execute(update(Referral).where(Referral.id <= 2).values(proposed_on=old))
        db.session.commit()
    assert "2 referrals of relatives were proposed more than a week ago and are not sent yet" in text_of(
        client.get("/silkeborg/")
    )
