"""`broen mentors ...`: the mentor plugin's commands."""

from __future__ import annotations

import click
from sqlalchemy import select

from broen import api
from broen.plugins.mentors import intake
from broen.plugins.mentors.services import NAME


@click.group("mentors")
def mentors() -> None:
    """Volunteer mentors."""


@mentors.command("delete-expired-applications")
def delete_expired_applications() -> None:
    """Delete volunteer applications older than six months, as the sign-up form's consent text promises
    (run it daily, e.g. from cron). Applications a coordinator added to the pool are gone already."""
    db = api.db()
    municipalities = db.session.scalars(select(api.Municipality).order_by(api.Municipality.slug)).all()
    on = [m for m in municipalities if api.plugin_enabled(NAME, m)]
    if not on:
        click.echo("The mentor plugin is off in every municipality; nothing to delete.")
    for municipality in on:
        deleted = intake.delete_expired(db, municipality)
        click.echo(f"{municipality.name}: {deleted} expired applications deleted")
