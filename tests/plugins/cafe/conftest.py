"""Fixtures for the café plugin: the world with the café on, and citizens who may (or may not) join."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from broen.core import accounts
from broen.core.citizens.services import CitizenData, create_citizen
from broen.core.models import Citizen, Municipality, PluginState
from broen.core.plugins import registry
from broen.plugins.cafe import services
from broen.plugins.cafe.models import Course
from tests.conftest import World


@pytest.fixture
def cafe_world(app: Flask, world: World) -> World:
    """The world, with the café plugin on in both municipalities."""
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "cafe", True)
    return world


def citizen(
    app: Flask,
    world: World,
    name: str,
    slug: str = "silkeborg",
    *,
    approved: bool = True,
    mental_health: bool = True,
    email: str | None = None,
) -> Citizen:
    """A new citizen of `slug` (by default one who may join a café); call inside an app context."""
    db = app.extensions["broen.db"]
    return create_citizen(
        db,
        world.municipalities[slug],
        world.user(slug, "coordinator"),
        CitizenData(
            name=name, email=email, flexjob_approved=approved, flexjob_mental_health_basis=mental_health
        ),
    )


@pytest.fixture
def make_citizen(app: Flask, cafe_world: World) -> Callable[..., Citizen]:
    def make(name: str, slug: str = "silkeborg", **kwargs: Any) -> Citizen:
        return citizen(app, cafe_world, name, slug, **kwargs)

    return make


@pytest.fixture
def make_course(app: Flask, cafe_world: World) -> Callable[..., Course]:
    """A weekly course in Silkeborg (five Tuesdays at 17:00 from 2026-10-13 unless told otherwise)."""

    def make(slug: str = "silkeborg", **kwargs: Any) -> Course:
        values: dict[str, Any] = {
            "title": "Café på vej",
            "first_date": date(2026, 10, 13),
            "start": time(17, 0),
            "venue": "Biblioteket, Hostrupsgade 41",
            **kwargs,
        }
        return services.create_course(
            app.extensions["broen.db"],
            cafe_world.municipalities[slug],
            cafe_world.user(slug, "coordinator"),
            **values,
        )

    return make


def save_settings(app: Flask, municipality: Municipality, **values: Any) -> None:
    """Store café settings for a municipality, as the admin's settings form does."""
    db = app.extensions["broen.db"]
    state = db.session.scalar(
        select(PluginState).where(
            PluginState.municipality_id == municipality.id, PluginState.plugin == "cafe"
        )
    )
    assert state is not None
    state.settings = registry().encode_settings("cafe", values)
    db.session.commit()
