"""Counting the SQL statements a piece of code sends, for tests that pin a page's queries (a count, unlike a
time, does not depend on how busy the machine is)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event


class Statements(list[str]):
    """The statements sent, in order (their SQL text)."""


@contextmanager
def count_statements(app: Flask) -> Iterator[Statements]:
    """Collect every statement `app`'s engine executes inside the `with` block."""
    engine = app.extensions["broen.db"].engine
    seen = Statements()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
