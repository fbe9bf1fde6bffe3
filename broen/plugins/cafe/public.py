"""The café's public pages: a course's calendar feed, with no participant data at all."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cafe_public", __name__)
