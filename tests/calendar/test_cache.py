"""Feeds come from a cache checked with one query per request: the promises that make that safe.

A feed's body is a pure function of its data's versions and the local date, so the cache never serves a
stale feed: not after a change made through another process, not after midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import update
from werkzeug.http import parse_date
from werkzeug.test import TestResponse

from broen.calendar import feeds
from broen.calendar.cache import FeedCache, feed_cache, window
from broen.calendar.versions import CalendarVersion
from tests.calendar.test_feeds import backdate, issue, set_example_plugin, uids
from tests.conftest import World, make_app
from tests.sqlcount import count_statements

CPH = ZoneInfo("Europe/Copenhagen")
PUBLIC = "/silkeborg/public/calendar/public.ics"


def get(app: Flask, url: str, **headers: str) -> TestResponse:
    return app.test_client().get(url, headers=headers)


def test_the_cache_keeps_the_most_recently_used_bodies_within_its_byte_budget() -> None:
    cache = FeedCache(max_bytes=800)
    cache.put("a", b"a" * 100)
    cache.put("b", b"b" * 100)
    assert cache.get("a") == b"a" * 100  # "a" is now the most recently used
    for key in "cdefghi":  # 900 bytes in all: one has to go
        cache.put(key, key.encode() * 100)
    assert cache.size == 800 and len(cache) == 8  # "b" went, the least recently used
    assert cache.get("b") is None and cache.get("a") is not None
    cache.put("big", b"x" * 101)  # more than an eighth of the budget: not kept
    assert cache.get("big") is None
    cache.put("a", b"A" * 10)  # replaced, and the size follows
    assert cache.get("a") == b"A" * 10 and cache.size == 10 + 7 * 100
    cache.clear()
    assert len(cache) == 0 and cache.size == 0


def test_the_window_runs_from_local_midnight_a_month_back_to_a_year_ahead_across_summer_time() -> None:
    start, end = window(date(2026, 4, 15), "Europe/Copenhagen")
    # 15 March is winter time (+01:00), 16 April 2027 summer time (+02:00): both local midnight.
    assert start.astimezone(UTC) == datetime(2026, 3, 14, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2027, 4, 15, 22, 0, tzinfo=UTC)
    assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)


def test_a_warm_feed_is_served_from_the_cache_with_the_one_key_query(app: Flask, world: World) -> None:
    token = issue(app, world.user("silkeborg", "participant"))
    for url in (PUBLIC, f"/feeds/{token}.ics"):
        first = get(app, url)
        with count_statements(app) as statements:
            again = get(app, url)
        assert len(statements) == 1, statements
        assert again.status_code == 200 and again.get_data() == first.get_data()
        assert again.headers["ETag"] == first.headers["ETag"]


def at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Set the feeds' clock."""
    monkeypatch.setattr(feeds, "now", lambda: moment.astimezone(UTC))


