"""The coordinator's pages for a citizen's wishes and matches, and the overview (placeholder: being built)."""

from __future__ import annotations

from broen import api
from broen.plugins.mentors.staff import bp  # noqa: F401  # the routes here are the staff blueprint's


def citizen_panels(citizen: api.Citizen, user: api.User) -> list[api.CitizenPanel]:
    return []


def worklist_items(municipality: api.Municipality, user: api.User) -> list[api.WorklistItem]:
    return []
