"""The async engine: SQLite in WAL mode with immediate transactions, or PostgreSQL via asyncpg."""

from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from vantio.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url, connect_args={"timeout": 30}, pool_size=8, max_overflow=8
        )
        _configure_sqlite(engine.sync_engine, settings.sqlite_synchronous)
        return engine
    return create_async_engine(
        settings.database_url, pool_size=10, max_overflow=20, pool_pre_ping=True
    )


def create_blocking_sqlite_engine(settings: Settings) -> Engine:
    """The same SQLite file through the blocking driver, configured alike, for work that runs
    whole in one thread (the scan writer: one thread hop per batch instead of one per call)."""
    url = make_url(settings.database_url).set(drivername="sqlite")
    engine = sqlalchemy.create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=1, max_overflow=0
    )
    _configure_sqlite(engine, settings.sqlite_synchronous)
    return engine


def _configure_sqlite(sync_engine: Engine, synchronous: str) -> None:
    @event.listens_for(sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: a writer then waits for the lock
        # up front instead of failing when it upgrades a read lock (SQLITE_BUSY).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
