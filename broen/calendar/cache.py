"""Feeds served from an in-process cache, checked against the database with one cheap query per request.

Building a feed (the plugins' queries, then icalendar) costs far more than answering a request, and
calendar apps ask for the same feed over and over. So a feed's body is a pure function of a *key*, and
the body is cached under it:

- which feed it is (the municipality's public feed, a course's feed, a user's personal feed) and what it
  is shown as (the municipality's name and time zone; for a personal feed the user's id, e-mail address
  and roles, through which plugins find "their" records);
- the calendar version of every municipality the feed draws on (`broen.calendar.versions`: bumped in
  the same transaction as every change to calendar data, plugin on/off included);
- the local date. A feed shows a window that runs from local midnight 31 days back to 366 days ahead,
  and a cancelled event stays in it until its (local) date has passed: both are set by the date alone,
  never by the time of day, so the same data on the same day gives the same bytes.

Every request reads the key with ONE indexed query (`municipality_state`, `personal_state`), in whichever
process it lands: a change committed through one process is seen by the next request to any other. The
query goes through SQLAlchemy Core on a connection of its own, not the ORM session (a third of the cost):
a request answered from the key never opens the session at all.
The ETag is the SHA-256 of the key, so a 304 is answered without building or fetching the body; a 200
takes the body from the cache, or builds and stores it. Last-Modified is the newest of the versions'
`changed_at` (which every change moves on by at least a second, including one that deletes an event or
moves it out of the feed) and the local midnight that began the key's date. It is exact for changes to
calendar data; a change of the key that no version records (a user's new role or e-mail address, a
municipality's new name, a new release of broen) changes the ETag at once but Last-Modified only with
the next change or midnight, so a client that sends only If-Modified-Since sees it by the next day.

Date rollover: at local midnight the key's date changes, so the ETag changes and Last-Modified becomes
at least that midnight: every client fetches the feed once more after midnight, and sees the window
moved (events more than 31 days old and cancelled events of earlier days gone). Entries of earlier dates
are never asked for again and fall out of the cache as it fills.

The cache is a plain LRU bounded by the total size of the bodies it holds, one per process (per app);
nothing in it is trusted without the key query, so it needs no invalidation.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import metadata
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.sql.elements import ColumnElement

from broen.calendar import feeds
from broen.calendar.events import CalendarEvent
from broen.calendar.feeds import feed_response, not_found, not_modified
from broen.calendar.ics import build_ics
from broen.calendar.models import FeedToken
from broen.calendar.versions import CalendarVersion
from broen.core.db import Database, current_db
from broen.core.models import Membership, Municipality, PluginState, User

P = ParamSpec("P")
R = TypeVar("R")

#: The feed window, counted from local midnight of the feed's date.
PAST = timedelta(days=31)
FUTURE = timedelta(days=366)
#: Raise when the same data would give different bytes than before (a client's ETag must not survive it).
FORMAT = 1
#: The most feed bytes one process keeps; a feed larger than an eighth of it is not kept at all.
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class FeedCache:
    """Feed bodies by ETag, least recently used first out, at most `max_bytes` of them. Thread-safe."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old)
            self._entries[key] = body
            self.size += len(body)
            while self.size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0

    def __len__(self) -> int:
        return len(self._entries)


def feed_cache(app: Flask | None = None) -> FeedCache:
    """The app's feed cache (made on first use)."""
    app = app or current_app
    cache: FeedCache | None = app.extensions.get("broen.feed_cache")
    if cache is None:
        cache = app.extensions.setdefault("broen.feed_cache", FeedCache())
    return cache


def _build_id(app: Flask) -> str:
    """What else decides a feed's bytes for the same data: the code (broen's and the plugins' versions)."""
    build_id: str | None = app.extensions.get("broen.feed_build_id")
    if build_id is None:
        try:
            broen_version = metadata.version("broen")
        except metadata.PackageNotFoundError:  # pragma: no cover - a checkout that was never installed
            broen_version = "unknown"
        plugins = app.extensions["broen.plugins"].info
        build_id = repr((FORMAT, broen_version, sorted((n, i.version) for n, i in plugins.items())))
        app.extensions["broen.feed_build_id"] = build_id
    return build_id


# --- the date and the window -------------------------------------------------------------------------------


def local_today(timezone: str) -> date:
    """Today's date in `timezone`, by the feeds' clock (`broen.calendar.feeds.now`)."""
    return feeds.now().astimezone(ZoneInfo(timezone)).date()


def midnight(day: date, timezone: str) -> datetime:
    """Local midnight at the start of `day`, time-zone aware (in `timezone`)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


def window(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The feed window of `day`: local midnight 31 days back to local midnight 366 days ahead.

    Both ends are aware datetimes in `timezone`, so a plugin's wall-clock arithmetic on them is local.
    """
    start = midnight(day, timezone)
    return start - PAST, start + FUTURE


