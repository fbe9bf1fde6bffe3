"""`/readyz` for a load balancer and Prometheus metrics at `/metrics` (issue 9, point 3).

A load balancer must stop sending requests to a process whose database is gone or behind the code, and
learn why without a stack trace; an operator's Prometheus must see requests, latency and feed polls per
URL rule, and never a feed token, a municipality, a record id or a citizen.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from broen.calendar import tokens
from broen.core.app import create_app
from broen.core.config import ConfigError, load_settings
from broen.core.metrics import LATENCY_BUCKETS, MULTIPROC_ENV, build_metrics
from broen.core.migrate import alembic_config, upgrade
from broen.core.models import User
from tests.conftest import EXAMPLE_PLUGIN, Client, World, db_of, make_app
from tests.fixtures.smtp import free_port
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ROOT = Path(__file__).resolve().parents[2]
LOGGER = "broen.core.metrics"


def metrics_app(database_url: str) -> Flask:
    """A development-mode app like `make_app`'s, with `[metrics] enabled = true`."""
    settings = load_settings(
        None,
        overrides={
            "broen": {
                "database_url": database_url,
                "mode": "development",
                "secret_key": "x" * 40,
                "default_language": "en",
            },
            "metrics": {"enabled": True},
        },
        environ={},
        read_file=False,
    )
    return create_app(settings, extra_plugins=(EXAMPLE_PLUGIN,), testing=True)


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text exposition: (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


# --- /readyz ---------------------------------------------------------------------------------------------


def test_readyz_is_ready_on_a_migrated_database_and_reads_only_its_heads(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}  # the first request reads the scripts
    with count_statements(app) as seen:
        response = client.get("/readyz")
    assert (response.status_code, response.json) == (200, {"status": "ready"})
    assert response.headers["Cache-Control"] == "no-store"
    # SELECT 1, whether alembic_version exists, and the database's heads in it: nothing else.
    assert len(seen) == 3 and seen[0] == "SELECT 1" and "FROM alembic_version" in seen[2], seen


@SQLITE_ONLY
def test_readyz_says_migrations_are_pending_when_the_database_is_behind(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    db, plugins = db_of(app), app.extensions["broen.plugins"]
    command.downgrade(alembic_config(db, plugins), "example@base")  # as if the plugin came with this release
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "not ready", "reason": "migrations pending: run broen db upgrade"}
    assert "readyz: the database is at" in caplog.text and "Traceback" not in caplog.text

    upgrade(db, plugins)  # what the operator then runs; the same process is ready at once
    assert client.get("/readyz").json == {"status": "ready"}

    # A database a newer release has migrated (an older process during a rolling upgrade).
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('ffffffffffff')"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json is not None and "does not know: upgrade broen" in response.json["reason"]
    assert client.get("/healthz").status_code == 200  # liveness does not look at the database


def test_readyz_says_the_database_is_unreachable_without_a_500_or_its_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    sqlite = make_app(f"sqlite:///{folder / 'broen.db'}")
    shutil.rmtree(folder)  # the disk the database was on is gone
    postgres = make_app(f"postgresql+psycopg://broen:s3cret-pw@127.0.0.1:{free_port()}/broen")  # nobody there
    for app in (sqlite, postgres):
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            response = client.get("/readyz")
        assert (response.status_code, response.json) == (
            503,
            {"status": "not ready", "reason": "database unreachable"},
        )
        assert client.get("/healthz").status_code == 200
        db_of(app).dispose()
    assert caplog.text.count("readyz: database unreachable at") == 2
    assert "OperationalError" in caplog.text and "127.0.0.1" in caplog.text
    assert "s3cret-pw" not in caplog.text and "Traceback" not in caplog.text


# --- /metrics --------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_metrics_are_off_by_default(client: Client) -> None:
    assert client.get("/metrics").status_code == 404
    assert "broen_http_requests" not in client.get("/metrics").get_data(as_text=True)


def test_settings_and_the_multiprocess_folder_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dev = {"mode": "development"}
    with pytest.raises(ConfigError, match=r"^metrics\.enabled: expected true or false, got 'yes'$"):
        load_settings(
            None, overrides={"broen": dev, "metrics": {"enabled": "yes"}}, environ={}, read_file=False
        )
    assert not load_settings(None, overrides={"broen": dev}, environ={}, read_file=False).metrics.enabled
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=rf"^{MULTIPROC_ENV}: expected an existing directory"):
        build_metrics()


