"""`broen pages rerender`: make the stored HTML of every page again after the sanitiser's rules changed."""

from __future__ import annotations

import click

from broen import api
from broen.plugins.pages import services


@click.group("pages")
def pages() -> None:
    """Pages and news."""


@pages.command("rerender")
def rerender() -> None:
    """Make the stored HTML again for the pages saved under older Markdown or sanitiser rules."""
    done = services.rerender_stale(api.db())
    click.echo(f"{done} page(s) made again.")
