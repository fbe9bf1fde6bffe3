"""Readiness for a load balancer (`/readyz`) and Prometheus metrics (`/metrics`, off by default).

`/healthz` says the process is alive and touches nothing; `/readyz` says it can serve: the database answers
and is at exactly the migrations this release (core and installed plugins) expects. The expected heads are
read from the migration scripts once per app; a request reads only the database's.

Metrics (`[metrics] enabled = true`) count every request by method, endpoint and status, time it per
endpoint, and count calendar feed answers by kind and status (200 or 304). The endpoint is the name of the
URL rule that matched ("calendar.personal_feed"), never the path: paths carry feed tokens, municipality
slugs and record ids. A URL that matches no rule is endpoint "none". No label names a user, municipality
or record, so `/metrics` shows no personal data.

Each app has a registry of its own (tests build many apps in one process). Under gunicorn each worker is
a process with its own counters; with PROMETHEUS_MULTIPROC_DIR set, prometheus_client's multiprocess mode
keeps them in files there and `/metrics` adds up every worker's (docs/operations.md, section 8).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, abort, current_app, has_request_context, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text

from broen.core.config import ConfigError, Settings

log = logging.getLogger(__name__)

EXTENSION = "broen.metrics"
#: Seconds: 5 ms .. 2.5 s (slower requests fall in +Inf).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5)
#: The endpoint label of a request no URL rule matched (a 404 or 405 without a rule).
NO_ENDPOINT = "none"
#: Methods counted by name; anything else a client sends is counted as "other" (bounded labels).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_START = "broen.metrics.start"

READY = {"status": "ready"}
UNREACHABLE = "database unreachable"
PENDING = "migrations pending: run broen db upgrade"
UNKNOWN = "database is at a revision this release does not know: upgrade broen"
SCRIPTS = "migration scripts unreadable: reinstall broen and its plugins"


# --- readiness -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heads:
    expected: frozenset[str]
    known: frozenset[str]


def _heads(app: Flask) -> _Heads:
    """The heads this release's migration scripts end in, and every revision they know (once per app)."""
    heads: _Heads | None = app.extensions.get("broen.migration_heads")
    if heads is None:
        from alembic.script import ScriptDirectory

        from broen.core.migrate import alembic_config

        scripts = ScriptDirectory.from_config(
            alembic_config(app.extensions["broen.db"], app.extensions["broen.plugins"])
        )
        heads = _Heads(
            frozenset(scripts.get_heads()), frozenset(r.revision for r in scripts.walk_revisions())
        )
        app.extensions["broen.migration_heads"] = heads
    return heads


def _cause(exc: BaseException, password: str | None) -> str:
    """The first line of the driver's message, with the database password (if any) blanked out."""
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = f"{type(exc).__name__}: {cause[0] if cause else ''}"
    return line.replace(password, "***") if password else line


def readiness(app: Flask) -> Response:
    """200 `{"status": "ready"}`, or 503 with the reason; never raises. The cause is logged (WARNING)."""
    db = app.extensions["broen.db"]
    url = db.engine.url
    try:
        heads = _heads(app)
    except Exception:  # a broken installation (a plugin's migrations folder gone): say so, never a 500
        log.exception("readyz: the migration scripts could not be read")
        return _not_ready(SCRIPTS)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        from broen.core.migrate import current_heads

        found = current_heads(db, app.extensions["broen.plugins"])
    except Exception as exc:  # any failure to reach the database is "not ready", never a 500
        log.warning(
            "readyz: database unreachable at %s (%s)",
            url.render_as_string(hide_password=True),
            _cause(exc, url.password),
        )
        return _not_ready(UNREACHABLE)
    if found == heads.expected:
        return _answer(READY, 200)
    reason = PENDING if found <= heads.known else UNKNOWN
    log.warning(
        "readyz: the database is at %s, this release expects %s",
        ", ".join(sorted(found)) or "no revision",
        ", ".join(sorted(heads.expected)),
    )
    return _not_ready(reason)


def _not_ready(reason: str) -> Response:
    return _answer({"status": "not ready", "reason": reason}, 503)


def _answer(body: dict[str, str], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- metrics -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """One app's metrics and the registry `/metrics` shows."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    feeds: Counter


def _multiproc_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV) or None
    if path is not None and not os.path.isdir(path):
        raise ConfigError(f"{MULTIPROC_ENV}: expected an existing directory, got {path!r}")
    return path


def build_metrics() -> Metrics:
    """A fresh registry with broen's metrics: per process, or over every process in $PROMETHEUS_MULTIPROC_DIR."""
    registry = CollectorRegistry()
    path = _multiproc_dir()
    target: CollectorRegistry | None = registry
    if path is not None:
        from prometheus_client import multiprocess

        # The metrics write to files in `path`; the registry /metrics shows reads every process's files.
        multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
        target = None
    else:
        ProcessCollector(registry=registry)
    return Metrics(
        registry=registry,
        requests=Counter(
            "broen_http_requests",
            "HTTP requests answered, by method, endpoint (URL rule name) and status code.",
            ("method", "endpoint", "status"),
            registry=target,
        ),
        latency=Histogram(
            "broen_http_request_duration_seconds",
            "Time to answer a request, by endpoint (URL rule name).",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=target,
        ),
        feeds=Counter(
            "broen_feed_responses",
            "Calendar feed answers, by kind (personal, public, course, ...) and status (200, 304).",
            ("kind", "status"),
            registry=target,
        ),
    )


class _Timer:
    """WSGI middleware: note when a request came in, before Flask's own hooks can answer it."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[_START] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def _endpoint() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else NO_ENDPOINT


def init_app(app: Flask, settings: Settings) -> None:
    """Count and time every request, if `[metrics] enabled`; otherwise do nothing (and /metrics is a 404)."""
    if not settings.metrics.enabled:
        return
    metrics = build_metrics()
    app.extensions[EXTENSION] = metrics
    app.wsgi_app = _Timer(app.wsgi_app)  # type: ignore[method-assign]

    @app.after_request
    def count_request(response: Response) -> Response:
        endpoint = _endpoint()
        method = request.method if request.method in METHODS else "other"
        metrics.requests.labels(method, endpoint, str(response.status_code)).inc()
        start = request.environ.get(_START)
        if isinstance(start, float):
            metrics.latency.labels(endpoint).observe(time.perf_counter() - start)
        return response


def feed_kind(endpoint: str | None) -> str:
    """A feed's kind from its view's endpoint: "calendar.personal_feed" is "personal"."""
    return (endpoint or NO_ENDPOINT).rsplit(".", 1)[-1].removesuffix("_feed")


def feed_served(status: int) -> None:
    """Count a calendar feed answer (200 or 304) of the current request; nothing when metrics are off."""
    if not has_request_context():
        return
    metrics: Metrics | None = current_app.extensions.get(EXTENSION)
    if metrics is not None:
        metrics.feeds.labels(feed_kind(_endpoint()), str(status)).inc()


def exposition() -> Response:
    """The current app's metrics in the format the scraper asks for (Prometheus text or OpenMetrics)."""
    metrics: Metrics | None = current_app.extensions.get(EXTENSION)
    if metrics is None:
        abort(404)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    response = Response(encoder(metrics.registry), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = [
    "LATENCY_BUCKETS",
    "NO_ENDPOINT",
    "Metrics",
    "build_metrics",
    "exposition",
    "feed_kind",
    "feed_served",
    "init_app",
    "readiness",
]
