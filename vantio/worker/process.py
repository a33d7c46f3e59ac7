"""Running workers: as a process of its own (`vantio worker`) or inside the server (`vantio serve`)."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from vantio.worker.runner import Worker

if TYPE_CHECKING:
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")


async def run_worker_process(runtime: "Runtime", *, concurrency: int | None = None) -> None:
    """Run one worker until SIGTERM or SIGINT; running jobs finish before it returns (drain).

    The caller built `runtime` (with its jobs, `vantio.composition`) and closes it afterwards."""
    worker = Worker(runtime, concurrency=concurrency)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop)
    log.info("worker %s started (concurrency %d)", worker.id, worker.concurrency)
    await worker.run()
    log.info("worker %s stopped", worker.id)


def run_in_app(app: FastAPI) -> None:
    """Run a worker inside the server's process for as long as the app runs (`vantio serve`).

    It starts after the app's own start-up and stops (draining running jobs) before the app's
    own shutdown closes the database.
    """
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running_app: FastAPI) -> AsyncIterator[Any]:
        async with inner(running_app) as state:
            worker = Worker(running_app.state.runtime)
            task = asyncio.create_task(worker.run(), name="vantio in-process worker")
            try:
                yield state
            finally:
                worker.stop()
                with contextlib.suppress(Exception):
                    await task

    app.router.lifespan_context = lifespan
