"""One process at a time through start-up: migrations and the first account.

Any number of `vantio serve` / `vantio worker` processes may start at once on one database.
What they do before serving (Alembic's upgrade, creating the first account and its key) runs
under one lock per database, so the first migrates and the others find the schema at head and
the account made:

- PostgreSQL: a session-level advisory lock (`pg_advisory_lock`), held on a connection of its
  own for the whole start-up; PostgreSQL releases it if the process dies.
- SQLite: an exclusive `flock` on a file beside the database file (`vantio.db.lock` beside
  `vantio.db`); the kernel releases it if the process dies. An in-memory database has no
  other process to wait for.
"""

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from vantio.config import Settings

# pg_advisory_lock's key: any fixed bigint that no other lock of the database uses ("vantio" in
# ASCII).
ADVISORY_KEY = 0x76616E74696F


def sqlite_lock_path(settings: Settings) -> Path | None:
    """The lock file beside the SQLite database file; None for an in-memory database."""
    database = make_url(settings.database_url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database + ".lock")


@contextlib.asynccontextmanager
async def startup_lock(settings: Settings) -> AsyncIterator[None]:
    """Hold the database's start-up lock for the body (waiting for it as long as it takes)."""
    if settings.is_sqlite:
        path = sqlite_lock_path(settings)
        if path is not None and not path.parent.is_dir():
            # Said here: the driver's own failure leaves a thread writing to a closed loop.
            raise sqlite3.OperationalError(
                f"unable to open database file: the directory {path.parent} does not exist"
            )
        async with _file_lock(path):
            yield
        return
    engine = create_async_engine(settings.database_url, poolclass=NullPool, hide_parameters=True)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            await connection.commit()  # the lock is the session's: no transaction stays open
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                    )
                    await connection.commit()
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _file_lock(path: Path | None) -> AsyncIterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: one process at a time is the operator's
        fcntl = None  # type: ignore[assignment]
    if path is None or fcntl is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
