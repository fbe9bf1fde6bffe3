"""The staff blueprint of the mentor plugin (/<municipality>/mentors/), shared by the modules whose
pages are on it: `staff` (the pool), `matches`, `intake` and `invite`."""

from __future__ import annotations

from flask import Blueprint

from broen import api

bp = Blueprint("mentors", __name__, template_folder="templates")

#: Who may open the staff pages.
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
