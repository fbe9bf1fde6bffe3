"""`broen backup` and `broen restore`: a consistent copy of the whole database while broen runs, and
bringing one back.

SQLite is copied with its online backup API (a writer in another process restarts the copy, so the file is
always one consistent state). PostgreSQL is dumped with `pg_dump --format=custom` inside a snapshot that
this module exports after counting the rows in it, so the row count printed is the dump's own. A backup is
written under a temporary name in the target's folder, mode 0600 (it holds personal data), and renamed
only when complete: a file under the final name is always a whole backup. Restoring checks the file is a
backup of the right kind before anything is touched; PostgreSQL restores in one transaction.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from broen.core import audit
from broen.core.db import Database, is_unmanaged_table
from broen.core.migrate import alembic_config, current_heads
from broen.core.plugins import PluginRegistry

#: `progress(done, total)`: how far a backup or restore has come (pages for SQLite, tables for PostgreSQL).
Progress = Callable[[int, int], None]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
#: The table every broen database has (Alembic's): a file without it is not a backup of broen.
MARKER_TABLE = "alembic_version"
#: libpq settings a database URL may carry as query parameters, passed on as PG* environment variables.
LIBPQ_QUERY = ("host", "port", "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout")


class BackupError(click.ClickException):
    """One line for the operator; nothing was changed (or, for a backup, nothing was left behind)."""


@dataclass(frozen=True)
class Backup:
    """A backup written: where, how big, and what is in it."""

    path: Path
    size: int
    rows: int
    tables: int


@dataclass(frozen=True)
class BackupFile:
    """A backup about to be restored: what it is and when it was made."""

    path: Path
    kind: str  # "sqlite" or "postgresql"
    created: datetime
    size: int


def _nothing(done: int, total: int) -> None:
    pass


def kind_of(db: Database) -> str:
    """ "sqlite" or "postgresql": which kind of backup this installation writes and reads."""
    backend = make_url(db.url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"broen cannot back up a {backend} database")
    return backend


def safe_url(db: Database) -> str:
    """The database URL without its password, for messages."""
    return make_url(db.url).render_as_string(hide_password=True)


def default_name(db: Database, now: datetime | None = None) -> str:
    """`broen-backup-<UTC time>.db` (SQLite) or `.dump` (PostgreSQL)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"broen-backup-{stamp}{'.db' if kind_of(db) == 'sqlite' else '.dump'}"


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


