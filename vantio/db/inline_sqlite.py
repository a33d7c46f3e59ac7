"""SQLite on the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

aiosqlite runs each call of a connection (cursor, execute, fetch, close, commit) in a thread of its
own and hands the result back through the loop: a wake-up and a GIL handoff per call. SQLite is a
library and a hot request's statements take microseconds, so on a busy machine those handoffs
(up to the interpreter's 5 ms switch interval each, a dozen per request) were most of a validate's
latency. Measured by `bench/vouchers.py` and `bench/cpu_per_request.py`: see bench/README.md.

This module gives the dialect an object with aiosqlite's interface whose calls run at once, on the
caller's thread. Nothing here ever blocks the loop on another connection:

- every transaction begins with BEGIN IMMEDIATE (`engine._configure_sqlite`), the only statement
  that waits for SQLite's write lock; while another connection (the scan writer, a `vantio worker`
  process) holds it, `BEGIN` is retried here with an asynchronous sleep, up to the same 30 s a
  blocking busy handler would have waited, then fails with SQLITE_BUSY like it;
- the other statements keep a short busy timeout for the rare waits WAL mode still has;
- commits never checkpoint (`wal_autocheckpoint=0` on these connections): the WAL is copied back
  into the database file by `checkpoint_sqlite` in a thread, about once a second after a commit,
  so that its fsync never runs on the loop.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

log = logging.getLogger("vantio.db")

# As long as SQLite's own busy handler waited before (`connect_args={"timeout": 30}`).
LOCK_WAIT_SECONDS = 30.0
# The busy handler of statements other than BEGIN (WAL recovery, a checkpoint's brief lock).
STATEMENT_BUSY_MS = 100


def is_busy(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


class _RunNow:
    """aiosqlite's queue of calls (`_tx`), which the dialect's isolation-level setter uses
    directly: the call runs at once."""

    def put_nowait(self, item: tuple["asyncio.Future[Any]", Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class Cursor:
    """aiosqlite's `Cursor` interface over a `sqlite3.Cursor`, run on the caller's thread."""

    def __init__(self, connection: "Connection") -> None:
        self._owner = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> "Cursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> "Cursor":
        if sql.startswith("BEGIN"):
            await self._owner._begin(self._cursor, sql)
        elif parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Sequence[Any]]) -> "Cursor":
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return self._cursor.fetchmany()
        return self._cursor.fetchmany(size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> "Cursor":
        return self

    async def __anext__(self) -> Any:
        row = self._cursor.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class Connection:
    """aiosqlite's `Connection` interface over a `sqlite3.Connection`, run on the caller's thread."""

    def __init__(self, conn: sqlite3.Connection, after_commit: Callable[[], None]) -> None:
        self._conn = conn
        self._tx = _RunNow()
        self._after_commit = after_commit

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """What the dialect tests before a commit or rollback: None once closed."""
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> Cursor:
        return Cursor(self)

    async def _begin(self, cursor: sqlite3.Cursor, sql: str) -> None:
        """BEGIN, waiting for the write lock asynchronously (the loop goes on meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_SECONDS
        delay = 0.0005
        cursor.execute("PRAGMA busy_timeout = 0")  # SQLite's handler would sleep on the loop
        try:
            while True:
                try:
                    cursor.execute(sql)
                    return
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc) or loop.time() + delay > deadline:
                        raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {STATEMENT_BUSY_MS:d}")

    async def commit(self) -> None:
        self._conn.commit()
        self._after_commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        """aiosqlite's forced close (the pool's terminate of a connection being discarded)."""
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


class Checkpoints:
    """Copies the WAL back into the database file in a thread, at most about once a second
    (`soon` after each commit): the engine's connections here and the scan writer's."""

    def __init__(self, run: Callable[[], None]) -> None:
        self._run = run
        self._running: asyncio.Future[None] | None = None
        self._last = 0.0

    def soon(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a commit outside a loop (never in the app): let it be
            return
        if self._running is not None and not self._running.done():
            return
        if loop.time() - self._last < 1.0:
            return
        self._last = loop.time()
        self._running = loop.run_in_executor(None, self._run)
        self._running.add_done_callback(self._done)

    async def drained(self) -> None:
        """Wait for the checkpoint under way, if any (before its engine is disposed)."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    def _done(self, future: "asyncio.Future[None]") -> None:
        if future.cancelled() or (exc := future.exception()) is None:
            return
        if is_busy(exc):  # another connection was checkpointing: the next one catches up
            log.debug("the SQLite WAL checkpoint met another one: %r", exc)
        else:
            log.warning("checkpointing the SQLite WAL failed: %r", exc)


def creator(url: str, checkpoints: Checkpoints) -> Callable[[], Any]:
    """The engine's `async_creator`: opens a connection to `url` as the dialect would."""
    arguments, options = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    options = {**options, "check_same_thread": False}  # the pool may close it in a finalizer
    options["timeout"] = STATEMENT_BUSY_MS / 1000

    async def connect() -> Connection:
        conn = sqlite3.connect(*arguments, **options)  # type: ignore[call-overload]
        return Connection(conn, after_commit=checkpoints.soon)

    return connect
