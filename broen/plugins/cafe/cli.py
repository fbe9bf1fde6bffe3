"""`broen cafe ...`: the café's commands."""

from __future__ import annotations

import click
from sqlalchemy import select

from broen import api
from broen.plugins.cafe import notify
from broen.plugins.cafe.services import NAME


@click.group("cafe")
def cafe() -> None:
    """Café meetings."""


@cafe.command("send-reminders")
@click.option("--municipality", "slug", metavar="SLUG", help="Only this municipality (its slug).")
def send_reminders(slug: str | None) -> None:
    """E-mail each participant the day before their café session (run it daily, e.g. from cron).

    Each reminder is sent once, however often this runs; a reminder that failed is tried again on the
    next run. Exits with status 1 if any mail failed.
    """
    db = api.db()
    municipality = None
    if slug is not None:
        municipality = db.session.scalar(select(api.Municipality).where(api.Municipality.slug == slug))
        if municipality is None:
            raise click.BadParameter(f"no municipality {slug!r}", param_hint="--municipality")
        if not api.plugin_enabled(NAME, municipality):
            click.echo(f"{municipality.name}: the café is off; nothing to send.")
            return
    summary = notify.send_reminders(db, municipality=municipality)
    if not summary.municipalities:
        click.echo("The café is off in every municipality; nothing to send.")
    for counts in summary.municipalities:
        click.echo(f"{counts.municipality.name}: {counts.sent} reminders sent, {counts.failed} failed")
    if summary.failed:
        raise click.ClickException(
            f"{summary.failed} reminders could not be sent; check the [mail] settings. "
            "The next run tries them again."
        )
