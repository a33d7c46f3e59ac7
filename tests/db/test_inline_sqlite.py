"""SQLite on the loop's thread (`vantio.db.inline_sqlite`): a transaction that meets another
connection's write lock waits without stopping the loop, gives up like SQLite's busy handler
would, and the WAL is checkpointed in a thread."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from vantio.config import Settings
from vantio.db import inline_sqlite
from vantio.db.engine import create_engine
from vantio.db.session import create_sessionmaker


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "inline.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (n INTEGER)")
    return path


def _settings(path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key="")


async def test_a_transaction_waits_for_the_lock_without_stopping_the_loop(
    sqlite_file: Path,
) -> None:
    engine = create_engine(_settings(sqlite_file))
    sessionmaker = create_sessionmaker(engine)
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write() -> None:
        async with sessionmaker() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            await session.commit()

    ticker = asyncio.create_task(ticking())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()  # waiting for the lock...
    assert ticks >= 20  # ...while the loop went on (a blocking busy handler would stop it)
    holder.execute("COMMIT")
    await asyncio.wait_for(writer, 5)
    ticker.cancel()
    holder.close()
    with sqlite3.connect(sqlite_file) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (1,)
    await engine.dispose()


async def test_it_gives_up_like_sqlites_busy_handler(
    sqlite_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inline_sqlite, "LOCK_WAIT_SECONDS", 0.2)
    engine = create_engine(_settings(sqlite_file))
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError) as raised:
        async with create_sessionmaker(engine)() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
    assert inline_sqlite.is_busy(raised.value.orig)
    holder.execute("ROLLBACK")
    holder.close()
    await engine.dispose()


async def test_commits_never_checkpoint_on_the_loop_but_a_thread_does(sqlite_file: Path) -> None:
    engine = create_engine(_settings(sqlite_file))
    sessionmaker = create_sessionmaker(engine)
    wal = sqlite_file.with_name(sqlite_file.name + "-wal")
    async with sessionmaker() as session:
        autocheckpoint = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
        assert autocheckpoint == 0
    for _ in range(3):
        async with sessionmaker() as session:
            await session.execute(
                text("INSERT INTO t SELECT value FROM json_each(:values)"),
                {"values": "[" + ",".join(["1"] * 5000) + "]"},
            )
            await session.commit()
        await asyncio.sleep(1.1)  # at most one checkpoint a second
    # The checkpoint thread copied the WAL back: the database file alone (read as immutable,
    # without its WAL) holds the rows of every commit but perhaps the last second's.
    assert wal.exists()
    snapshot = sqlite3.connect(f"file:{sqlite_file}?mode=ro&immutable=1", uri=True)
    assert snapshot.execute("SELECT count(*) FROM t").fetchone()[0] >= 10000
    snapshot.close()
    await engine.dispose()
