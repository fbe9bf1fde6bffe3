"""Fixtures for the relatives plugin: the world with the plugin on in both municipalities."""

from __future__ import annotations

import pytest
from flask import Flask

from broen.core import accounts
from tests.conftest import World


@pytest.fixture
def relatives_world(app: Flask, world: World) -> World:
    """The world, with the relatives plugin on in both municipalities (citizens: `world.citizens[slug]`)."""
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "relatives", True)
    return world
