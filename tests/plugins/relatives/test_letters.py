"""The referral letter: made from the standard letter or the municipality's own template, it says only what
the citizen's consent allows, goes to a real SMTP server, and a letter that cannot be sent leaves the
referral proposed. The settings refuse a template with placeholders that do not exist."""

from __future__ import annotations

from typing import Any

from flask import Flask

from broen.plugins.relatives import letters, services
from broen.plugins.relatives.models import GroupCourse, Referral, ReferralKind, ReferralStatus, Relative
from broen.plugins.relatives.services import RelativeData, RelativeError
from tests.conftest import World, db_of, text_of
from tests.fixtures.smtp import REFUSED_DOMAIN, Inbox
from tests.plugins.relatives.test_relatives import (
    REFER,
    SQLITE,
    add_relative,
    consent,
    logged_in,
    set_settings,
)

pytestmark = SQLITE  # the letter is made in Python; the database adds nothing here
BASE = "/silkeborg/relatives"
SERVICE = "raadgivning@sind.example"


def propose(app: Flask, relative_id: int, situation: str = "", course_id: int | None = None) -> int:
    with app.app_context():
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        kind = ReferralKind.GROUP_COURSE if course_id else ReferralKind.INDIVIDUAL
        return services.propose_referral(
            db, relative, None, kind, situation=situation, course_id=course_id
        ).id


def test_the_letter_goes_to_the_counselling_service_with_only_what_the_consent_allows(
    app: Flask, relatives_world: World, make_client: Any, mail_to: Inbox
) -> None:
    world = relatives_world
    set_settings(app, world, counselling_email=SERVICE)
    guarded = add_relative(
        app, world, given=consent(**REFER)
    )  # may be referred; the citizen is neither named nor described
    guarded_referral = propose(app, guarded, situation="Sleeps badly since the diagnosis")
    client = logged_in(make_client, world)
    url = f"{BASE}/referrals/{guarded_referral}"
    preview = text_of(client.get(url))
    assert "Exactly what is sent" in preview and "Karen Krog" in preview and "(not shared)" in preview
    assert "Anna Silkeborg" not in preview.split("The letter", 1)[1]
    sent = client.submit(f"{url}/send", {}, page=url)
    assert sent.status_code == 302
    assert f"The letter is sent by e-mail to {SERVICE}" in text_of(client.get(sent.location))
    (message,) = mail_to.messages
    body = message.get_content()
    assert mail_to.envelopes[0][1] == [SERVICE]
    assert message["Subject"] == "Referral of a relative from Silkeborg Kommune"  # names no one
    for shown in (
        "Karen Krog",
        "Parent",
        "karen@krog.example",
        "+45 23 45 67 89",
        "refers a relative to you: individual conversations.",
    ):
        assert shown in body, shown
    assert "Coordinator Silkeborg" in body and "Silkeborg Kommune" in body
    assert "Anna Silkeborg" not in body and "Sleeps badly" not in body and body.count("(not shared)") == 2
    # What the coordinator saw is what was sent, line by line.
    assert all(line in preview for line in body.splitlines() if line)
    with app.app_context():
        referral = db_of(app).session.get_one(Referral, guarded_referral)
        assert (referral.status, referral.sent_to) == (ReferralStatus.SENT, SERVICE)
        assert referral.sent_on == services.local_today(world.municipalities["silkeborg"])

    # A consent that shares the citizen's name and the situation: both are in the letter, with the course.
    with app.app_context():
        db = db_of(app)
        course = GroupCourse(
            municipality_id=world.municipalities["silkeborg"].id, title="Pårørendegruppe", kind="group_course"
        )
        db.session.add(course)
        db.session.commit()
        course_id = course.id
    bo = RelativeData(name="Bo Bak", relation="friend")
    open_relative = add_relative(
        app, world, bo, consent(share_citizen_name=True, share_situation=True, **REFER)
    )
    referral_id = propose(
        app, open_relative, situation="Sleeps badly since the diagnosis", course_id=course_id
    )
    assert client.submit(f"{BASE}/referrals/{referral_id}/send", {}, page=f"{BASE}/").status_code == 302
    body = mail_to.messages[1].get_content()
    assert "Anna Silkeborg" in body and "Sleeps badly since the diagnosis" in body
    assert (
        "to you: group course (Pårørendegruppe)." in body
        and "(not given)" in body
        and "(not shared)" not in body
    )


