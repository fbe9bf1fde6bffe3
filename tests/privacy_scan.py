"""What a database still holds as text, for the erasure tests: nothing of an erased citizen may remain."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import JSON, String, Text, select

from broen.core.db import Base
from broen.core.models import Citizen
from tests.conftest import World


def stored_texts(db: Any, prefix: str | tuple[str, ...] = "") -> str:
    """Every value of every text or JSON column of the tables whose name starts with `prefix` (or one of
    them; all tables by default), all rows, as one string."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if table.name.startswith(prefix) and columns:
            found += [
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for row in db.session.execute(select(*columns))
                for v in row
            ]
    return "\n".join(found)


def person(app: Flask, world: World, slug: str, index: int, phone: str) -> tuple[int, str, str, str]:
    """The `index`-th citizen of `slug`, given a phone: (id, name, e-mail, phone)."""
    with app.app_context():
        db = app.extensions["broen.db"]
        citizen = db.session.get_one(Citizen, world.citizens[slug][index])
        citizen.phone = phone
        db.session.commit()
        assert citizen.email
        return citizen.id, citizen.name, citizen.email, phone