@SQLITE_ONLY
def test_metrics_count_requests_latency_and_feed_polls_by_url_rule_and_name_no_one(
    app: Flask, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    on = metrics_app(database_url)
    db = db_of(on)
    coordinator = world.user("silkeborg", "coordinator")
    citizen = world.citizens["silkeborg"][0]
    with on.app_context():
        token = tokens.issue(db, db.session.get_one(User, coordinator.id))
        names = [n for (n,) in db.session.execute(text("SELECT name FROM citizen"))]
    on.test_client_class = Client
    client: Client = on.test_client()  # type: ignore[assignment]
    assert client.login(coordinator).status_code == 302
    for page in ("/silkeborg/", "/silkeborg/citizens/", f"/silkeborg/citizens/{citizen}"):
        assert client.get(page).status_code == 200
    assert client.get(f"/silkeborg/citizens/{citizen}").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    feed = client.get(f"/feeds/{token}.ics")
    assert feed.status_code == 200
    assert (
        client.get(f"/feeds/{token}.ics", headers={"If-None-Match": feed.headers["ETag"]}).status_code == 304
    )
    assert client.get("/silkeborg/public/calendar/public.ics").status_code == 200

    with count_statements(on) as seen:
        response = on.test_client().get("/metrics")  # no login: Prometheus scrapes it
    assert response.status_code == 200 and seen == []
    assert response.content_type.startswith("text/plain")
    exposition = response.get_data(as_text=True)
    found = samples(exposition)

    requests = "broen_http_requests_total"
    assert value(found, requests, method="GET", endpoint="citizens.show", status="200") == 2
    assert value(found, requests, method="GET", endpoint="citizens.index", status="200") == 1
    assert value(found, requests, method="POST", endpoint="auth.login", status="302") == 1
    assert value(found, requests, method="GET", endpoint="none", status="404") == 1
    assert value(found, requests, method="GET", endpoint="calendar.personal_feed", status="200") == 1
    assert value(found, requests, method="GET", endpoint="calendar.personal_feed", status="304") == 1
    feeds = "broen_feed_responses_total"
    assert value(found, feeds, kind="personal", status="200") == 1
    assert value(found, feeds, kind="personal", status="304") == 1
    assert value(found, feeds, kind="public", status="200") == 1
    latency = "broen_http_request_duration_seconds"
    assert value(found, f"{latency}_count", endpoint="citizens.show") == 2
    assert value(found, f"{latency}_count", endpoint="none") == 1
    assert value(found, f"{latency}_bucket", endpoint="citizens.show", le="+Inf") == 2
    buckets = {float(dict(labels)["le"]) for name, labels in found if name == f"{latency}_bucket"}
    assert buckets == {*LATENCY_BUCKETS, float("inf")}
    assert value(found, f"{latency}_sum", endpoint="citizens.show") > 0

    # Every label is a URL rule's name or a bounded value: nothing a request could put there.
    endpoints = {rule.endpoint for rule in on.url_map.iter_rules()} | {"none"}
    for _name, labels in found:
        assert dict(labels).get("endpoint", "none") in endpoints
    for secret in (token, "silkeborg", f"/citizens/{citizen}", coordinator.email, "@", *names):
        assert secret not in exposition, secret
    db.dispose()


MULTIPROCESS_SCRIPT = """
import sys, time
from pathlib import Path
from broen.core.app import create_app
from broen.core.config import load_settings

url, count, done = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
settings = load_settings(
    None,
    overrides={"broen": {"mode": "development", "secret_key": "x" * 40, "database_url": url},
               "metrics": {"enabled": True}},
    environ={},
    read_file=False,
)
client = create_app(settings, testing=True).test_client()
for _ in range(count):
    assert client.get("/healthz").status_code == 200
assert client.get("/no/such/page").status_code == 404
if sys.argv[4] == "scrape":
    deadline = time.monotonic() + 120
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
else:
    done.touch()
"""


def test_with_a_multiprocess_folder_every_worker_process_s_counts_add_up(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {**os.environ, MULTIPROC_ENV: str(folder)}
    done = tmp_path / "first-worker-done"

    def worker(count: int, role: str) -> subprocess.Popen[str]:
        args = [sys.executable, "-c", MULTIPROCESS_SCRIPT, f"sqlite:///{tmp_path / 'broen.db'}"]
        return subprocess.Popen(
            [*args, str(count), str(done), role],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first, second = worker(3, "count"), worker(2, "scrape")
    outputs: list[Any] = [p.communicate(timeout=180) for p in (first, second)]
    assert first.returncode == 0, outputs[0][1]
    assert second.returncode == 0, outputs[1][1]
    found = samples(outputs[1][0])
    requests = "broen_http_requests_total"
    assert value(found, requests, method="GET", endpoint="core.health", status="200") == 5
    assert value(found, requests, method="GET", endpoint="none", status="404") == 2
    assert value(found, "broen_http_request_duration_seconds_count", endpoint="core.health") == 5
    assert len(list(folder.glob("*.db"))) >= 2  # one file per process and kind of metric
