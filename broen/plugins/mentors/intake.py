"""The volunteers' public sign-up form and the coordinators' intake list (placeholder: being built)."""

from __future__ import annotations

from flask import Blueprint

from broen.plugins.mentors.staff import bp  # noqa: F401  # the intake list is on the staff blueprint

public_bp = Blueprint("mentors_public", __name__, template_folder="templates")
