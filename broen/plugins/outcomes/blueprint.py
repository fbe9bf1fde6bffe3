"""The outcomes plugin's blueprint (/<municipality>/outcomes/): the report, its CSV and print versions,
and the targets page."""

from __future__ import annotations

from flask import Blueprint

from broen import api

NAME = "outcomes"

bp = Blueprint(NAME, __name__, template_folder="templates")

#: Who may open the report.
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
