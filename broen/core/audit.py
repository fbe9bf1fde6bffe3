"""The audit log: who viewed, searched, changed, exported or deleted which record, when and from where.

Call `record(...)` inside the same transaction as the change it describes, so a change is never
committed without its entry. Put field *names* in `details`, never a citizen's values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import insert

from broen.core.db import Database
from broen.core.models import AuditEntry, User

VIEW = "view"
SEARCH = "search"
CREATE = "create"
UPDATE = "update"
EXPORT = "export"
DELETE = "delete"
ERASE = "erase"

#: How each action reads on the pages that show the log.
ACTION_LABELS = {
    VIEW: _l("viewed"),
    SEARCH: _l("searched"),
    "list": _l("listed"),
    CREATE: _l("created"),
    UPDATE: _l("changed"),
    EXPORT: _l("exported"),
    DELETE: _l("deleted"),
    ERASE: _l("erased"),
}


def _who_and_where(by: User | None, municipality_id: int | None) -> dict[str, Any]:
    if by is None and has_request_context() and current_user.is_authenticated:
        by = current_user._get_current_object()
    if municipality_id is None and has_request_context() and "municipality" in g:
        municipality_id = g.municipality.id
    return {
        "user_id": by.id if by is not None else None,
        "user_name": by.name if by is not None else "system",
        "remote_addr": request.remote_addr if has_request_context() else None,
        "municipality_id": municipality_id,
    }


def record(
    db: Database,
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    by: User | None = None,
    municipality_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the session (committed with the caller's transaction)."""
    entry = AuditEntry(
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        **_who_and_where(by, municipality_id),
    )
    db.session.add(entry)
    return entry


def record_each(
    db: Database,
    action: str,
    object_type: str,
    object_ids: Iterable[int],
    *,
    by: User | None = None,
    municipality_id: int | None = None,
    **details: Any,
) -> int:
    """One entry per object (e.g. each citizen a list page shows), written in one INSERT statement however
    many there are, in the caller's transaction; returns how many."""
    common = _who_and_where(by, municipality_id)
    rows = [
        {"action": action, "object_type": object_type, "object_id": object_id, "details": details, **common}
        for object_id in dict.fromkeys(object_ids)
    ]
    if rows:
        db.session.execute(insert(AuditEntry), rows)
    return len(rows)
