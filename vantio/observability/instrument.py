"""The database pool's use, counted by the pool's own events (per process; `/metrics` sums the
live processes)."""

from typing import Any
from weakref import WeakSet

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from vantio.observability import metrics

_instrumented: WeakSet[Any] = WeakSet()


def instrument_pool(engine: AsyncEngine) -> None:
    """Count the engine's pool in the metrics (once per engine, however many apps share it)."""
    if engine.sync_engine in _instrumented:
        return
    _instrumented.add(engine.sync_engine)
    pool: Any = engine.sync_engine.pool
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if callable(size):
        metrics.DB_POOL_CAPACITY.inc(size() + max(overflow, 0))

    @event.listens_for(engine.sync_engine, "checkout")
    def checked_out(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def checked_in(*_: Any) -> None:
        metrics.DB_POOL_IN_USE.dec()
