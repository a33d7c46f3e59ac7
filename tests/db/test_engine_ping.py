"""PostgreSQL connections are pinged when they come back from idleness, not on every checkout
(`vantio.db.engine._ping_when_idle`)."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from vantio.config import Settings
from vantio.db import engine as engine_module
from vantio.db.engine import create_engine


@pytest.fixture
def postgresql(settings: Settings, backend: str) -> Settings:
    if backend != "postgresql":
        pytest.skip("the pool of PostgreSQL connections")
    return settings


async def _backend_pid(engine: object) -> int:
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_an_idle_connection_the_server_closed_is_replaced(
    postgresql: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.2)
    engine = create_engine(postgresql)
    try:
        first = await _backend_pid(engine)
        admin = await asyncpg.connect(postgresql.database_url.replace("+asyncpg", ""))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.sleep(0.3)  # idle longer than the ping's threshold
        assert await _backend_pid(engine) != first  # no error: the dead one was swapped
    finally:
        await engine.dispose()


async def test_a_connection_back_a_moment_ago_is_not_pinged(
    postgresql: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(postgresql)
    pings = 0
    do_ping = engine.sync_engine.dialect.do_ping

    def counting(dbapi_connection: object) -> bool:
        nonlocal pings
        pings += 1
        return do_ping(dbapi_connection)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.sync_engine.dialect, "do_ping", counting)
    try:
        for _ in range(5):
            await _backend_pid(engine)
        assert pings == 0  # pool_pre_ping asked four times
    finally:
        await engine.dispose()
