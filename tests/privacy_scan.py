"""What a database still holds as text, for the erasure tests: nothing of an erased citizen may remain."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, String, Text, select

from broen.core.db import Base


def stored_texts(db: Any, prefix: str = "") -> str:
    """Every value of every text or JSON column of the tables whose name starts with `prefix` (all tables by
    default), all rows, as one string."""
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
