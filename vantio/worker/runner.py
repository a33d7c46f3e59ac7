"""The worker: claims due job rows, runs each in its own transaction, retries, schedules periodics.

This module is the loop and its supervision; claiming and leases are `leases`, running one
claimed job is `execution`. A job is removed in the same transaction as its work, and only by
the worker holding its lease (see `leases`).

The worker never dies of an error. Every step of its loop (claim, schedule, heartbeat, listen)
catches what it meets, backs off with jitter, and tries again; an outage is logged once when it
starts and once when it ends (`kit.outage`). Jobs whose end could not be recorded because the
database went away are given back as soon as it answers again, not when their lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from vantio.db.engine import is_database_unavailable
from vantio.kit.ids import new_id
from vantio.kit.outage import Outage, backoff
from vantio.worker import jobs
from vantio.worker.execution import run_claimed
from vantio.worker.leases import Claim, LeaseLost, Leases
from vantio.worker.periodics import ensure_schedules, schedule_due_periodics

if TYPE_CHECKING:
    # Only a type: the worker is handed its runtime (and so its jobs) by the composition root.
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")

__all__ = ["Claim", "LeaseLost", "Worker", "run_claimed", "run_due", "schedule_due_periodics"]

# After a failed step the worker waits poll_seconds, then twice as long after each further
# failure, up to this: once the database is back, work resumes within a few seconds.
MAX_BACKOFF_SECONDS = 5.0


class Worker(Leases):
    """One worker: `await worker.run()` until `worker.stop()`; running jobs finish first (drain)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        concurrency: int | None = None,
        names: Collection[str] | None = None,
        periodic: bool = True,
        worker_id: str | None = None,
    ) -> None:
        settings = runtime.settings
        if not runtime.jobs:
            # A worker without job kinds would claim nothing and say nothing: refuse it.
            raise ValueError("this runtime has no jobs: build it with vantio.composition")
        self.runtime = runtime
        self.jobs = runtime.jobs
        self.concurrency = concurrency or settings.worker_concurrency
        self.only = set(names) if names is not None else None
        self.periodic = periodic
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id('wk')[-8:]}"
        self.lease = timedelta(seconds=settings.worker_lease_seconds)
        self.poll_seconds = settings.worker_poll_seconds
        self.drain_seconds = settings.worker_drain_seconds
        self.retry_base_seconds = settings.worker_retry_base_seconds
        self.running: dict[str, asyncio.Task[None]] = {}
        # When each running job's lease surely ends, on this process's monotonic clock (measured
        # from before the statement that set it, so never later than the database's value).
        self.lease_deadlines: dict[str, float] = {}
        self.resources: dict[str, Any] = {}
        # Jobs that ended while the database was unreachable: given back once it answers again.
        self.unreleased: dict[str, Claim] = {}
        # One line when the database goes away and one when it is back, whichever step noticed;
        # any other failure (a bug) is logged once per step, with its traceback.
        self.database = Outage(log, f"worker {self.id}: database", traceback=False)
        self.failing_steps: dict[str, Outage] = {}
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming; `run()` returns once the running jobs are done."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        jobs._local_wakers.add(self.wake)
        helpers = [asyncio.create_task(self._heartbeat(), name=f"worker {self.id} heartbeat")]
        if not self.runtime.settings.is_sqlite:
            helpers.append(asyncio.create_task(self._listen(), name=f"worker {self.id} listen"))
        else:
            signal = jobs.sqlite_signal_path(self.runtime.settings.database_url)
            if signal is not None:
                helpers.append(
                    asyncio.create_task(self._watch(signal), name=f"worker {self.id} watch")
                )
        try:
            await self._loop_until_stopped(self._loop)
            await self._drain()
        finally:
            jobs._local_wakers.discard(self.wake)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._close_resources()

    async def _loop_until_stopped(self, loop: asyncio.AbstractEventLoop) -> None:
        schedules_ready = not self.periodic
        next_tick = next_poll = 0.0
        failures = 0
        # Under load, claim in batches of a quarter of the slots rather than one job per
        # finished job: a claim is a transaction of its own.
        batch = max(1, self.concurrency // 4)
        while not self._stopping.is_set():
            self._wake.clear()
            loop_time = loop.time()
            step = "schedule"
            try:
                if not schedules_ready:
                    await ensure_schedules(self.runtime, only=self.only)
                    schedules_ready = True
                if self.periodic and loop_time >= next_tick:
                    await schedule_due_periodics(self.runtime, only=self.only)
                    next_tick = loop_time + min(1.0, self.poll_seconds)
                if self.unreleased:
                    step = "release"
                    await self._release_unreleased()
                step = "claim"
                free = self.concurrency - len(self.running)
                if free >= batch or (free > 0 and loop_time >= next_poll):
                    claimed = await self._claim(free)
                    next_poll = loop_time + self.poll_seconds
                    for claim in claimed:
                        self._start(claim)
                    self.succeeded(step)
                    failures = 0
                    if len(claimed) == free:
                        continue  # there may be more due right now
                self.succeeded(step)
                failures = 0
            except Exception as exc:
                self.failed(step, exc)
                failures += 1
                await self._idle(backoff(failures, base=self.poll_seconds, cap=MAX_BACKOFF_SECONDS))
                continue
            await self._idle(max(0.0, min(next_poll - loop.time(), self.poll_seconds)))

    def failed(self, step: str, error: BaseException) -> None:
        """Report a failed step: an outage of the database, or a bug in that step."""
        if is_database_unavailable(error):
            self.database.failed(error)
            return
        outage = self.failing_steps.get(step)
        if outage is None:
            outage = self.failing_steps[step] = Outage(
                log, f"worker {self.id}: {step}", traceback=True
            )
        outage.failed(error)

    def succeeded(self, step: str) -> None:
        self.database.recovered()
        outage = self.failing_steps.get(step)
        if outage is not None:
            outage.recovered()

    async def _listen(self) -> None:
        """On PostgreSQL, wake up when a transaction that enqueued a job commits (LISTEN/NOTIFY);
        polling stays as the fallback. A lost connection is opened again (with back-off)."""
        failures = 0
        while True:
            try:
                await self._listen_once()
                failures = 0  # it listened, then lost the connection
            except Exception as exc:
                self.failed("listen", exc)
                failures += 1
            await asyncio.sleep(
                backoff(failures + 1, base=self.poll_seconds, cap=MAX_BACKOFF_SECONDS)
            )

    async def _listen_once(self) -> None:
        connection = await self.runtime.engine.connect()
        lost = asyncio.Event()
        try:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            driver.add_termination_listener(lambda _connection: lost.set())
            await driver.add_listener(jobs.NOTIFY_CHANNEL, lambda *_: self._wake.set())
            self.succeeded("listen")
            self._wake.set()  # jobs enqueued while no one listened
            await lost.wait()
        finally:
            # Lost, or the worker stops: either way the pool must not hand out this connection
            # again (it is closed, or it still listens).
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    async def _watch(self, path: str) -> None:
        """On SQLite, wake up when another process commits a transaction that enqueued a job:
        it touches `path` (`jobs.signal_other_processes`); one stat() per check, no database."""
        every = self.runtime.settings.worker_signal_check_seconds
        seen = _modified(path)
        while True:
            await asyncio.sleep(every)
            now = _modified(path)
            if now != seen:
                seen = now
                self._wake.set()

    async def _idle(self, seconds: float) -> None:
        waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
        done_tasks = list(self.running.values())
        waiters.extend(done_tasks)
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiters[0].cancel()

    async def _drain(self) -> None:
        if not self.running:
            return
        log.info("worker %s draining %d running job(s)", self.id, len(self.running))
        _done, pending = await asyncio.wait(list(self.running.values()), timeout=self.drain_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    async def _close_resources(self) -> None:
        for resource in self.resources.values():
            close = getattr(resource, "aclose", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()
        self.resources.clear()

    # -- running claimed jobs ---------------------------------------------------------------

    def _start(self, claim: Claim) -> None:
        task = asyncio.create_task(self._run(claim), name=f"job {claim.name} {claim.id}")
        self.running[claim.id] = task
        task.add_done_callback(lambda _t: self._forget(claim.id))

    def _forget(self, job_id: str) -> None:
        self.running.pop(job_id, None)
        self.lease_deadlines.pop(job_id, None)

    async def _run(self, claim: Claim) -> None:
        try:
            await run_claimed(self, claim)
        except asyncio.CancelledError:
            await self._release(claim)
            raise
        except Exception as exc:
            if is_database_unavailable(exc):
                # Neither its work nor its failure could be recorded: give it back once the
                # database answers, rather than leave it until its lease runs out.
                self.database.failed(exc)
                self.unreleased[claim.id] = claim
            else:
                log.exception("job %s %s crashed the runner", claim.name, claim.id)


async def run_due(
    runtime: Runtime, *, names: Collection[str] | None = None, periodic: bool = True
) -> int:
    """Run every job that is due now, in this task, until none is left; returns how many ran.

    For tests and one-off commands (freeze the clock with `kit.time.freeze` to make later jobs due).
    """
    worker = Worker(runtime, names=names, periodic=periodic, concurrency=1)
    worker._loop = asyncio.get_running_loop()
    count = 0
    try:
        if periodic:
            await ensure_schedules(runtime, only=worker.only)
            await schedule_due_periodics(runtime, only=worker.only)
        while True:
            claimed = await worker._claim(1)
            if not claimed:
                return count
            await run_claimed(worker, claimed[0])
            count += 1
    finally:
        await worker._close_resources()


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0