def test_the_feed_is_the_same_all_day_and_moves_on_at_local_midnight(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    backdate(app)
    token = issue(app, world.user("silkeborg", "participant"))
    today = datetime.now(CPH).date() + timedelta(days=1)
    for url in (PUBLIC, f"/feeds/{token}.ics"):
        at(monkeypatch, datetime.combine(today, time(0, 1), tzinfo=CPH))
        morning = get(app, url)
        feed_cache(app).clear()
        at(monkeypatch, datetime.combine(today, time(23, 59), tzinfo=CPH))
        evening = get(app, url)
        assert evening.get_data() == morning.get_data()
        assert evening.headers["ETag"] == morning.headers["ETag"]
        assert get(app, url, **{"If-None-Match": morning.headers["ETag"]}).status_code == 304
        midnight = datetime.combine(today, time(0), tzinfo=CPH)
        assert parse_date(morning.headers["Last-Modified"]) == midnight.astimezone(UTC)

        at(monkeypatch, datetime.combine(today + timedelta(days=1), time(0, 1), tzinfo=CPH))
        tomorrow = get(app, url)
        # The window moved a day (the example plugin's meetings are dated from it), and so did the validators.
        assert uids(tomorrow) and uids(tomorrow) != uids(morning)
        assert tomorrow.headers["ETag"] != morning.headers["ETag"]
        assert parse_date(tomorrow.headers["Last-Modified"]) == (midnight + timedelta(days=1)).astimezone(UTC)
        assert get(app, url, **{"If-None-Match": morning.headers["ETag"]}).status_code == 200
        assert get(app, url, **{"If-Modified-Since": morning.headers["Last-Modified"]}).status_code == 200


def test_a_change_made_through_one_process_is_served_at_once_by_another(
    app: Flask, world: World, database_url: str
) -> None:
    """Two app instances on one database (as two gunicorn workers are), each with its own cache."""
    other = make_app(database_url)
    try:
        token = issue(app, world.user("silkeborg", "participant"))
        for url in (PUBLIC, f"/feeds/{token}.ics"):
            set_example_plugin(other, "silkeborg", True)
            here, there = get(app, url), get(other, url)
            assert len(uids(here)) == 3
            # The same data gives the same bytes and the same ETag in every process: a 304 from either.
            assert here.get_data() == there.get_data() and here.headers["ETag"] == there.headers["ETag"]
            assert get(other, url, **{"If-None-Match": here.headers["ETag"]}).status_code == 304

            set_example_plugin(other, "silkeborg", False)  # through the other instance
            after = get(app, url)  # this one's cache still holds the old feed
            assert after.status_code == 200 and uids(after) == set()
            assert after.headers["ETag"] != here.headers["ETag"]
            assert get(app, url, **{"If-None-Match": here.headers["ETag"]}).status_code == 200
    finally:
        other.extensions["broen.db"].dispose()


def test_a_last_modified_ahead_of_the_clock_is_sent_as_now_and_does_not_match_until_then(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changes faster than one a second run a version's changed_at ahead of the clock (each bump adds at
    least a second, see broen/calendar/versions.py): Last-Modified is never sent later than now, and a
    client that holds the one sent meanwhile is not told "not modified" until the clock has caught up."""
    noon = datetime.combine(datetime.now(CPH).date(), time(12), tzinfo=CPH)
    db = app.extensions["broen.db"]
    with app.app_context():
        ahead = noon + timedelta(minutes=5)
        db.session.execute(update(CalendarVersion).values(changed_at=ahead, public_changed_at=ahead))
        db.session.commit()
    at(monkeypatch, noon)
    early = get(app, PUBLIC)
    assert parse_date(early.headers["Last-Modified"]) == noon.astimezone(UTC)
    assert get(app, PUBLIC, **{"If-Modified-Since": early.headers["Last-Modified"]}).status_code == 200
    at(monkeypatch, noon + timedelta(minutes=10))
    caught_up = get(app, PUBLIC)
    assert parse_date(caught_up.headers["Last-Modified"]) == (noon + timedelta(minutes=5)).astimezone(UTC)
    assert get(app, PUBLIC, **{"If-Modified-Since": caught_up.headers["Last-Modified"]}).status_code == 304


def test_a_feed_built_while_a_plugin_failed_is_neither_cached_nor_validated(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = app.extensions["broen.plugins"].pm.hook.broen_calendar_events
    impl = next(i for i in hook.get_hookimpls() if i.plugin_name == "example")
    working = impl.function

    def broken(**kwargs: object) -> None:
        raise RuntimeError("the example plugin is down")

    monkeypatch.setattr(impl, "function", broken)
    failed = get(app, PUBLIC)
    assert failed.status_code == 200 and uids(failed) == set()
    assert "ETag" not in failed.headers and "Last-Modified" not in failed.headers
    assert failed.headers["Cache-Control"] == "no-cache"
    monkeypatch.setattr(impl, "function", working)
    assert len(uids(get(app, PUBLIC))) == 3  # nothing of the failure was kept
