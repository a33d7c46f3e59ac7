"""The composition root fills the worker's job registry; tests leave no job, fold or schedule
behind (the suite passes in any order)."""

import importlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import vantio
from vantio import composition
from vantio.analytics import rollups
from vantio.analytics.models import RollupWatermark
from vantio.db.session import transaction
from vantio.kit.time import freeze, utc_now
from vantio.runtime import Runtime
from vantio.worker import jobs
from vantio.worker.jobs import JobRegistry
from vantio.worker.models import PeriodicSchedule
from vantio.worker.runner import Worker, run_due


@jobs.handler("tests.composition.noop")
async def noop(ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    """Declared, never registered by the composition root."""


def test_every_domains_jobs_module_is_composed() -> None:
    """A `jobs.py` left out of `JOB_MODULES` would enqueue jobs that no worker ever runs."""
    package = Path(vantio.__file__).parent
    modules = {
        importlib.import_module(f"vantio.{path.parent.name}.jobs")
        for path in package.glob("*/jobs.py")
        if path.parent.name != "worker"
    }
    assert modules == set(composition.JOB_MODULES)
    registry = composition.job_registry()
    for module in modules:
        assert JobRegistry.from_modules(module).names() <= registry.names(), module.__name__
    assert {"webhooks.deliver", "vouchers.expire", "analytics.rollups"} <= registry.names()


def test_a_registry_is_the_callers_own() -> None:
    mine = composition.job_registry()
    mine.add(noop)
    assert "tests.composition.noop" in mine
    assert "tests.composition.noop" not in composition.job_registry()
    with pytest.raises(ValueError, match="already registered"):
        mine.add(noop)


async def test_the_suites_runtime_knows_no_test_job(runtime: Runtime) -> None:
    """tests/worker/test_worker.py runs its jobs from a registry of its own: none reaches this one."""
    assert not any(name.startswith("tests.") for name in runtime.jobs.names())
    assert runtime.jobs.names() == composition.job_registry().names()


async def test_a_worker_without_jobs_refuses_to_start(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match=r"vantio\.composition"):
        Worker(replace(runtime, jobs=JobRegistry()))


# -- state the whole database shares: each test leaves it as it found it --------------------------


async def test_a_test_may_fold_and_schedule_years_ahead(runtime: Runtime) -> None:
    async with transaction(runtime.sessionmaker) as session:
        await rollups.refresh(session, up_to=utc_now())
    with freeze(datetime(2100, 1, 1, tzinfo=UTC)):
        await run_due(runtime, names={"analytics.rollups", "payouts.scheduled"})
    async with transaction(runtime.sessionmaker) as session:
        assert await session.scalar(select(RollupWatermark.below_id)) is not None
        assert await _schedules_ahead(session)


async def test_every_test_starts_with_nothing_folded_and_no_schedule_ahead(
    runtime: Runtime,
) -> None:
    """True whichever tests ran before (the one above, in file order): `conftest.py` undoes what
    a test did to the analytics watermark and the periodic schedules."""
    async with transaction(runtime.sessionmaker) as session:
        assert await session.scalar(select(RollupWatermark.below_id)) is None
        assert await _schedules_ahead(session) == []


async def _schedules_ahead(session: Any) -> list[str]:
    ahead = utc_now() + timedelta(days=2)
    rows = await session.scalars(
        select(PeriodicSchedule.name).where(PeriodicSchedule.next_due_at > ahead)
    )
    return list(rows)
