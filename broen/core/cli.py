"""The `broen` command line: Flask's click group, so `flask --app broen ...` works the same.

`broen init` needs no app (it writes the configuration); every other command runs in an app context.
A bad configuration ends any command with one line naming the setting, and exit status 2.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click
import sqlalchemy.exc
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo

from broen.core.config import ConfigError

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "config.example.toml"


def _set_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        os.environ["BROEN_CONFIG"] = value


def _create_app() -> Flask:
    from broen.core.app import create_app

    return create_app()


@click.command("init")
@click.option("--path", default="broen.toml", show_default=True, help="Where to write the configuration.")
@click.option("--development", is_flag=True, help="Write a development configuration (http cookies).")
def init_command(path: str, development: bool) -> None:
    """Write a configuration file with a fresh secret key (never overwrites one)."""
    target = Path(path)
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('secret_key = "change-me"', f'secret_key = "{secrets.token_urlsafe(48)}"', 1)
    if development:
        text = text.replace('mode = "production"', 'mode = "development"', 1)
    try:
        # Created 0600 from the first byte (the secret is never readable by others), and never over an
        # existing file.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        click.echo(f"{target} exists already; left as it is.")
        return
    except OSError as exc:
        raise click.ClickException(f"{target}: cannot write the configuration ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    broen = "broen" if target == Path("broen.toml") else f"broen --config {target}"
    click.echo(f"Wrote {target} with a new secret key. Next: {broen} db upgrade, {broen} create-admin EMAIL.")


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the database up to date: the core's and every installed plugin's migrations."""
    from broen.core.migrate import upgrade

    click.echo("Upgrading the database ...")
    upgrade(current_app.extensions["broen.db"], current_app.extensions["broen.plugins"])
    click.echo("The database is up to date.")


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="Asked for when not given (at least 10 characters).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an installation administrator (creates municipalities, manages all users)."""
    from broen.core.accounts import AccountError, create_user

    try:
        create_user(current_app.extensions["broen.db"], email, name, password, installation_admin=True)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created installation admin {email}. Log in at /login.")


@click.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn a user's two-factor login off and end their sessions (a lost phone and lost recovery codes;
    for an installation admin, who has no admin above them)."""
    from sqlalchemy import select

    from broen.core import audit, two_factor
    from broen.core.models import User

    db = current_app.extensions["broen.db"]
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"{email}: no user has that e-mail")
    two_factor.disable(db, user)
    audit.record(db, audit.UPDATE, "user", user.id, fields=["two_factor"])
    db.session.commit()
    click.echo(
        f"Two-factor login is off for {user.email}; their sessions have ended. They log in with the password."
    )


@click.command("demo")
def demo_command() -> None:
    """Fill the database with Silkeborg and Norddjurs demo data (Danish, made up)."""
    from broen.core.demo import create_demo
    from broen.core.migrate import upgrade

    upgrade(current_app.extensions["broen.db"], current_app.extensions["broen.plugins"])
    create_demo(
        current_app.extensions["broen.db"],
        current_app.extensions["broen.plugins"],
        echo=click.echo,
        base_url=current_app.config["BROEN"].broen.base_url,
    )


@click.group("config")
def config_group() -> None:
    """A municipality's configuration (plugins on or off, their settings, fields) as a TOML file."""


def _municipality(slug: str) -> Any:
    from sqlalchemy import select

    from broen.core.models import Municipality

    found = current_app.extensions["broen.db"].session.scalar(
        select(Municipality).where(Municipality.slug == slug)
    )
    if found is None:
        raise click.ClickException(f"no municipality with the short name {slug!r}")
    return found


@config_group.command("export")
@click.argument("municipality")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
def config_export(municipality: str, file: str | None) -> None:
    """Write MUNICIPALITY's configuration to FILE (default: the standard output)."""
    from broen.core import configuration

    db = current_app.extensions["broen.db"]
    found = _municipality(municipality)
    try:
        text = configuration.export_configuration(db, found)
    except configuration.ConfigurationError as exc:
        raise click.ClickException("; ".join(exc.problems)) from None
    configuration.record_export(db, found, None)
    if file is None:
        click.echo(text, nl=False)
        return
    Path(file).write_text(text, encoding="utf-8")
    click.echo(f"Wrote the configuration of {found.name} to {file}.", err=True)


@config_group.command("import")
@click.argument("municipality")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
def config_import(municipality: str, file: str, dry_run: bool) -> None:
    """Import FILE into MUNICIPALITY (preview first with --dry-run). Nothing changes if anything is wrong."""
    from broen.core import configuration

    db = current_app.extensions["broen.db"]
    found = _municipality(municipality)
    with open(file, "rb") as handle:
        data = handle.read(configuration.MAX_BYTES + 1)
    try:
        if dry_run:
            plan = configuration.plan_import(db, found, data, None)
        else:
            plan = configuration.apply_import(db, found, data, None)
    except configuration.ConfigurationError as exc:
        plan = configuration.Plan(problems=exc.problems)
    if plan.problems:
        raise click.ClickException(
            "the file cannot be imported; nothing was changed:\n"
            + "\n".join(f"  - {p}" for p in plan.problems)
        )
    for change in plan.plugins:
        state = "turned on" if change.turned_on else "turned off" if change.turned_off else None
        what = [state] if state else []
        if change.settings:
            what.append("settings changed: " + ", ".join(change.settings))
        summary = "; ".join(what) or ("on" if change.enabled else "off")
        click.echo(f"{change.title} ({change.name}): {summary}")
        for line in change.lines:
            click.echo(f"  - {line}")
    for note in plan.notes:
        click.echo(note)
    click.echo("Dry run: nothing was changed." if dry_run else f"Imported into {found.name}.")