class _Bar:
    """A `Progress` drawing a click progress bar, opened once the total is known."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label)
            self.bar.__enter__()
        done = min(done, total)
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Progress]:
    """A `Progress` that draws a click progress bar (for the commands)."""
    bar = _Bar(label)
    try:
        yield bar
    finally:
        bar.close()


# --- writing a backup --------------------------------------------------------------------------------


def create_backup(
    db: Database, target: Path, *, force: bool = False, progress: Progress = _nothing
) -> Backup:
    """Write a consistent snapshot of the database to `target` (refuses an existing file unless `force`).

    The copy is audited (who made a copy of everyone's data, and when) in the snapshot itself.
    """
    kind = kind_of(db)
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target}: is a folder; give the backup file's name")
    if target.exists() and not force:
        raise BackupError(f"{target}: exists already; choose another name or add --force to overwrite it")
    if not target.parent.is_dir():
        raise BackupError(f"{target}: the folder {target.parent} does not exist")
    audit.record(db, audit.EXPORT, "database", None, kind=kind)
    db.session.commit()
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise BackupError(f"{target}: cannot write the backup ({exc.strerror})") from None
    os.close(fd)
    partial = Path(name)
    try:
        rows, tables = (_sqlite_backup if kind == "sqlite" else _pg_backup)(db, partial, progress)
        os.chmod(partial, 0o600)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        _publish(partial, target, force)
        size = target.stat().st_size
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{target}: cannot write the backup ({exc.strerror})") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(target, size, rows, tables)


def _publish(partial: Path, target: Path, force: bool) -> None:
    """Give the complete backup its final name; without `force`, never over a file that appeared meanwhile
    (OSError for the caller to report)."""
    if force:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)
    except FileExistsError:
        raise BackupError(f"{target}: exists already; choose another name or add --force") from None
    except OSError as exc:
        if target.exists() or exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
        os.replace(partial, target)  # a file system without hard links
        return
    partial.unlink()


def _sqlite_file(db: Database) -> Path:
    database = make_url(db.url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the database is in memory or not a plain file; there is nothing to back up")
    return Path(database)


def _sqlite_connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    return sqlite3.connect(uri, uri=True)


def _sqlite_copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress) -> None:
    pages = source.execute("PRAGMA page_count").fetchone()[0]
    progress(0, pages)
    # About a hundred steps: the bar moves, and a writer waits at most one step for the lock.
    source.backup(
        target,
        pages=max(64, pages // 100),
        progress=lambda status, remaining, total: progress(total - remaining, total),
    )


def _sqlite_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]
    # Records only: a full-text index's tables (`is_unmanaged_table`) hold copies of them.
    names = [name for name in names if not is_unmanaged_table(name)]
    quoted = ('"' + name.replace('"', '""') + '"' for name in names)
    return sum(conn.execute(f"SELECT count(*) FROM {q}").fetchone()[0] for q in quoted), len(names)  # noqa: S608


def _sqlite_backup(db: Database, partial: Path, progress: Progress) -> tuple[int, int]:
    path = _sqlite_file(db)
    if not path.is_file():
        raise BackupError(f"{path}: the database file does not exist")
    source = _sqlite_connect(path, read_only=True)
    target = sqlite3.connect(partial)
    try:
        _sqlite_copy(source, target, progress)
        return _sqlite_counts(target)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: the backup failed ({exc})") from None
    finally:
        target.close()
        source.close()


def _pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: [int(n) if n.isdigit() else n for n in re.split(r"(\d+)", p)],
    )
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return candidates[-1]


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for `url`: the password goes here, never on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key in LIBPQ_QUERY:
        value = url.query.get(key)
        if isinstance(value, str):
            env[f"PG{key.upper()}"] = value
    settings = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username, "PGPASSWORD": url.password}
    env.update({k: str(v) for k, v in settings.items() if v is not None})
    env["PGDATABASE"] = url.database or ""
    return env


def _run_pg(
    command: list[str], env: dict[str, str], marker: str, total: int, progress: Progress, failed: str
) -> None:
    """Run pg_dump/pg_restore --verbose: each `marker` line on stderr is one more table done. `failed`
    starts the error's one line."""
    done, errors = 0, []
    progress(0, total)
    try:
        proc = subprocess.Popen(  # noqa: S603 - the program and its arguments are ours
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise BackupError(f"{failed} ({command[0]}: {exc.strerror})") from None
    with proc:
        stderr: IO[str] = proc.stderr  # type: ignore[assignment]
        try:
            for line in stderr:
                if marker in line:
                    done += 1
                    progress(min(done, total), total)
                elif "error:" in line or "FATAL" in line or "ERROR" in line:
                    errors.append(line.strip())
            proc.wait()
        except BaseException:
            proc.kill()
            raise
    if proc.returncode != 0:
        reason = errors[0] if errors else f"{Path(command[0]).name}: exit status {proc.returncode}"
        raise BackupError(f"{failed} ({reason})")
    progress(total, total)


def _pg_backup(db: Database, partial: Path, progress: Progress) -> tuple[int, int]:
    url = make_url(db.url)
    tool = _pg_tool("pg_dump")
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        tables = conn.execute(
            text(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
            )
        ).all()
        quote = conn.dialect.identifier_preparer.quote
        records = [(s, t) for s, t in tables if not is_unmanaged_table(t)]  # not a full-text index's copies
        rows = sum(
            conn.execute(text(f"SELECT count(*) FROM {quote(s)}.{quote(t)}")).scalar_one()  # noqa: S608
            for s, t in records
        )
        # The dump reads the snapshot the rows were counted in; it lives while this transaction does.
        command = [tool, "--format=custom", "--verbose", f"--snapshot={snapshot}", f"--file={partial}"]
        failed = f"the backup of {safe_url(db)} failed"
        _run_pg(command, _pg_env(url), "dumping contents of table", len(tables), progress, failed)
    return rows, len(records)


# --- restoring ----------------------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except OSError as exc:
        raise BackupError(f"{path}: cannot be read ({exc.strerror})") from None


def inspect_backup(db: Database, path: Path) -> BackupFile:
    """What `path` is, if it is a backup this installation can restore; a `BackupError` naming it if not."""
    path = Path(path)
    head, kind = _head(path), kind_of(db)
    found = "sqlite" if head.startswith(SQLITE_MAGIC) else "postgresql" if head.startswith(PG_MAGIC) else None
    if found is None:
        raise BackupError(f"{path}: not a backup of broen (neither a SQLite database nor a pg_dump archive)")
    if found != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{path}: a {names[found]} backup, but this broen uses {names[kind]}; restore it on a "
            f"{names[found]} installation"
        )
    size = path.stat().st_size
    if kind == "sqlite":
        _check_sqlite(path)
        created = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    else:
        created = _pg_created(db, path)
    return BackupFile(path, kind, created, size)


def _check_sqlite(path: Path) -> None:
    try:
        conn = _sqlite_connect(path, read_only=True)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            marker = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: the backup is damaged ({exc})") from None
    if check != "ok":
        raise BackupError(f"{path}: the backup is damaged (SQLite's check says: {check})")
    if marker is None:
        raise BackupError(f"{path}: a SQLite database, but not a backup of broen")


def _pg_toc(db: Database, path: Path) -> str:
    result = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--list", str(path)],
        env=_pg_env(make_url(db.url)),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{path}: the backup is damaged (pg_restore cannot read it)")
    return result.stdout


def _pg_created(db: Database, path: Path) -> datetime:
    toc = _pg_toc(db, path)
    if not re.search(rf"TABLE DATA \S+ {MARKER_TABLE} ", toc):
        raise BackupError(f"{path}: a pg_dump archive, but not a backup of broen")
    match = re.search(r"^; Archive created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", toc, re.M)
    if match is None:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    # pg_dump writes the server's local time with its zone name; broen's servers run in UTC, and an
    # approximate date is all this is shown for.
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def restore_backup(db: Database, backup: BackupFile, *, progress: Progress = _nothing) -> None:
    """Replace the whole database with `backup` (from `inspect_backup`). Stop broen first: open
    connections would wait on the restore, or it on them."""
    db.dispose()
    if backup.kind == "sqlite":
        _sqlite_restore(db, backup.path, progress)
    else:
        _pg_restore(db, backup.path, progress)


def _sqlite_restore(db: Database, path: Path, progress: Progress) -> None:
    target_path = _sqlite_file(db)
    if not target_path.parent.is_dir():
        raise BackupError(f"{target_path}: the folder {target_path.parent} does not exist")
    try:
        source = _sqlite_connect(path, read_only=True)
        target = sqlite3.connect(target_path, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(f"{target_path}: cannot be opened ({exc})") from None
    try:
        # The backup API writes the whole target in one transaction: a failure leaves it as it was.
        _sqlite_copy(source, target, progress)
    except sqlite3.Error as exc:
        raise BackupError(f"{target_path}: the restore failed, nothing was changed ({exc})") from None
    finally:
        target.close()
        source.close()


def _pg_restore(db: Database, path: Path, progress: Progress) -> None:
    url = make_url(db.url)
    tables = _pg_toc(db, path).count(" TABLE DATA ")
    command = [
        _pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--verbose",
        f"--dbname={url.database}",
        str(path),
    ]
    failed = f"{path}: the restore failed, nothing was changed"
    _run_pg(command, _pg_env(url), "processing data for table", tables, progress, failed)


def migration_state(db: Database, plugins: PluginRegistry) -> str | None:
    """None when the database is at this broen's migrations; otherwise what to do about it."""
    expected = set(ScriptDirectory.from_config(alembic_config(db, plugins)).get_heads())
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config(db, plugins)).walk_revisions()}
    current = current_heads(db, plugins)
    if current == expected:
        return None
    if current - known:
        return (
            "The backup comes from a newer broen (its migrations are unknown here): "
            "install that version of broen before using it."
        )
    return "The backup is older than this broen: run 'broen db upgrade' before starting broen."


def record_restore(db: Database, backup: BackupFile) -> None:
    """The restored database's audit log says it was restored, and from a backup of when."""
    audit.record(db, audit.UPDATE, "database", None, restored_from=backup.created.isoformat())
    db.session.commit()
