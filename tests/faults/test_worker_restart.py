"""A worker that crashes (a bug that escapes its loop) is restarted by its supervisor, as under
`vantio serve` and `vantio worker`, and the jobs go on running."""

import asyncio
import dataclasses
import logging
from typing import Any

import pytest

from tests.faults.harness import until
from vantio.db.session import transaction
from vantio.runtime import Runtime
from vantio.worker import jobs
from vantio.worker.jobs import JobRegistry
from vantio.worker.process import Supervisor
from vantio.worker.runner import Worker

ran: list[str] = []


@jobs.handler("faults.note")
async def note(_ctx: jobs.JobContext, payload: dict[str, Any]) -> None:
    ran.append(payload["n"])


class CrashingOnce(Worker):
    crashed = False

    async def run(self) -> None:
        if not CrashingOnce.crashed:
            CrashingOnce.crashed = True
            raise RuntimeError("a bug in the worker")
        await super().run()


async def test_a_crashed_worker_is_restarted(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="vantio.worker")
    own = dataclasses.replace(runtime, jobs=JobRegistry(note))
    supervisor = Supervisor(lambda: CrashingOnce(own, periodic=False, names={"faults.note"}))
    task = asyncio.create_task(supervisor.run())
    try:
        async with transaction(own.sessionmaker) as session:
            await jobs.enqueue(session, name="faults.note", payload={"n": "after the crash"})
        await until(lambda: ran, 15, "the job, run by the restarted worker")
    finally:
        supervisor.stop()
        await asyncio.wait_for(task, 30)
    assert supervisor.restarts == 1
    assert ran == ["after the crash"]
    (crash,) = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert crash.exc_info is not None
