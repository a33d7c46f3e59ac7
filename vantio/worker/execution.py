"""Running one claimed job: in its own transaction, removed in that transaction if it succeeds,
retried with back-off when it fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from datetime import datetime

from sqlalchemy import delete

from vantio.db.engine import is_database_unavailable
from vantio.worker import jobs
from vantio.worker.leases import Claim, LeaseLost, Leases
from vantio.worker.models import Job

log = logging.getLogger("vantio.worker")


async def run_claimed(worker: Leases, claim: Claim) -> None:
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
