"""How the café shows times and guest talks: one way for the coordinator's pages, the participant's pages
and the e-mails."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from broen import api
from broen.plugins.cafe.models import GuestKind

GUEST_KINDS = {
    GuestKind.COMPANY: api.lazy_gettext("Guest from a company"),
    GuestKind.LIVED_EXPERIENCE: api.lazy_gettext("Guest with lived experience"),
}


def local_time(moment: datetime, timezone: str) -> datetime:
    """An instant as wall-clock time in `timezone` (a course's)."""
    return moment.astimezone(ZoneInfo(timezone))


def template_helpers() -> dict[str, Any]:
    """What the café's templates use (`cafe/_when.html`): `local` and `guest_kinds`."""
    return {"local": local_time, "guest_kinds": GUEST_KINDS}
