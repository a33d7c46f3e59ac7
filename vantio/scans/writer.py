"""Group commit of scans: the scans that arrive together share one transaction.

The scan is the hot path, and one transaction per scan spends most of its time beginning and
committing. While the server runs (its lifespan), one writer task takes every scan that arrived
while the previous batch was committing, records them all in one transaction
(`service.record_scans`), commits, and only then hands each waiting request its outcome: no
redirect carries an `impression_id` before the commit that holds it.

A failed batch is retried one scan per transaction, so a scan the database refuses fails alone;
when the database itself is unreachable every scan of the batch fails at once. A scan that could
not be stored raises `ScanNotRecorded` in its request (a 503 page), never a redirect.
Without a running writer (an app used without its lifespan) each scan is its own batch.
"""

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from vantio.config import Settings
from vantio.db.engine import (
    checkpoint_sqlite,
    create_blocking_sqlite_engine,
    is_database_unavailable,
    is_sqlite_busy,
)
from vantio.db.inline_sqlite import Checkpoints
from vantio.kit.outage import Outage
from vantio.scans import service
from vantio.scans.errors import ScanNotRecorded
from vantio.scans.limits import Admissions, NewDeviceLimit
from vantio.scans.service import Outcome, Visit

log = logging.getLogger("vantio.scans")
# As long as the server's other connections wait for SQLite's write lock (busy_timeout).
_LOCK_WAIT_SECONDS = 30.0
# The SQLite page cache of the writer's connection (KiB).
_CACHE_KIB = 64 * 1024


# A device is (poster code, IP, user agent) and, when it has one, (poster code, its cookie).
_Device = tuple[str, str | None, str | None] | tuple[str, str]


@dataclass(slots=True)
class _Waiting:
    visit: Visit
    future: "asyncio.Future[Outcome | None]"


