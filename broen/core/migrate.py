"""Alembic, driven from code: one environment, the core's revisions plus each plugin's branch.

`broen db upgrade` brings an empty or older database to the newest revision of the core and of
every installed plugin (`upgrade heads`: each plugin is its own branch, depending on the core).
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

from broen.core.db import Database
from broen.core.plugins import PluginRegistry

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(db: Database, plugins: PluginRegistry) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    for _name, path in plugins.call_each("broen_migrations"):
        if path is not None:
            locations.append(str(Path(path).resolve()))
    # os.pathsep-separated, so folders with spaces in their names work.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    cfg.attributes["engine"] = db.engine
    return cfg


def upgrade(db: Database, plugins: PluginRegistry, revision: str = "heads") -> None:
    command.upgrade(alembic_config(db, plugins), revision)


def current_heads(db: Database, plugins: PluginRegistry) -> set[str]:
    """The revisions the database is at (empty for a new database)."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
