"""The contacts plugin's blueprints: the staff pages (/<municipality>/contacts/) and the citizen's own
page (/<municipality>/contacts/me/)."""

from __future__ import annotations

from flask import Blueprint

from broen import api

NAME = "contacts"

bp = Blueprint("contacts", __name__, template_folder="templates")
me_bp = Blueprint("contacts_me", __name__, template_folder="templates")

#: Who may open the staff pages.
STAFF = (api.Role.ADMIN, api.Role.COORDINATOR)
