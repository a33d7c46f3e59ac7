"""`vantio backup PATH`: a consistent copy of a SQLite database while the server runs.

It uses SQLite's online backup API (`sqlite3.Connection.backup`), which copies the database page
by page and starts over whenever another connection writes, so the copy is one consistent state
even with the server writing. A PostgreSQL database is backed up with `pg_dump` (docs/deploy.md).

The secrets in the database are sealed with the server's key: a backup without it cannot open
them. When the key lives in a key file, the file is copied beside the backup as `PATH.key`
(mode 0600), the name a server started on `PATH` reads; a key given in `VANTIO_SECRET_KEY` is
the operator's to keep.
"""

import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import make_url

from vantio.config import Settings
from vantio.db.keys import key_file_path

PG_DUMP_HINT = (
    "This database is PostgreSQL: back it up with pg_dump, e.g.\n"
    "  pg_dump --format=custom --file={path} '{url}'\n"
    "and restore with pg_restore --clean --dbname=DBNAME {path} (docs/deploy.md)."
)


class BackupRefused(Exception):
    """What the operator must do instead, in one message."""


def sqlite_file(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupRefused("the database is in memory: there is nothing to back up")
    return Path(database)


def backup(settings: Settings, destination: Path, *, pages_per_step: int = 1024) -> Path:
    """Copy the SQLite database to `destination` (which must not exist); returns the source."""
    if not settings.is_sqlite:
        url = make_url(settings.database_url).set(drivername="postgresql")
        shown = url.render_as_string(hide_password=True)
        raise BackupRefused(PG_DUMP_HINT.format(path=destination, url=shown))
    source = sqlite_file(settings)
    if not source.exists():
        raise BackupRefused(f"no database file at {source}: nothing to back up")
    if destination.exists():
        raise BackupRefused(f"{destination} exists: choose a new file (a backup never overwrites)")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    # Read-only URI: the backup never writes to the live database.
    with sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as src:
        target = sqlite3.connect(partial)
        try:
            src.backup(target, pages=pages_per_step)
            check = target.execute("PRAGMA integrity_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupRefused(f"the copy failed its integrity check: {check}")
        finally:
            target.close()
    src.close()
    partial.rename(destination)  # a file at PATH is always a whole backup
    copy_key_file(settings, destination)
    return source


def copy_key_file(settings: Settings, destination: Path) -> Path | None:
    """The server's key file beside the backup (`PATH.key`, mode 0600); None when the key is
    not in a file."""
    key_file = key_file_path(settings)
    if key_file is None or not key_file.exists():
        return None
    copy = destination.with_name(destination.name + ".key")
    descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as target, key_file.open("rb") as source:
        shutil.copyfileobj(source, target)
    return copy
