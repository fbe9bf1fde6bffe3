"""Alembic environment for broen: the engine comes from the app (see broen.core.migrate)."""

from __future__ import annotations

from alembic import context

import broen.calendar.models
import broen.core.models  # noqa: F401 - registers the core tables on Base.metadata
from broen.core.db import Base, include_name

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