def in_feed(events: Iterable[CalendarEvent], day: date, timezone: str) -> list[CalendarEvent]:
    """The events a feed of `day` shows: a cancelled one only until its local date has passed."""
    today = midnight(day, timezone)
    return [e for e in events if not e.cancelled or e.start >= today]


# --- the key: one query per request -------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """What a request learnt from its one query: everything the feed's body depends on, and its dates."""

    #: The feed and the data it draws on: (kind, identity..., versions...). Hashable, printable.
    parts: tuple[Any, ...]
    timezone: str
    day: date
    #: The newest `changed_at` of the versions the feed draws on (None: no calendar data changed yet).
    changed_at: datetime | None

    def etag(self, build_id: str) -> str:
        key = repr((build_id, self.parts, self.timezone, self.day.isoformat()))
        return hashlib.sha256(key.encode()).hexdigest()

    @property
    def last_modified(self) -> datetime:
        """Whole seconds: the newest of the data's changes and the midnight that began `day`."""
        newest = midnight(self.day, self.timezone)
        if self.changed_at is not None and self.changed_at > newest:
            newest = self.changed_at
        return newest.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class MunicipalityState(FeedState):
    municipality_id: int
    name: str


@dataclass(frozen=True)
class PersonalState(FeedState):
    user_id: int
    municipality_ids: tuple[int, ...]


def _newest(*moments: datetime | None) -> datetime | None:
    return max((m for m in moments if m is not None), default=None)


_ENABLED = (
    exists()
    .where(
        PluginState.municipality_id == Municipality.id,
        PluginState.plugin == bindparam("plugin"),
        PluginState.enabled.is_(True),
    )
    .label("enabled")
)


def _municipality_query(plugin: bool, condition: ColumnElement[bool] | None) -> Select[Any]:
    columns: list[Any] = [
        Municipality.id,
        Municipality.name,
        Municipality.timezone,
        # A public feed shows only rows that are `shown_publicly`: its key is their version alone.
        CalendarVersion.public_version.label("version"),
        CalendarVersion.public_changed_at.label("changed_at"),
    ]
    if plugin:
        columns.append(_ENABLED)
    if condition is not None:
        columns.append(condition.label("found"))
    return (
        select(*columns)
        .outerjoin(CalendarVersion, CalendarVersion.municipality_id == Municipality.id)
        .where(Municipality.slug == bindparam("slug"))
    )


# The statements without a plugin's condition never change: built once.
_MUNICIPALITY_QUERIES = {plugin: _municipality_query(plugin, None) for plugin in (False, True)}
_CONDITION_QUERIES: dict[tuple[int, bool], tuple[ColumnElement[bool], Select[Any]]] = {}


def municipality_state(
    db: Database,
    slug: str,
    feed: str,
    *,
    plugin: str | None = None,
    condition: ColumnElement[bool] | None = None,
    params: dict[str, Any] | None = None,
) -> MunicipalityState | None:
    """The key of a municipality's feed `feed`, in one query; None if the feed does not exist: no such
    municipality, `plugin` not on there, or `condition` (an SQL truth about the municipality's rows,
    e.g. an EXISTS of a course, correlated to `Municipality`) false."""
    if condition is None:
        stmt = _MUNICIPALITY_QUERIES[plugin is not None]
    else:
        # A plugin's condition is a module constant (with bind parameters): build its statement once.
        cached = _CONDITION_QUERIES.get((id(condition), plugin is not None))
        if cached is None or cached[0] is not condition:
            cached = (condition, _municipality_query(plugin is not None, condition))
            _CONDITION_QUERIES[(id(condition), plugin is not None)] = cached
        stmt = cached[1]
    values = {"slug": slug, **(params or {})}
    if plugin is not None:
        values["plugin"] = plugin
    with db.engine.connect() as connection:
        row = connection.execute(stmt, values).one_or_none()
    if row is None:
        return None
    if plugin is not None and not row.enabled:
        return None
    if condition is not None and not row.found:
        return None
    timezone: str = row.timezone
    return MunicipalityState(
        parts=(feed, row.id, row.name, row.version),
        timezone=timezone,
        day=local_today(timezone),
        changed_at=row.changed_at,
        municipality_id=row.id,
        name=row.name,
    )


_PERSONAL_QUERY = (
    select(
        User.id.label("user_id"),
        User.email,
        Membership.municipality_id,
        Membership.role,
        Municipality.name,
        Municipality.timezone,
        CalendarVersion.version,
        CalendarVersion.changed_at,
    )
    .select_from(FeedToken)
    .join(User, User.id == FeedToken.user_id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Municipality, Municipality.id == Membership.municipality_id)
    .outerjoin(CalendarVersion, CalendarVersion.municipality_id == Membership.municipality_id)
    .where(
        FeedToken.token_hash == bindparam("token_hash"),
        FeedToken.revoked_at.is_(None),
        User.active.is_(True),
    )
    .order_by(Membership.id)
)


