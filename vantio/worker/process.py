"""Running workers: as a process of its own (`vantio worker`) or inside the server (`vantio serve`).

Either way the worker runs under a `Supervisor`: the worker's own loop survives the errors it
meets (an outage, a failing step), and should it still end with an exception (a bug), the
supervisor logs it with its traceback and starts a new worker after a back-off, so that
background work never silently stops while the process lives.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from vantio.kit.outage import backoff
from vantio.worker.runner import Worker

if TYPE_CHECKING:
    from vantio.runtime import Runtime

log = logging.getLogger("vantio.worker")

# A worker that ran this long before it crashed counts as healthy: the back-off starts over.
_HEALTHY_SECONDS = 60.0
_MAX_RESTART_DELAY = 30.0


class Supervisor:
    """Runs a worker made by `make_worker` until `stop()`, restarting it when it crashes."""

    def __init__(self, make_worker: Callable[[], Worker]) -> None:
        self.make_worker = make_worker
        self.worker: Worker | None = None
        self.restarts = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()
        if self.worker is not None:
            self.worker.stop()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while not self._stopping.is_set():
            self.worker = worker = self.make_worker()
            started = loop.time()
            try:
                await worker.run()
                return  # stopped
            except Exception:
                if loop.time() - started > _HEALTHY_SECONDS:
                    failures = 0
                failures += 1
                delay = backoff(failures, base=1.0, cap=_MAX_RESTART_DELAY)
                log.exception("worker %s crashed; a new one starts in %.1f s", worker.id, delay)
            self.restarts += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)


async def run_worker_process(runtime: "Runtime", *, concurrency: int | None = None) -> None:
    """Run one worker until SIGTERM or SIGINT; running jobs finish before it returns (drain).

    The caller built `runtime` (with its jobs, `vantio.composition`) and closes it afterwards."""
    supervisor = Supervisor(lambda: Worker(runtime, concurrency=concurrency))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, supervisor.stop)
    log.info("worker started (concurrency %d)", concurrency or runtime.settings.worker_concurrency)
    await supervisor.run()
    log.info("worker stopped")


def run_in_app(app: FastAPI) -> None:
    """Run a supervised worker inside the server's process for as long as the app runs
    (`vantio serve`).

    It starts after the app's own start-up and stops (draining running jobs) before the app's
    own shutdown closes the database.
    """
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running_app: FastAPI) -> AsyncIterator[Any]:
        async with inner(running_app) as state:
            supervisor = Supervisor(lambda: Worker(running_app.state.runtime))
            task = asyncio.create_task(supervisor.run(), name="vantio in-process worker")
            try:
                yield state
            finally:
                supervisor.stop()
                with contextlib.suppress(Exception):
                    await task

    app.router.lifespan_context = lifespan
