"""The worker: claims due job rows, runs each in its own transaction, retries, schedules periodics.

Claiming is one short transaction: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (so several
workers never take the same row), the same statement under SQLite's single writer lock; the rows
get a lease (`locked_until`) that a heartbeat extends while the job runs. A worker that dies stops
extending its leases, and its jobs are claimed again when they expire: at least once, never lost.
A job is removed in the same transaction as its work, and only by the worker holding its lease.

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
import time
import traceback
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select, update

from vantio.db.engine import is_database_unavailable
from vantio.db.session import transaction
from vantio.kit.ids import new_id
from vantio.kit.outage import Outage, backoff
from vantio.kit.time import utc_now
from vantio.worker import jobs
from vantio.worker.models import FAILED, QUEUED, Job
from vantio.worker.periodics import ensure_schedules, schedule_due_periodics

if TYPE_CHECKING:
    # Only a type: the worker is handed its runtime (and so its jobs) by the composition root.
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")

__all__ = ["Claim", "LeaseLost", "Worker", "run_claimed", "run_due", "schedule_due_periodics"]

# After a failed step the worker waits poll_seconds, then twice as long after each further
# failure, up to this: once the database is back, work resumes within a few seconds.
MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True)
class Claim:
    id: str
    name: str
    payload: dict[str, Any]
    attempt: int


class LeaseLost(Exception):
    """Another worker took this job over (our lease expired): our work is rolled back."""


class Worker:
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

    # -- claiming and running --------------------------------------------------------------

    def _names(self) -> set[str]:
        known = self.jobs.names()
        return known & self.only if self.only is not None else known

    async def _claim(self, limit: int) -> list[Claim]:
        names = self._names()
        if not names:
            return []
        started = time.monotonic()
        async with transaction(self.runtime.sessionmaker) as session:
            now = utc_now()
            rows = (
                await session.scalars(
                    select(Job)
                    .where(
                        Job.state == QUEUED,
                        Job.run_at <= now,
                        Job.name.in_(names),
                        or_(Job.locked_until.is_(None), Job.locked_until < now),
                    )
                    .order_by(Job.run_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return []
            await session.execute(
                update(Job)
                .where(Job.id.in_([row.id for row in rows]))
                .values(
                    locked_until=now + self.lease,
                    locked_by=self.id,
                    attempts=Job.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            claims = [Claim(row.id, row.name, dict(row.payload), row.attempts + 1) for row in rows]
        for claim in claims:
            self.lease_deadlines[claim.id] = started + self.lease.total_seconds()
        return claims

    def lease_remaining(self, job_id: str) -> float:
        return self.lease_deadlines.get(job_id, 0.0) - time.monotonic()

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

    async def _release(self, claim: Claim) -> None:
        """Give a job back at once (we are shutting down before it finished)."""
        with contextlib.suppress(Exception):
            await self._give_back([claim.id])

    async def _give_back(self, job_ids: list[str]) -> None:
        async with transaction(self.runtime.sessionmaker) as session:
            await session.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.locked_by == self.id)
                .values(locked_until=None, locked_by=None, attempts=Job.attempts - 1)
                .execution_options(synchronize_session=False)
            )

    async def _release_unreleased(self) -> None:
        ids = list(self.unreleased)
        await self._give_back(ids)
        for job_id in ids:
            self.unreleased.pop(job_id, None)

    async def _heartbeat(self) -> None:
        """Extend the leases of the running jobs, so only a dead (or long stalled) worker's jobs
        expire: a lease lasts six heartbeats."""
        interval = max(self.lease.total_seconds() / 6, 0.05)
        while True:
            await asyncio.sleep(interval)
            ids = list(self.running)
            if not ids:
                continue
            started = time.monotonic()
            try:
                async with transaction(self.runtime.sessionmaker) as session:
                    extended = (
                        await session.scalars(
                            update(Job)
                            .where(Job.id.in_(ids), Job.locked_by == self.id)
                            .values(locked_until=utc_now() + self.lease)
                            .returning(Job.id)
                        )
                    ).all()
            except Exception as exc:
                self.failed("heartbeat", exc)
                continue
            self.succeeded("heartbeat")
            for job_id in extended:
                if job_id in self.lease_deadlines:
                    self.lease_deadlines[job_id] = started + self.lease.total_seconds()

    async def reschedule(
        self, claim: Claim, *, delay: timedelta, error: str | None, count_attempt: bool
    ) -> None:
        kind_max = self.jobs.max_attempts(claim.name)
        async with transaction(self.runtime.sessionmaker) as session:
            values: dict[str, Any] = {
                "run_at": utc_now() + delay,
                "locked_until": None,
                "locked_by": None,
            }
            if error is not None:
                values["last_error"] = error[-4000:]
            if not count_attempt:
                values["attempts"] = Job.attempts - 1
            elif claim.attempt >= kind_max:
                values.update(state=FAILED, dedupe_key=None)
                log.error("job %s %s failed for good: %s", claim.name, claim.id, error)
            await session.execute(
                update(Job).where(Job.id == claim.id, Job.locked_by == self.id).values(**values)
            )

    def backoff(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.retry_base_seconds * 2 ** (attempt - 1), 3600.0))


async def run_claimed(worker: Worker, claim: Claim) -> None:
    """Run one claimed job in its own transaction; remove it in that transaction if it succeeds."""
    runtime = worker.runtime
    session = runtime.sessionmaker()
    ctx = jobs.JobContext(
        runtime=runtime,
        session=session,
        job_id=claim.id,
        name=claim.name,
        attempt=claim.attempt,
        worker_id=worker.id,
        resources=worker.resources,
        lease_remaining=lambda: worker.lease_remaining(claim.id),
    )
    try:
        try:
            registry = worker.jobs
            if claim.name in registry.periodics:
                due_at = datetime.fromisoformat(claim.payload["due_at"])
                await registry.periodics[claim.name].fn(ctx, due_at)
            else:
                await registry.handlers[claim.name].fn(ctx, claim.payload)
            result = await session.execute(
                delete(Job).where(Job.id == claim.id, Job.locked_by == worker.id)
            )
            if getattr(result, "rowcount", 0) != 1:
                raise LeaseLost(claim.id)
            await session.commit()
        except jobs.RetryLater as retry:
            await session.rollback()
            await worker.reschedule(
                claim, delay=retry.delay, error=None, count_attempt=retry.count_attempt
            )
        except (LeaseLost, jobs.LeaseExpired):
            await session.rollback()
            log.warning("job %s %s: lease lost, its work was rolled back", claim.name, claim.id)
        except asyncio.CancelledError:
            await session.rollback()
            raise
        except Exception as exc:
            with contextlib.suppress(Exception):
                await session.rollback()
            if is_database_unavailable(exc):
                raise  # not the job's fault: the worker gives it back once the database is back
            error = traceback.format_exc()
            log.warning(
                "job %s %s failed (attempt %d)", claim.name, claim.id, claim.attempt, exc_info=True
            )
            await worker.reschedule(
                claim, delay=worker.backoff(claim.attempt), error=error, count_attempt=True
            )
    finally:
        with contextlib.suppress(Exception):
            await session.close()


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