def test_a_letter_that_cannot_be_sent_leaves_the_referral_proposed_with_a_clear_message(
    app: Flask, relatives_world: World, make_client: Any, mail_to: Inbox
) -> None:
    world = relatives_world
    referral_id = propose(app, add_relative(app, world, given=consent(**REFER)))
    client = logged_in(make_client, world)
    url = f"{BASE}/referrals/{referral_id}"
    assert "No e-mail address of the counselling service is set" in text_of(client.get(url))
    refused = client.submit(f"{url}/send", {}, page=url)
    assert refused.status_code == 400 and "A municipality administrator can set it" in text_of(refused)
    set_settings(app, world, counselling_email="nobody" + REFUSED_DOMAIN)  # the server refuses the mailbox
    refused = client.submit(f"{url}/send", {}, page=url)
    assert refused.status_code == 400 and "The referral is still proposed" in text_of(refused)
    assert mail_to.messages == []
    with app.app_context():
        assert db_of(app).session.get_one(Referral, referral_id).status == ReferralStatus.PROPOSED
    # The letter can be printed and sent by post instead.
    printable = text_of(client.get(f"{url}/letter"))
    assert "Print this page" in printable and "Karen Krog" in printable


def test_a_municipality_template_replaces_the_standard_letter_by_plain_substitution(
    app: Flask, relatives_world: World
) -> None:
    world = relatives_world
    set_settings(
        app,
        world,
        counselling_name="Pårørenderådgivningen",
        referral_template="Til {counselling_name}:\n{relative_name} ({relation}) om {citizen_name}. {situation}",
    )
    # A name that looks like a placeholder stays as it is: values are not filled in again.
    tricky = RelativeData(name="{citizen_name} {municipality}", relation="colleague")
    referral_id = propose(app, add_relative(app, world, tricky, consent(**REFER)), situation="Secret")
    with app.test_request_context("/silkeborg/"):
        db = db_of(app)
        referral = db.session.get_one(Referral, referral_id)
        subject, body = letters.render(referral, None)
    assert (
        body
        == "Til Pårørenderådgivningen:\n{citizen_name} {municipality} (Colleague) om (not shared). (not shared)\n"
    )
    assert letters.fill("{relative_name.__class__} {0} {relation}", {"relation": "x"}) == (
        "{relative_name.__class__} {0} x"
    )
    assert "Anna" not in subject


def test_the_settings_name_the_placeholders_that_do_not_exist(
    app: Flask, relatives_world: World, make_client: Any
) -> None:
    world = relatives_world
    assert letters.check_template(str(letters.STANDARD_TEMPLATE)) == []
    assert letters.check_template("{relative_name} {cpr} {citizen.name} {cpr}") == ["cpr", "citizen.name"]
    admin = logged_in(make_client, world, "admin")
    url = f"/admin/plugins/{world.municipalities['silkeborg'].id}/relatives/settings"
    form = {"counselling_name": "SIND", "counselling_email": "", "consent_text": ""}
    bad = admin.submit(url, {**form, "referral_template": "Hej {relative_name}, {cpr} og {citizen.name}"})
    assert bad.status_code == 200
    assert "placeholders that do not exist: {cpr}, {citizen.name}" in text_of(bad)
    good = admin.submit(url, {**form, "referral_template": "Hej {counselling_name}, {relative_name}"})
    assert good.status_code == 302


def test_no_letter_without_a_consent_that_allows_referrals(app: Flask, relatives_world: World) -> None:
    world = relatives_world
    relative_id = add_relative(app, world, given=consent(share_with_relative=True))
    with app.test_request_context("/silkeborg/"):
        db = db_of(app)
        relative = db.session.get_one(Relative, relative_id)
        referral = Referral(
            municipality_id=relative.municipality_id,
            relative=relative,
            kind=ReferralKind.INDIVIDUAL,
            proposed_on=services.local_today(relative.municipality),
        )
        try:
            letters.render(referral, None)
        except RelativeError as err:
            assert err.field == "consent"
        else:
            raise AssertionError("a letter without consent")
