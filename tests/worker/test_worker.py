"""The worker: jobs written in the caller's transaction, run once, retried, periodic runs once per due time."""

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from vantio.db.session import transaction
from vantio.kit.time import freeze, utc_now
from vantio.runtime import Runtime
from vantio.worker import jobs
from vantio.worker.jobs import JobRegistry
from vantio.worker.models import FAILED, Job, PeriodicSchedule
from vantio.worker.runner import Worker, run_due, schedule_due_periodics

SEEN: list[tuple[str, Any]] = []


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    """The suite's runtime (its database) with this module's jobs, in a registry of its own."""
    return replace(runtime, jobs=JobRegistry(record_job, every_minute, nightly, stalled_job))


@jobs.handler("tests.record", max_attempts=2)
async def record_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    if payload.get("fail"):
        raise RuntimeError("boom")
    if payload.get("later") and ctx.attempt == 1 and not SEEN.count(("later", payload["tag"])):
        SEEN.append(("later", payload["tag"]))
        raise jobs.RetryLater(timedelta(0))
    SEEN.append((payload["tag"], ctx.attempt))


@jobs.periodic("tests.every_minute", every=timedelta(minutes=1))
async def every_minute(ctx: jobs.JobContext, due_at: datetime) -> None:
    SEEN.append(("tick", due_at))


@jobs.periodic("tests.nightly", daily_at=time(2, 0))
async def nightly(ctx: jobs.JobContext, due_at: datetime) -> None:
    SEEN.append(("nightly", due_at))


async def _job_rows(runtime: Runtime, tag: str) -> list[Job]:
    async with transaction(runtime.sessionmaker) as session:
        rows = (await session.scalars(select(Job).where(Job.name == "tests.record"))).all()
        return [r for r in rows if r.payload.get("tag") == tag]


async def test_enqueued_job_runs_once_after_commit(runtime: Runtime) -> None:
    SEEN.clear()
    async with transaction(runtime.sessionmaker) as session:
        await jobs.enqueue(session, name="tests.record", payload={"tag": "a"})
    assert await run_due(runtime, names={"tests.record"}, periodic=False) == 1
    assert SEEN == [("a", 1)]
    assert await run_due(runtime, names={"tests.record"}, periodic=False) == 0
    assert await _job_rows(runtime, "a") == []


async def test_rolled_back_enqueue_runs_nothing(runtime: Runtime) -> None:
    SEEN.clear()

    async def failing_change() -> None:
        async with transaction(runtime.sessionmaker) as session:
            await jobs.enqueue(session, name="tests.record", payload={"tag": "b"})
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert await run_due(runtime, names={"tests.record"}, periodic=False) == 0
    assert SEEN == []


async def test_run_at_and_dedupe_key(runtime: Runtime) -> None:
    SEEN.clear()
    later = utc_now() + timedelta(hours=1)
    async with transaction(runtime.sessionmaker) as session:
        first = await jobs.enqueue(
            session, name="tests.record", payload={"tag": "c"}, run_at=later, dedupe_key="c-key"
        )
        second = await jobs.enqueue(
            session, name="tests.record", payload={"tag": "c"}, dedupe_key="c-key"
        )
    assert first is not None
    assert second is None
    assert await run_due(runtime, names={"tests.record"}, periodic=False) == 0
    with freeze(later + timedelta(seconds=1)):
        assert await run_due(runtime, names={"tests.record"}, periodic=False) == 1
    assert SEEN == [("c", 1)]


async def test_failing_job_is_retried_then_kept_as_failed(runtime: Runtime) -> None:
    async with transaction(runtime.sessionmaker) as session:
        await jobs.enqueue(session, name="tests.record", payload={"tag": "d", "fail": True})
    await run_due(runtime, names={"tests.record"}, periodic=False)
    (row,) = await _job_rows(runtime, "d")
    assert row.attempts == 1
    assert row.state == "queued"
    assert "boom" in (row.last_error or "")
    with freeze(row.run_at + timedelta(seconds=1)):
        await run_due(runtime, names={"tests.record"}, periodic=False)
    (row,) = await _job_rows(runtime, "d")
    assert row.state == FAILED
    assert row.attempts == 2


async def test_retry_later_does_not_count_an_attempt(runtime: Runtime) -> None:
    SEEN.clear()
    async with transaction(runtime.sessionmaker) as session:
        await jobs.enqueue(session, name="tests.record", payload={"tag": "e", "later": True})
    await run_due(runtime, names={"tests.record"}, periodic=False)
    assert SEEN == [("later", "e"), ("e", 1)]


async def test_periodic_runs_once_per_due_time_across_workers(runtime: Runtime) -> None:
    SEEN.clear()
    start = datetime(2031, 5, 5, 10, 0, 30, tzinfo=UTC)
    names = {"tests.every_minute", "tests.nightly"}
    with freeze(start):
        await run_due(runtime, names=names)  # creates the schedules; nothing due yet
    assert SEEN == []
    with freeze(start + timedelta(minutes=1)):
        # many "workers" race for the same due time: one wins
        counts = await asyncio.gather(
            *[schedule_due_periodics(runtime, only=names) for _ in range(5)]
        )
        assert sum(counts) == 1
        await run_due(runtime, names=names)
    expected = [("tick", datetime(2031, 5, 5, 10, 1, tzinfo=UTC))]
    assert expected == SEEN
    SEEN.clear()
    # the workers were down for a day: missed minutes collapse into one run; nightly runs once
    with freeze(start + timedelta(days=1, minutes=5)):
        await run_due(runtime, names=names)
        await run_due(runtime, names=names)
    assert sorted(SEEN, key=str) == sorted(
        [
            ("tick", datetime(2031, 5, 6, 10, 5, tzinfo=UTC)),
            ("nightly", datetime(2031, 5, 6, 2, 0, tzinfo=UTC)),
        ],
        key=str,
    )
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(PeriodicSchedule, "tests.every_minute")
        assert row is not None
        assert row.next_due_at == datetime(2031, 5, 6, 10, 6, tzinfo=UTC)


async def test_worker_loop_runs_jobs_and_drains(runtime: Runtime) -> None:
    SEEN.clear()
    worker = Worker(runtime, names={"tests.record"}, periodic=False)
    task = asyncio.create_task(worker.run())
    async with transaction(runtime.sessionmaker) as session:
        for i in range(5):
            await jobs.enqueue(session, name="tests.record", payload={"tag": f"w{i}"})
    for _ in range(200):
        if len(SEEN) == 5:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(task, 10)
    assert sorted(SEEN) == [(f"w{i}", 1) for i in range(5)]


@jobs.handler("tests.stalled")
async def stalled_job(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    ctx.check_lease(at_least=10**9)  # as if this worker had stalled past its lease
    SEEN.append(("stalled-side-effect", ctx.attempt))


async def test_a_job_whose_lease_may_have_expired_stops_before_its_side_effect(
    runtime: Runtime,
) -> None:
    SEEN.clear()
    async with transaction(runtime.sessionmaker) as session:
        job_id = await jobs.enqueue(session, name="tests.stalled", payload={})
    assert await run_due(runtime, names={"tests.stalled"}, periodic=False) == 1
    assert SEEN == []
    async with transaction(runtime.sessionmaker) as session:
        row = await session.get(Job, job_id)
    # left as it was: still leased (to whoever may have taken it over), not failed, not removed
    assert row is not None
    assert row.state == "queued"
    assert row.locked_by is not None
    assert row.last_error is None
