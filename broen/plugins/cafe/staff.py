"""The coordinator's café pages: courses, sessions, sign-ups, attendance and agenda."""

from __future__ import annotations

from flask import Blueprint

from broen import api

bp = Blueprint("cafe", __name__, template_folder="templates")


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The café's menu entries for staff."""
    return []
