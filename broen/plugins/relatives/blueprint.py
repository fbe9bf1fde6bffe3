"""The relatives plugin's blueprints: the staff pages (/<municipality>/relatives/), shared by `staff`,
`intake` and `courses`, and the public referral form (/<municipality>/public/relatives/)."""

from __future__ import annotations

from flask import Blueprint

from broen import api

NAME = "relatives"

bp = Blueprint("relatives", __name__, template_folder="templates")
public_bp = Blueprint("relatives_public", __name__, template_folder="templates")

#: Who may open the staff pages.
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