class ScanWriter:
    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        self._settings = settings
        self._async_engine = engine
        self._dedupe = timedelta(seconds=settings.scan_dedupe_seconds)
        self.new_devices = NewDeviceLimit(settings.scan_new_devices_per_minute)
        self._max_batch = settings.scan_batch_max
        # SQLite: each batch runs on the loop's thread through a blocking connection (`_write`),
        # kept from one batch to the next (a checkout from the pool and its reset on return cost
        # more than a small batch's statements).
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._checkpoints: Checkpoints | None = None
        # PostgreSQL takes several transactions at once: while one batch waits for its commit's
        # fsync, the next is written. SQLite has one writer, and its batches block the loop.
        self._concurrency = 1 if settings.is_sqlite else max(1, settings.scan_batch_concurrency)
        # PostgreSQL: the connections kept from one batch to the next, one per batch written at
        # once (`_write_kept`).
        self._idle: list[AsyncConnection] = []
        self._waiting: list[_Waiting] = []
        self._writing: set[asyncio.Task[None]] = set()
        # The devices of the batches being written: another scan of one of them waits for the
        # next batch, so the de-duplication sees the first one's impression.
        self._busy_devices: set[_Device] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.batches = 0  # transactions of the running writer, for the tests and the curious
        self._outage = Outage(log, "database (scans)")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._stopping

    async def record(self, visit: Visit) -> Outcome | None:
        """Record a visit; returns once the transaction holding its impression has committed.

        None for an unknown poster; raises `ScanNotRecorded` when the database failed.
        """
        if not self.running:
            try:
                return (await self._write([visit]))[0]
            except Exception as exc:
                raise _error_for(exc) from exc
        future: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(visit, future))
        self._wake.set()
        return await future

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            if self._settings.is_sqlite and not _in_memory(self._settings.database_url):
                self._engine = create_blocking_sqlite_engine(self._settings)
                self._checkpoints = Checkpoints(
                    functools.partial(checkpoint_sqlite, self._settings)
                )
            self._task = asyncio.create_task(self._run(), name="vantio-scan-writer")

    async def stop(self) -> None:
        """Record the scans still waiting, then end the writer task."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await self._task
        finally:
            self._task = None
            self._drop_connection()
            idle, self._idle = self._idle, []
            for kept in idle:
                await kept.close()
            engine, self._engine = self._engine, None
            checkpoints, self._checkpoints = self._checkpoints, None
            if checkpoints is not None:
                await checkpoints.drained()
            if engine is not None:
                engine.dispose()

    async def _run(self) -> None:
        try:
            while True:
                batch = self._next_batch() if len(self._writing) < self._concurrency else []
                if not batch:
                    if self._stopping and not self._waiting and not self._writing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    # Woken by the first scan of a poll's requests: the others read in that
                    # poll join the batch when the loop runs them first (batches of 27-30 scans
                    # instead of 20 on SQLite under bench/scan.py, a third fewer transactions).
                    await asyncio.sleep(0)
                    continue
                if self._concurrency == 1:
                    await self._flush(batch)
                    continue
                devices = {d for waiting in batch for d in _devices(waiting.visit)}
                self._busy_devices.update(devices)
                task = asyncio.create_task(self._flush(batch))
                self._writing.add(task)
                task.add_done_callback(functools.partial(self._written, devices=devices))
        except BaseException:
            # Cancelled with requests still waiting: they must not wait forever.
            for waiting in self._waiting:
                _fail(waiting.future, ScanNotRecorded())
            self._waiting.clear()
            raise

    def _next_batch(self) -> list[_Waiting]:
        if not self._busy_devices:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            return batch
        batch, later = [], []
        for waiting in self._waiting:
            if len(batch) < self._max_batch and self._busy_devices.isdisjoint(
                _devices(waiting.visit)
            ):
                batch.append(waiting)
            else:
                later.append(waiting)
        self._waiting = later
        return batch

    def _written(self, task: "asyncio.Task[None]", *, devices: set[_Device]) -> None:
        self._writing.discard(task)
        self._busy_devices -= devices
        self._wake.set()

    async def _flush(self, batch: list[_Waiting]) -> None:
        batch = [waiting for waiting in batch if not waiting.future.done()]
        if not batch:
            return
        self.batches += 1
        try:
            outcomes = await self._write([waiting.visit for waiting in batch])
        except Exception as exc:
            if len(batch) > 1 and not _is_outage(exc):
                log.warning("a batch of %d scans failed (%r); retrying one by one", len(batch), exc)
                await self._flush_each(batch)
                return
            if _is_outage(exc):
                self._outage.failed(exc)  # once per outage, not once per batch
            else:
                log.error("recording %d scan(s) failed", len(batch), exc_info=exc)
            for waiting in batch:
                _fail(waiting.future, _error_for(exc))
            return
        except BaseException:
            for waiting in batch:
                _fail(waiting.future, ScanNotRecorded())
            raise
        self._outage.recovered()
        _resolve(batch, outcomes)

    async def _flush_each(self, batch: Sequence[_Waiting]) -> None:
        for index, waiting in enumerate(batch):
            try:
                outcomes = await self._write([waiting.visit])
            except Exception as exc:
                log.error("recording a scan failed", exc_info=exc)
                # When the database is unreachable, the rest of the batch would fail the same way.
                outage = _is_outage(exc)
                for each in batch[index:] if outage else [waiting]:
                    _fail(each.future, _error_for(exc))
                if outage:
                    return
                continue
            except BaseException:
                for each in batch[index:]:
                    _fail(each.future, ScanNotRecorded())
                raise
            _resolve([waiting], outcomes)

    async def _write(self, visits: list[Visit]) -> list[Outcome | None]:
        """Record a batch in one transaction; returns after its commit."""
        admit = self.new_devices.batch()
        try:
            if self._engine is not None:
                outcomes = await self._write_sqlite(self._engine, visits, admit)
                if self._checkpoints is not None:
                    self._checkpoints.soon()
                return outcomes
            if self._settings.is_sqlite:  # in memory: the engine's one connection, shared
                async with self._async_engine.begin() as connection:
                    return await connection.run_sync(
                        service.record_scans, visits=visits, dedupe=self._dedupe, admit=admit
                    )
            return await self._write_kept(visits, admit)
        except BaseException:
            admit.undo()  # nothing of the batch was counted
            raise

    async def _write_kept(self, visits: list[Visit], admit: Admissions) -> list[Outcome | None]:
        """The batch on a connection kept from an earlier batch. A checkout from the pool first
        pings the server (BEGIN, a query, ROLLBACK) and its return resets the connection: more
        round trips than the batch's own statements. A kept connection found broken (the server
        restarted while it was idle) is replaced and the batch retried, as the ping would have
        done: nothing of the batch can have been stored before its COMMIT was sent."""
        reused = bool(self._idle)
        connection = self._idle.pop() if reused else await self._async_engine.connect()
        written = False
        try:
            async with connection.begin():
                outcomes = await connection.run_sync(
                    service.record_scans, visits=visits, dedupe=self._dedupe, admit=admit
                )
                written = True
        except BaseException as exc:
            await connection.close()  # back to the pool, which discards it if it is broken
            stale = isinstance(exc, DBAPIError) and exc.connection_invalidated
            if not (reused and stale and not written):
                raise
            log.info("a kept connection of the scan writer was broken (%r); retrying", exc)
            admit.undo()
            return await self._write_kept(visits, admit)
        self._idle.append(connection)
        return outcomes

    async def _write_sqlite(
        self, engine: Engine, visits: list[Visit], admit: Admissions
    ) -> list[Outcome | None]:
        """The batch on the loop's own thread: SQLite is a library, a batch is about a millisecond
        of CPU, and a thread (aiosqlite's or ours) costs a wake-up and a GIL handoff per call,
        which on a busy machine take longer than the batch. The connection never waits for
        the write lock: while another transaction holds it, this waits here, asynchronously."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _LOCK_WAIT_SECONDS
        delay = 0.0005
        while True:
            try:
                connection = self._connection
                if connection is None or connection.closed or connection.invalidated:
                    connection = self._connection = engine.connect()
                    # Each new impression adds to two indexes at a random place (the hashes of
                    # device and cookie); with a large table SQLite's default 2 MB page cache
                    # makes each of those a read: keep more of them in memory.
                    connection.exec_driver_sql(f"PRAGMA cache_size = -{_CACHE_KIB}")
                    connection.commit()  # ends the transaction the PRAGMA began
                with connection.begin():
                    return service.record_scans(
                        connection, visits=visits, dedupe=self._dedupe, admit=admit
                    )
            except OperationalError as exc:
                if not is_sqlite_busy(exc):
                    self._drop_connection()  # a disk or file failure: open afresh next time
                if not is_sqlite_busy(exc) or loop.time() > deadline:
                    raise
                admit.undo()  # the retry decides again
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception as exc:  # closing a broken connection must not hide why it broke
                log.debug("closing the scan writer's connection failed: %r", exc)


def _in_memory(url: str) -> bool:
    """An in-memory SQLite database exists once per connection: a second engine would not see it."""
    parsed = make_url(url)
    return parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"


def _devices(visit: Visit) -> tuple[_Device, ...]:
    """Who scanned what: (poster code, IP, user agent) and (poster code, cookie); none for a visit
    that is not counted."""
    scan = visit.scan
    if scan is None:
        return ()
    by_agent = (visit.code, scan.ip_address, scan.user_agent)
    return (by_agent, (visit.code, scan.device)) if scan.device else (by_agent,)


def _resolve(batch: Sequence[_Waiting], outcomes: Sequence[Outcome | None]) -> None:
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if not waiting.future.done():
            waiting.future.set_result(outcome)


def _is_outage(exc: BaseException | None) -> bool:
    """The database cannot be reached at all (retrying scan by scan would not help)."""
    if exc is not None and is_database_unavailable(exc):
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError)


def _error_for(exc: BaseException) -> BaseException:
    """What the request of a failed scan raises: 503 for a database failure, else a 500."""
    if isinstance(exc, SQLAlchemyError | OSError | TimeoutError):
        error: BaseException = ScanNotRecorded()
    else:
        error = RuntimeError("recording the scan failed")
    error.__cause__ = exc
    return error


def _fail(future: "asyncio.Future[Any]", exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def writer_of(app: Any) -> ScanWriter:
    """The app's scan writer (made on first use, running only during the app's lifespan)."""
    writer: ScanWriter | None = getattr(app.state, "scan_writer", None)
    if writer is None:
        runtime = app.state.runtime
        writer = ScanWriter(runtime.settings, runtime.engine)
        app.state.scan_writer = writer
    return writer


@asynccontextmanager
async def batching(app: Any) -> AsyncIterator[None]:
    """Group-commit the app's scans for as long as the block runs (the app's lifespan)."""
    writer = writer_of(app)
    await writer.start()
    try:
        yield
    finally:
        await writer.stop()
