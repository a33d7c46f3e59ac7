"""The async engine: SQLite in WAL mode with immediate transactions, or PostgreSQL via asyncpg.

Every engine hides statement parameters (`hide_parameters=True`): SQLAlchemy otherwise prints
them in the text of every database error, and so in logs and stored tracebacks (`jobs.last_error`),
where they would carry API key hashes, webhook secrets and personal data.
"""

import functools
import logging
import sqlite3
import time
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy
from sqlalchemy import Engine, event, exc, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vantio.config import Settings
from vantio.db import inline_sqlite
from vantio.db.keys import create_sqlite_file
from vantio.db.types import sqlstate_of


class _NoRowValues(logging.Filter):
    """At DEBUG, SQLAlchemy's engine log prints every row a query returns (secrets, key hashes,
    emails): those records are dropped; the statements, their parameters hidden, remain."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_ENGINE_LOG_FILTER = _NoRowValues()
logging.getLogger("sqlalchemy.engine.Engine").addFilter(_ENGINE_LOG_FILTER)


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        create_sqlite_file(settings)  # mode 0600 before SQLite creates it world-readable
        # One connection: SQLite has one write lock, and every transaction takes it (BEGIN
        # IMMEDIATE), so the pool's fair queue hands it over instead of SQLite's busy handler,
        # whose sleeps starved waiting writers (apply p99 3.9 s with 8 connections, 0.5 s with one).
        # Its calls run on the loop's thread (`inline_sqlite` says why and how it never waits
        # there for the lock or a checkpoint).
        checkpoints = inline_sqlite.Checkpoints(functools.partial(checkpoint_sqlite, settings))
        engine = create_async_engine(
            settings.database_url,
            async_creator=inline_sqlite.creator(settings.database_url, checkpoints),
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        _configure_sqlite(
            engine.sync_engine,
            settings.sqlite_synchronous,
            busy_timeout_ms=inline_sqlite.STATEMENT_BUSY_MS,
            autocheckpoint=False,
        )
        return engine
    # At most 30 connections per process, as before, but 20 of them kept: under 32 concurrent
    # applies the overflow beyond 10 was opened and closed request after request, each new
    # connection a backend to start and asyncpg's prepared statements to prepare again (5% of
    # an apply's time in `connect` in the profile).
    engine = create_async_engine(
        settings.database_url,
        pool_size=20,
        max_overflow=10,
        hide_parameters=True,
    )
    _ping_when_idle(engine.sync_engine)
    return engine


# A connection back from a request longer ago than this is pinged before it is handed out again.
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(sync_engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping` for connections that sat idle: a restarted or failed-over
    database has closed them, and the ping swaps them (and every older one) for new ones before
    a request meets the error. A connection back from a request a moment ago is not pinged:
    under load `pool_pre_ping` cost a round trip per request (7% of an apply's time on
    PostgreSQL in the profile), to ask a connection that had just answered."""

    @event.listens_for(sync_engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < IDLE_PING_SECONDS:
            return  # new, or back from a request a moment ago
        try:
            alive = sync_engine.dialect.do_ping(dbapi_connection)
        except Exception:
            alive = False
        if not alive:
            raise exc.InvalidatePoolError("an idle connection did not answer its ping")


def create_blocking_sqlite_engine(settings: Settings) -> Engine:
    """The same SQLite file through the blocking driver, for work run on the event loop's own
    thread (the scan writer): its connections never wait for the lock (`is_sqlite_busy` tells,
    the caller waits asynchronously) and never checkpoint (`checkpoint_sqlite` does, in a thread),
    so they never block the loop on another writer or on an fsync."""
    url = make_url(settings.database_url).set(drivername="sqlite")
    engine = sqlalchemy.create_engine(
        url,
        connect_args={"check_same_thread": False},
        pool_size=2,
        max_overflow=0,
        hide_parameters=True,
    )
    _configure_sqlite(engine, settings.sqlite_synchronous, busy_timeout_ms=0, autocheckpoint=False)
    return engine


def is_sqlite_busy(exc: BaseException) -> bool:
    """Another connection holds SQLite's write lock (the transaction can simply be retried)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


# PostgreSQL error classes that mean "the database cannot serve us now", not "this statement is
# wrong": connection exceptions (08), operator intervention (57P: shut down, terminated, starting
# up), too many connections (53300), a database that refuses connections (55000, ALLOW_CONNECTIONS
# false) or does not exist (3D000).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P", "53300", "55000", "3D000")


def is_database_unavailable(error: BaseException) -> bool:
    """The database is unreachable or refusing work (an outage to wait out), as opposed to a bug.

    Lost and refused connections, a pool with no connection to give, SQLite's disk and lock
    failures (`OperationalError`), and the driver's own socket errors when connecting."""
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, exc.OperationalError | exc.InterfaceError):
            return True
        return (sqlstate_of(error) or "").startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
    # asyncpg's own errors, where it is used directly (the worker's LISTEN connection): a
    # connection the server closed, or a connection-class SQLSTATE.
    if isinstance(error, asyncpg.InterfaceError):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return (sqlstate_of(error) or "").startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
    # The pool timed out waiting for a connection; the driver could not open a socket.
    return isinstance(error, exc.TimeoutError | ConnectionError | TimeoutError)


def checkpoint_sqlite(settings: Settings) -> None:
    """Copy the WAL back into the database file (PASSIVE: never waits for readers or writers),
    through a connection of its own: run in a thread (`inline_sqlite.Checkpoints`)."""
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return
    connection = sqlite3.connect(database, timeout=0)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        connection.close()


def _configure_sqlite(
    sync_engine: Engine,
    synchronous: str,
    *,
    busy_timeout_ms: int = 30000,
    autocheckpoint: bool = True,
) -> None:
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: a writer then waits for the lock
        # up front instead of failing when it upgrades a read lock (SQLITE_BUSY).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
