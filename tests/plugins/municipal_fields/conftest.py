"""Fixtures for the municipal fields plugin: the world with the plugin on in both municipalities."""

from __future__ import annotations

import pytest
from flask import Flask

from broen.core import accounts
from tests.conftest import World


@pytest.fixture
def fields_world(app: Flask, world: World) -> World:
    """The world, with the municipal fields plugin on in both municipalities."""
    with app.app_context():
        db = app.extensions["broen.db"]
        for m in world.municipalities.values():
            accounts.set_plugin_enabled(db, m, "municipal_fields", True)
    return world
