"""Claiming jobs and holding them: the short transactions of a worker's leases.

Claiming is one short transaction: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (so several
workers never take the same row), the same statement under SQLite's single writer lock; the rows
get a lease (`locked_until`) that a heartbeat extends while the job runs. A worker that dies stops
extending its leases, and its jobs are claimed again when they expire: at least once, never lost.
Only the worker holding a job's lease may give it back, reschedule it or remove it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from vantio.db.session import transaction
from vantio.kit.time import utc_now
from vantio.worker.jobs import JobRegistry
from vantio.worker.models import FAILED, QUEUED, Job

if TYPE_CHECKING:
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")


@dataclass(frozen=True)
class Claim:
    id: str
    name: str
    payload: dict[str, Any]
    attempt: int


class LeaseLost(Exception):
    """Another worker took this job over (our lease expired): our work is rolled back."""


class Leases:
    """The lease side of a worker (`runner.Worker` is the rest): claim due jobs, extend their
    leases while they run, give them back, reschedule them."""

    runtime: Runtime
    jobs: JobRegistry
    id: str
    only: set[str] | None
    lease: timedelta
    retry_base_seconds: float
    running: dict[str, asyncio.Task[None]]
    lease_deadlines: dict[str, float]
    resources: dict[str, Any]
    unreleased: dict[str, Claim]

    def failed(self, step: str, error: BaseException) -> None:
        raise NotImplementedError

    def succeeded(self, step: str) -> None:
        raise NotImplementedError

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
