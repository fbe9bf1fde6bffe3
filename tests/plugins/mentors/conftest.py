"""Fixtures for the mentor plugin: the world with the plugin on, mentors and citizens to match."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import Citizen
from broen.plugins.mentors import services
from broen.plugins.mentors.models import Background, Mentor, MentorStatus
from tests.conftest import World


@pytest.fixture
def mentors_world(app: Flask, world: World) -> World:
    """The world, with the mentor plugin on in both municipalities."""
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "mentors", True)
    return world


@pytest.fixture
def make_mentor(app: Flask, mentors_world: World) -> Callable[..., Mentor]:
    """An approved mentor of `slug` (Silkeborg) with one place unless told otherwise; in an app context."""

    def make(
        name: str, slug: str = "silkeborg", status: MentorStatus = MentorStatus.APPROVED, **kwargs: Any
    ) -> Mentor:
        data = services.MentorData(
            name=name, background=kwargs.pop("background", Background.EMPLOYED), **kwargs
        )
        return services.create_mentor(
            app.extensions["broen.db"],
            mentors_world.municipalities[slug],
            mentors_world.user(slug, "coordinator"),
            data,
            status=status,
            since=date(2026, 1, 5),
        )

    return make


@pytest.fixture
def make_citizen(app: Flask, mentors_world: World) -> Callable[..., Citizen]:
    def make(name: str = "Mette Borger", slug: str = "silkeborg") -> Citizen:
        return create_citizen(
            app.extensions["broen.db"],
            mentors_world.municipalities[slug],
            mentors_world.user(slug, "coordinator"),
            CitizenData(name=name),
        )

    return make
