"""The employers plugin's blueprint: the staff pages (/<municipality>/employers/), shared by its views
modules."""

from __future__ import annotations

from flask import Blueprint

from broen import api

NAME = "employers"

bp = Blueprint("employers", __name__, template_folder="templates")

#: Who may open the pages.
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
