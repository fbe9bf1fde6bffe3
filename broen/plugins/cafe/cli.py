"""`broen cafe ...`: the café's commands."""

from __future__ import annotations

import click


@click.group("cafe")
def cafe() -> None:
    """Café meetings."""
