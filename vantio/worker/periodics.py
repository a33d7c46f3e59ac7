"""Periodic jobs' schedules: one row per periodic job, holding its next due time.

Whoever advances a row's due time (a compare-and-set) enqueues that run, in the same transaction:
of several workers, exactly one wins each due time.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from vantio.db.session import transaction
from vantio.kit.time import utc_now
from vantio.worker import jobs
from vantio.worker.models import PeriodicSchedule

if TYPE_CHECKING:
    from vantio.runtime import Runtime

PERIODIC_PREFIX = "periodic:"


async def ensure_schedules(runtime: Runtime, *, only: Collection[str] | None = None) -> None:
    """Create the schedule row of each periodic job (or reset it when its schedule changed)."""
    for periodic in runtime.jobs.periodics.values():
        if only is not None and periodic.name not in only:
            continue
        try:
            async with transaction(runtime.sessionmaker) as session:
                row = await session.get(PeriodicSchedule, periodic.name)
                now = utc_now()
                if row is None:
                    session.add(
                        PeriodicSchedule(
                            name=periodic.name,
                            spec=periodic.spec,
                            next_due_at=periodic.next_due(now),
                        )
                    )
                elif row.spec != periodic.spec:
                    row.spec = periodic.spec
                    row.next_due_at = periodic.next_due(now)
        except IntegrityError:
            pass  # another worker created it at the same moment


async def schedule_due_periodics(runtime: Runtime, *, only: Collection[str] | None = None) -> int:
    """Enqueue one run of each periodic job that is due; returns how many were enqueued.

    The schedule row is advanced with a compare-and-set on its `next_due_at`, in the transaction
    that enqueues the run: of several workers, exactly one wins each due time. Missed due times
    (the workers were down) collapse into one run, for the latest of them.
    """
    count = 0
    async with transaction(runtime.sessionmaker) as session:
        now = utc_now()
        rows = (
            await session.scalars(
                select(PeriodicSchedule).where(PeriodicSchedule.next_due_at <= now)
            )
        ).all()
        for row in rows:
            periodic = runtime.jobs.periodics.get(row.name)
            if periodic is None or (only is not None and row.name not in only):
                continue
            due = periodic.latest_due(now)
            result = await session.execute(
                update(PeriodicSchedule)
                .where(
                    PeriodicSchedule.name == row.name,
                    PeriodicSchedule.next_due_at == row.next_due_at,
                )
                .values(next_due_at=periodic.next_due(now), last_due_at=due)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue
            await jobs.enqueue(
                session,
                name=row.name,
                payload={"due_at": due.isoformat()},
                run_at=due,
                dedupe_key=f"{PERIODIC_PREFIX}{row.name}:{due.isoformat()}",
            )
            count += 1
    return count
