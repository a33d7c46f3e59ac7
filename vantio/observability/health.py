"""Readiness: can this process serve? The database answers, its schema is at the migrations'
head, a worker is alive (its heartbeat is recent) and Redis, when configured, answers.

Each check is bounded by `CHECK_TIMEOUT` and reports what it found, so the answer of
`GET /health/ready` says what is wrong, not only that something is.
"""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from vantio.config import Settings
from vantio.db.engine import is_database_unavailable
from vantio.db.migrate import alembic_config
from vantio.kit.time import utc_now
from vantio.worker.models import PeriodicSchedule

CHECK_TIMEOUT = 2.0


@dataclass
class Check:
    ok: bool
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.facts}


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revisions of the migrations this code ships (read once: they never change while
    the process runs)."""
    return frozenset(ScriptDirectory.from_config(alembic_config(Settings())).get_heads())


async def readiness(engine: AsyncEngine, settings: Settings) -> dict[str, Check]:
    checks = {"database": await _bounded(_database(engine))}
    if checks["database"].ok:
        checks["migrations"] = await _bounded(_migrations(engine))
        checks["worker"] = await _bounded(_worker(engine, settings))
    if settings.redis_url:
        checks["redis"] = await _bounded(_redis(settings.redis_url))
    return checks


async def _bounded(check: Any) -> Check:
    try:
        result: Check = await asyncio.wait_for(check, CHECK_TIMEOUT)
        return result
    except TimeoutError:
        return Check(False, {"error": f"no answer within {CHECK_TIMEOUT:g} s"})
    except Exception as exc:
        return Check(False, {"error": _describe(exc)})


async def _database(engine: AsyncEngine) -> Check:
    started = time.perf_counter()
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return Check(True, {"latency_ms": round((time.perf_counter() - started) * 1000, 2)})


async def _migrations(engine: AsyncEngine) -> Check:
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            current = set(rows.scalars())
    except DBAPIError as exc:
        if is_database_unavailable(exc) and "alembic_version" not in str(exc):
            raise
        current = set()  # never migrated: no alembic_version table
    heads = migration_heads()
    facts: dict[str, Any] = {"current": sorted(current), "head": sorted(heads)}
    if current != heads:
        facts["error"] = "the schema is not at the migrations' head: run `vantio db upgrade`"
    return Check(current == heads, facts)


async def worker_heartbeat(engine: AsyncEngine) -> datetime | None:
    """When a worker last scheduled a periodic job: every live worker's loop schedules the due
    ones, and `vouchers.expire` is due every minute, so a running worker keeps this within about a
    minute of now. None before any worker ran."""
    async with engine.connect() as connection:
        latest: datetime | None = (
            await connection.execute(select(func.max(PeriodicSchedule.last_due_at)))
        ).scalar()
    return latest


def age_seconds(at: datetime | None) -> float | None:
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
        at = at.replace(tzinfo=UTC)
    return round(max(0.0, (utc_now() - at).total_seconds()), 3)


async def _worker(engine: AsyncEngine, settings: Settings) -> Check:
    age = age_seconds(await worker_heartbeat(engine))
    limit = settings.ready_worker_max_age_seconds
    facts: dict[str, Any] = {"heartbeat_age_seconds": age, "max_age_seconds": limit}
    if age is None:
        facts["note"] = "no worker has run yet"
        return Check(True, facts)
    if limit > 0 and age > limit:
        facts["error"] = "no worker has run for too long: start `vantio worker` (or `vantio serve`)"
        return Check(False, facts)
    return Check(True, facts)


async def _redis(url: str) -> Check:
    from redis.asyncio import Redis

    started = time.perf_counter()
    client = Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return Check(True, {"latency_ms": round((time.perf_counter() - started) * 1000, 2)})


def _describe(exc: BaseException) -> str:
    # The class and the first line only: a driver's message may quote the connection string.
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0][:200]}" if first else type(exc).__name__
