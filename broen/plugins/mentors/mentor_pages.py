"""A mentor's own pages: their active mentees, next meetings, logging a meeting (placeholder: being built)."""

from __future__ import annotations

from flask import Blueprint

from broen import api

bp = Blueprint("mentors_me", __name__, template_folder="templates")


def menu_items(municipality: api.Municipality, user: api.User) -> list[api.MenuItem]:
    return []
