"""No personal data in logs: everything broen logs during a full demo run (every plugin's demo data, made
through the same services the pages use) and a participant's walk over their own pages holds no citizen's
name, e-mail or phone, and no calendar feed link."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from broen.core.demo import DEMO_PASSWORD
from broen.core.models import Citizen
from tests.conftest import Demo


def test_a_demo_run_logs_no_citizens_name_email_phone_or_feed_link(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    db = demo.app.extensions["broen.db"]
    citizens = db.session.execute(select(Citizen.name, Citizen.email, Citizen.phone)).all()
    caplog.set_level(logging.DEBUG)
    client = demo.app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', login
    )
    assert token
    form = {"email": "deltager@silkeborg.demo", "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form).status_code == 302
    for url in ("/silkeborg/", "/silkeborg/cafe/me/", "/silkeborg/contacts/me/"):
        assert client.get(url).status_code == 200, url
    logged = demo.log + "\n" + "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(citizens) >= 60 and demo.log, "the demo ran and logged"
    needles = {text for row in citizens for text in row if text}
    found = sorted(n for n in needles if n in logged)
    assert found == [], f"personal data in the log: {found[:5]}"
    assert not re.search(r"/feeds/[A-Za-z0-9_-]{20,}", logged), "a feed link in the log"