def personal_state(db: Database, token_hash: str, default_timezone: str) -> PersonalState | None:
    """The key of the personal feed of a token (by its hash), in one query: the live token, its active
    owner, their memberships and those municipalities' versions. None for an unknown or revoked token
    or an inactive owner."""
    with db.engine.connect() as connection:
        rows = connection.execute(_PERSONAL_QUERY, {"token_hash": token_hash}).all()
    if not rows:
        return None
    first = rows[0]
    memberships = [r for r in rows if r.municipality_id is not None]
    timezone: str = memberships[0].timezone if memberships else default_timezone
    return PersonalState(
        parts=(
            "personal",
            first.user_id,
            first.email,
            tuple((r.municipality_id, r.role.value, r.name, r.timezone, r.version) for r in memberships),
        ),
        timezone=timezone,
        day=local_today(timezone),
        changed_at=_newest(*(r.changed_at for r in memberships)),
        user_id=first.user_id,
        municipality_ids=tuple(r.municipality_id for r in memberships),
    )


# --- serving -----------------------------------------------------------------------------------------------

#: Builds a feed's body on a cache miss; None if it turned out not to exist after all.
Builder = Callable[[], bytes | None]


def serve(state: FeedState, build: Builder, *, private: bool) -> Response:
    """Answer a feed request from its key: 304, 200 from the cache, or 200 built now (and cached)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    etag = state.etag(_build_id(app))
    modified = state.last_modified
    if not_modified(request, etag, modified):
        return feed_response(None, etag, modified, private=private)
    cache = feed_cache(app)
    body = cache.get(etag)
    if body is None:
        g.pop("plugin_failures", None)
        body = build()
        if body is None:
            return not_found()
        if g.get("plugin_failures"):
            # A plugin failed (and was left out): send what there is, but neither keep it nor let the
            # client keep it under this key, or the gap would outlive the failure.
            return feed_response(body, None, modified, private=private)
        cache.put(etag, body)
    return feed_response(body, etag, modified, private=private)


def build_feed(name: str, events: Sequence[CalendarEvent], state: FeedState) -> bytes:
    """The .ics of a feed of `state.day`: `in_feed`'s events, in the feed's time zone."""
    return build_ics(name, in_feed(events, state.day, state.timezone), timezone=state.timezone)


# --- views that answer from the key alone -------------------------------------------------------------------


def feed_view(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a public `/<municipality>/public/...` view as a cached feed: the core does not look the
    municipality up before it runs (nor check that the view's plugin is on there): the view's one key
    query does both (`municipality_feed`). `g.municipality_slug` holds the slug meanwhile."""
    view.resolves_municipality = True  # type: ignore[attr-defined]
    return view


#: A municipality feed's contents on a cache miss: (calendar name, events) for the municipality and the
#: window (start, end) of the key's date, or None if the feed does not exist after all.
FeedBuilder = Callable[[Municipality, datetime, datetime], tuple[str, Sequence[CalendarEvent]] | None]


def municipality_feed(
    feed: str,
    build: FeedBuilder,
    *,
    plugin: str | None = None,
    condition: ColumnElement[bool] | None = None,
    params: dict[str, Any] | None = None,
) -> Response:
    """Serve a public feed of the request's municipality, cached (see the module docstring).

    `feed` names it among the municipality's feeds (e.g. "cafe/course/17"). It is a 404 if the
    municipality does not exist, `plugin` is not on there or `condition` is false (see
    `municipality_state`); otherwise `build` makes its events on a cache miss. Use it from a view
    marked with `feed_view`.
    """
    db = current_db()
    slug = g.get("municipality_slug") or g.municipality.slug
    state = municipality_state(db, slug, feed, plugin=plugin, condition=condition, params=params)
    if state is None:
        return not_found()

    def body() -> bytes | None:
        municipality = db.session.get_one(Municipality, state.municipality_id)
        g.municipality = municipality  # for plugin code that asks for the request's municipality
        start, end = window(state.day, state.timezone)
        made = build(municipality, start, end)
        if made is None:
            return None
        name, events = made
        return build_feed(name, events, state)

    return serve(state, body, private=False)


__all__ = [
    "FUTURE",
    "PAST",
    "FeedCache",
    "FeedState",
    "feed_cache",
    "feed_view",
    "in_feed",
    "local_today",
    "municipality_feed",
    "municipality_state",
    "personal_state",
    "serve",
    "window",
]