@click.group("privacy")
def privacy_group() -> None:
    """Citizens' data: erase what is kept longer than each municipality's retention period."""


@privacy_group.command("enforce-retention")
@click.option("--dry-run", is_flag=True, help="Only say what is due; erase nothing.")
def enforce_retention(dry_run: bool) -> None:
    """Erase the data of citizens whose course ended longer ago than their municipality keeps records
    (5 years unless its admin chose otherwise). Safe to run daily, and twice."""
    from datetime import date

    from broen.core import privacy

    erased = privacy.enforce_retention(
        current_app.extensions["broen.db"],
        current_app.extensions["broen.plugins"],
        date.today(),
        click.echo,
        dry_run=dry_run,
    )
    click.echo("Dry run: nothing was erased." if dry_run else f"Erased {erased} citizen records.")


@click.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def backup_command(file: str | None, force: bool) -> None:
    """Write a consistent snapshot of the database to FILE while broen runs (default: here, named
    broen-backup-<UTC time>.db for SQLite or .dump for PostgreSQL). It holds personal data: mode 0600."""
    from broen.core import backup

    db = current_app.extensions["broen.db"]
    target = Path(file or backup.default_name(db))
    click.echo(f"Backing up {backup.safe_url(db)} to {target} ...")
    with backup.progress_bar("Copying") as progress:
        made = backup.create_backup(db, target, force=force, progress=progress)
    click.echo(
        f"Wrote {made.path} ({backup.human_size(made.size)}, {made.rows} rows in {made.tables} tables). "
        "It holds personal data: store it encrypted."
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
def restore_command(file: str, yes: bool) -> None:
    """Replace the whole database with the backup FILE (made by 'broen backup'). Stop broen first."""
    from broen.core import backup

    db = current_app.extensions["broen.db"]
    found = backup.inspect_backup(db, Path(file))
    click.echo(f"This replaces everything in the database {backup.safe_url(db)}")
    click.echo(
        f"with the backup {found.path} (made {found.created:%Y-%m-%d %H:%M} UTC, "
        f"{backup.human_size(found.size)})."
    )
    if not yes:
        if not sys.stdin.isatty():
            raise click.ClickException("cannot ask for confirmation without a terminal: add --yes to restore")
        click.confirm("Replace the database with the backup?", abort=True)
    with backup.progress_bar("Restoring") as progress:
        backup.restore_backup(db, found, progress=progress)
    problem = backup.migration_state(db, current_app.extensions["broen.plugins"])
    if problem is None:
        backup.record_restore(db, found)
    click.echo(f"Restored {found.path}." + (f" {problem}" if problem else " The schema is up to date."))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve broen with Werkzeug, for trying it out. In production use gunicorn (docs/operations.md)."""
    from werkzeug.serving import run_simple

    click.echo(f"broen is at http://{host}:{port}/ (Ctrl+C stops it)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_debugger=False)  # type: ignore[attr-defined]


def register(app: Flask) -> None:
    """Add broen's commands (and every plugin's, through `broen_cli`) to `app.cli`."""
    for command in (
        db_group,
        config_group,
        privacy_group,
        create_admin,
        reset_two_factor,
        demo_command,
        backup_command,
        restore_command,
        serve,
    ):
        app.cli.add_command(command)
    app.extensions["broen.plugins"].call_each("broen_cli", group=app.cli)


class _BroenGroup(FlaskGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a traceback when the app cannot be built (for `broen --help` too); a bad
        # configuration gets its one line, and the commands that need no app are still listed.
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigError as exc:
            click.echo(f"broen: {exc.format_message()}", err=True)
            return sorted(click.Group.list_commands(self, ctx))
        except Exception:  # noqa: S110 - Flask's own list_commands reports it, with the traceback
            pass
        return super().list_commands(ctx)


main = _BroenGroup(
    name="broen",
    create_app=_create_app,
    add_version_option=False,
    params=[
        click.Option(
            ["--config"],
            expose_value=False,
            callback=_set_config,
            is_eager=True,
            help="The configuration file (default: $BROEN_CONFIG, or ./broen.toml).",
            # No checks here: load_settings reports a missing or unreadable file in broen's one line.
            type=click.Path(),
        )
    ],
)
main.add_command(init_command)


def run(argv: list[str] | None = None) -> Any:
    """Entry point that turns a bad configuration into one line and exit status 2."""
    try:
        return main.main(argv, standalone_mode=False)
    except ConfigError as exc:
        click.echo(f"broen: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except sqlalchemy.exc.OperationalError as exc:
        # The server is down, the file cannot be opened, or the schema is missing: the operator's to fix.
        reason = str(exc.orig or exc).strip().splitlines()[0]
        click.echo(
            f"broen: the database cannot be used ({reason}); check broen.database_url, and run "
            "'broen db upgrade' on a new database",
            err=True,
        )
        sys.exit(1)
