"""No personal data in logs: everything broen logs during a full demo run (every plugin's demo data, made
through the same services the pages use) and a walk over the demo's pages holds no citizen's name, e-mail or
phone, and no calendar feed token."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from broen.calendar.models import FeedToken
from broen.core.migrate import upgrade
from broen.core.models import Citizen, User
from tests.conftest import make_app


def test_a_demo_run_logs_no_citizens_name_email_phone_or_feed_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'demo.db'}", plugins=())
    db = app.extensions["broen.db"]
    caplog.set_level(logging.DEBUG)
    try:
        with app.app_context():
            upgrade(db, app.extensions["broen.plugins"])
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            citizens = db.session.execute(
                select(Citizen.id, Citizen.name, Citizen.email, Citizen.phone)
            ).all()
            participant = db.session.scalars(
                select(User).where(User.email == "deltager@silkeborg.demo")
            ).one()
        client = app.test_client()
        client.post("/login", data={"email": participant.email, "password": "broen-demo-2026"})
        for slug in ("silkeborg",):
            for url in (f"/{slug}/", f"/{slug}/cafe/me/", f"/{slug}/contacts/me/", f"/{slug}/calendar/"):
                client.get(url)
        with app.app_context():
            tokens = list(db.session.scalars(select(FeedToken.token_hash)))
    finally:
        db.dispose()
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(citizens) >= 60 and caplog.records, "the demo ran and logged"
    needles = {text for _id, name, email, phone in citizens for text in (name, email, phone) if text}
    found = sorted(n for n in needles if n in logged)
    assert found == [], f"personal data in the log: {found[:5]}"
    assert not any(t in logged for t in tokens)
    assert not re.search(r"/feeds/[A-Za-z0-9_-]{20,}", logged), "a feed link in the log"
