"""Personal calendar feeds (`/feeds/<token>.ics`), the calendar link on /me, and conditional GET on feeds.

A participant subscribes from a phone's calendar app, which cannot log in: the secret token in the link is
the key. These tests hold the promises made to that participant: the link shows their own meetings and
nobody else's, a stopped or replaced link stops at once and says nothing about itself, the database never
holds the token, and a calendar app polling the feed gets 304s until something really changed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select, text, update
from werkzeug.http import http_date, parse_date
from werkzeug.test import TestResponse

from broen.calendar import tokens
from broen.calendar.cache import feed_cache
from broen.calendar.models import FeedToken
from broen.calendar.versions import CalendarVersion
from broen.core import accounts
from broen.core.models import AuditEntry, Citizen, Municipality, PluginState, User
from tests.conftest import Client, World

PAST = datetime(2026, 11, 10, tzinfo=UTC)
CPH = ZoneInfo("Europe/Copenhagen")


def issue(app: Flask, user: User) -> str:
    with app.app_context():
        return tokens.issue(app.extensions["broen.db"], user)


def uids(response: TestResponse) -> set[str]:
    return set(re.findall(r"^UID:(\S+)\r?$", response.get_data(as_text=True), re.M))


def feed_url(token: str) -> str:
    return f"/feeds/{token}.ics"


def local_midnight() -> datetime:
    """The local midnight (Copenhagen) that began today, in UTC."""
    today = datetime.now(CPH).date()
    return datetime.combine(today, datetime.min.time(), tzinfo=CPH).astimezone(UTC)


def backdate(app: Flask) -> None:
    """Put every moment that dates a feed (other than the events) at PAST, so Last-Modified is known."""
    db = app.extensions["broen.db"]
    with app.app_context():
        db.session.execute(update(PluginState).values(changed_at=PAST))
        db.session.execute(update(FeedToken).values(created_at=PAST))
        db.session.execute(update(Municipality).values(created_at=PAST))
        db.session.execute(update(CalendarVersion).values(changed_at=PAST, public_changed_at=PAST))
        db.session.commit()


def set_example_plugin(app: Flask, slug: str, enabled: bool) -> None:
    db = app.extensions["broen.db"]
    with app.app_context():
        m = db.session.scalars(select(Municipality).where(Municipality.slug == slug)).one()
        accounts.set_plugin_enabled(db, m, "example", enabled)


# --- the personal feed -----------------------------------------------------------------------------------


def test_the_owner_gets_the_example_plugins_events_of_their_municipality(
    app: Flask, world: World, client: Client
) -> None:
    token = issue(app, world.user("silkeborg", "participant"))
    response = client.get(feed_url(token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR")
    assert all(f"SUMMARY:Example meeting {n}" in body for n in (1, 2, 3))
    found = uids(response)
    assert len(found) == 3 and all(uid.startswith("example-silkeborg-") for uid in found)
    assert "Silkeborg Kommune" in body  # the calendar's name


def test_another_users_token_gives_their_own_feed_only(app: Flask, world: World, client: Client) -> None:
    silkeborg = issue(app, world.user("silkeborg", "participant"))
    norddjurs = issue(app, world.user("norddjurs", "participant"))
    assert all(uid.startswith("example-norddjurs-") for uid in uids(client.get(feed_url(norddjurs))))
    assert all(uid.startswith("example-silkeborg-") for uid in uids(client.get(feed_url(silkeborg))))
    assert len(uids(client.get(feed_url(norddjurs)))) == 3


def test_a_user_with_roles_in_two_municipalities_gets_both_in_one_feed(app: Flask, world: World) -> None:
    db = app.extensions["broen.db"]
    mentor = world.user("silkeborg", "mentor")
    with app.app_context():
        accounts.grant_role(db, mentor, world.municipalities["norddjurs"], accounts.Role.MENTOR)
    token = issue(app, mentor)
    found = uids(app.test_client().get(feed_url(token)))
    assert {uid.split("-")[1] for uid in found} == {"silkeborg", "norddjurs"}
    assert len(found) == 6


def test_a_revoked_token_gets_the_same_bare_404_as_one_that_never_existed(
    app: Flask, world: World, client: Client
) -> None:
    user = world.user("silkeborg", "participant")
    token = issue(app, user)
    assert client.get(feed_url(token)).status_code == 200
    with app.app_context():
        assert tokens.revoke(app.extensions["broen.db"], user) is True
    revoked = client.get(feed_url(token))
    unknown = client.get(feed_url("x" * len(token)))
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.get_data() == unknown.get_data() == b""
    assert dict(revoked.headers) == dict(unknown.headers)


def test_making_a_new_link_stops_the_old_one(app: Flask, world: World, client: Client) -> None:
    user = world.user("silkeborg", "participant")
    old = issue(app, user)
    new = issue(app, user)
    assert new != old
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200
    with app.app_context():
        live = app.extensions["broen.db"].session.scalars(
            select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
        )
        assert len(live.all()) == 1


def test_a_deactivated_users_link_stops(app: Flask, world: World, client: Client) -> None:
    user = world.user("silkeborg", "participant")
    token = issue(app, user)
    db = app.extensions["broen.db"]
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(active=False))
        db.session.commit()
        assert tokens.user_for(db, token) is None
    assert client.get(feed_url(token)).status_code == 404


def test_the_token_is_never_stored_in_clear_only_its_sha256(app: Flask, world: World) -> None:
    user = world.user("silkeborg", "participant")
    token = issue(app, user)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 random bits
    with app.app_context():
        db = app.extensions["broen.db"]
        rows = db.session.execute(text("SELECT * FROM calendar_feed_token")).all()
        assert rows and all(token not in str(value) for row in rows for value in row)
        stored = db.session.execute(text("SELECT token_hash FROM calendar_feed_token")).scalar_one()
        assert stored == hashlib.sha256(token.encode()).hexdigest()
        found = tokens.user_for(db, token)
        assert found is not None and found.id == user.id
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "feed_token")).all()
        assert [(a.action, a.user_id) for a in audit] == [("create", user.id)]
        assert all(token not in str(a.details) for a in audit)


def test_the_feed_names_no_participant_citizen_or_colleague(app: Flask, world: World, client: Client) -> None:
    owner = world.user("silkeborg", "participant")
    body = client.get(feed_url(issue(app, owner))).get_data(as_text=True)
    with app.app_context():
        db = app.extensions["broen.db"]
        names = [*db.session.scalars(select(User.name)), *db.session.scalars(select(Citizen.name))]
        emails = [*db.session.scalars(select(User.email)), *db.session.scalars(select(Citizen.email))]
    assert names and emails
    leaked = [s for s in [*names, *emails] if s and s in body]
    assert not leaked


def test_the_public_feed_needs_no_login_and_a_personal_feed_needs_its_token(
    app: Flask, world: World, client: Client
) -> None:
    public = client.get("/silkeborg/public/calendar/public.ics")
    assert public.status_code == 200 and len(uids(public)) == 3
    # A session is no key to anyone's personal feed: only the token in the link is.
    client.login(world.user("silkeborg", "participant"))
    assert client.get(feed_url("my")).status_code == 404
    assert client.get("/feeds/.ics").status_code == 404


# --- conditional GET -------------------------------------------------------------------------------------


@pytest.fixture(params=["personal", "public"])
def feed(request: pytest.FixtureRequest, app: Flask, world: World) -> str:
    if request.param == "public":
        return "/silkeborg/public/calendar/public.ics"
    return feed_url(issue(app, world.user("silkeborg", "participant")))


def get(app: Flask, url: str, **headers: str) -> TestResponse:
    return app.test_client().get(url, headers=headers)


def test_a_feed_has_a_strong_etag_last_modified_and_cache_control_and_is_not_compressed(
    app: Flask, feed: str
) -> None:
    backdate(app)
    response = get(app, feed, **{"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in response.headers
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    # Every change of the data was (backdated) on 10 November; the feed's window last moved at midnight.
    assert parse_date(response.headers["Last-Modified"]) == max(PAST, local_midnight())
    private = "personal" if feed.startswith("/feeds/") else "public"
    expected = "private" if private == "personal" else "public"
    assert re.fullmatch(rf"{expected}, max-age=\d+", response.headers["Cache-Control"])
    again = get(app, feed)
    assert again.headers["ETag"] == etag and again.get_data() == response.get_data()
    feed_cache(app).clear()  # built anew from the same data: the same bytes
    rebuilt = get(app, feed)
    assert rebuilt.headers["ETag"] == etag and rebuilt.get_data() == response.get_data()


def test_if_none_match_gives_304_and_wins_over_if_modified_since(app: Flask, feed: str) -> None:
    first = get(app, feed)
    etag = first.headers["ETag"]
    hit = get(app, feed, **{"If-None-Match": etag})
    assert hit.status_code == 304 and hit.get_data() == b""
    # RFC 9110 §15.4.5: a 304 repeats ETag and Cache-Control (Werkzeug drops Last-Modified, as allowed).
    assert hit.headers["ETag"] == etag
    assert hit.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert get(app, feed, **{"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert get(app, feed, **{"If-None-Match": f"W/{etag}"}).status_code == 304  # weak comparison
    assert get(app, feed, **{"If-None-Match": "*"}).status_code == 304
    # A matching ETag with an old date: still 304, the date is not looked at.
    old = http_date(datetime(2001, 1, 1, tzinfo=UTC))
    assert get(app, feed, **{"If-None-Match": etag, "If-Modified-Since": old}).status_code == 304
    # A different ETag with a date in the future: 200, the date is not looked at.
    future = http_date(datetime.now(UTC) + timedelta(days=365))
    miss = get(app, feed, **{"If-None-Match": '"something-else"', "If-Modified-Since": future})
    assert miss.status_code == 200 and miss.get_data() == first.get_data()


def test_if_modified_since_alone_compares_dates_and_ignores_garbage(app: Flask, feed: str) -> None:
    backdate(app)
    modified = get(app, feed).headers["Last-Modified"]
    assert get(app, feed, **{"If-Modified-Since": modified}).status_code == 304
    when = parse_date(modified)
    assert when is not None
    later = http_date(when + timedelta(hours=1))
    assert get(app, feed, **{"If-Modified-Since": later}).status_code == 304
    earlier = http_date(when - timedelta(seconds=1))
    assert get(app, feed, **{"If-Modified-Since": earlier}).status_code == 200
    for garbage in ("yesterday", "", "Tue, 99 Foo 2026 25:61:61 GMT"):
        response = get(app, feed, **{"If-Modified-Since": garbage})
        assert response.status_code == 200 and response.get_data().startswith(b"BEGIN:VCALENDAR"), garbage


def test_turning_the_plugin_off_changes_etag_and_last_modified_so_the_client_refetches(
    app: Flask, feed: str
) -> None:
    backdate(app)
    before = get(app, feed)
    assert len(uids(before)) == 3
    etag, modified = before.headers["ETag"], before.headers["Last-Modified"]
    set_example_plugin(app, "silkeborg", False)
    after = get(app, feed)
    assert after.status_code == 200 and uids(after) == set()
    assert after.headers["ETag"] != etag
    assert parse_date(after.headers["Last-Modified"]) > parse_date(modified)  # type: ignore[operator]
    assert get(app, feed, **{"If-Modified-Since": modified}).status_code == 200
    assert get(app, feed, **{"If-None-Match": etag}).status_code == 200


# --- the calendar link on /me ----------------------------------------------------------------------------


def csrf(client: Client) -> dict[str, Any]:
    return {"csrf_token": client.csrf_token("/me")}


def test_me_makes_shows_replaces_and_stops_the_calendar_link(
    app: Flask, world: World, client: Client
) -> None:
    client.login(world.user("silkeborg", "participant"))
    page = client.get("/me").get_data(as_text=True)
    assert "Subscribe to my calendar" in page and "Make my calendar link" in page
    assert "Stop my calendar link" not in page

    made = client.post("/me/calendar-link", data=csrf(client))
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    match = re.search(r'value="(http://127\.0\.0\.1:5000/feeds/([A-Za-z0-9_-]{43})\.ics)"', html)
    assert match, html
    token = match.group(2)
    assert f'href="webcal://127.0.0.1:5000/feeds/{token}.ics"' in html
    assert "readonly" in html
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)
    assert qr and qr.group(2)
    svg = base64.b64decode(qr.group(1)).decode()
    assert "<svg" in svg and "style=" not in svg and "<script" not in svg
    assert made.headers["Cache-Control"] == "no-store"
    assert client.get(feed_url(token)).status_code == 200

    page = client.get("/me").get_data(as_text=True)
    assert token not in page  # shown once only: the page after has only the hash to go on
    assert "Make a new link (the old one stops working)" in page and "Stop my calendar link" in page

    confirm_new = client.get("/me/calendar-link/new")
    assert confirm_new.status_code == 200 and 'action="/me/calendar-link"' in confirm_new.get_data(
        as_text=True
    )
    remade = client.post("/me/calendar-link", data=csrf(client)).get_data(as_text=True)
    new_token = re.search(r"/feeds/([A-Za-z0-9_-]{43})\.ics", remade)
    assert new_token and new_token.group(1) != token
    assert client.get(feed_url(token)).status_code == 404
    assert client.get(feed_url(new_token.group(1))).status_code == 200

    confirm_stop = client.get("/me/calendar-link/stop")
    assert confirm_stop.status_code == 200
    assert 'action="/me/calendar-link/stop"' in confirm_stop.get_data(as_text=True)
    stopped = client.post("/me/calendar-link/stop", data=csrf(client))
    assert stopped.status_code == 302 and stopped.location.endswith("/me")
    assert client.get(feed_url(new_token.group(1))).status_code == 404
    page = client.get("/me").get_data(as_text=True)
    assert "Make my calendar link" in page and "Your calendar link is stopped" in page
    with app.app_context():
        actions = app.extensions["broen.db"].session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "feed_token").order_by(AuditEntry.id)
        )
        assert list(actions) == ["create", "delete", "create", "delete"]


def test_the_calendar_link_pages_need_a_login_and_a_csrf_token(
    app: Flask, world: World, client: Client
) -> None:
    for path in ("/me/calendar-link/new", "/me/calendar-link/stop"):
        assert client.get(path).status_code == 302
    assert client.post("/me/calendar-link").status_code in (302, 400)
    client.login(world.user("silkeborg", "participant"))
    assert client.post("/me/calendar-link").status_code == 400  # no CSRF token
    with app.app_context():
        assert app.extensions["broen.db"].session.scalar(select(FeedToken.id)) is None
