"""The participant's own café pages: their courses, sign up and leave, topics, the calendar link."""

from __future__ import annotations

from flask import Blueprint

from broen import api

bp = Blueprint("cafe_participant", __name__, template_folder="templates")


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    """The café's menu entries for a participant."""
    return []
