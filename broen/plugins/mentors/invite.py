"""A mentor's log-in through the core's single-use invitation link (placeholder: being built)."""

from __future__ import annotations

from broen.plugins.mentors.staff import bp  # noqa: F401  # the invite pages are on the staff blueprint
