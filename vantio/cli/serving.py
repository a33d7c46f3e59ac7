"""How `vantio serve` runs the app: one process, or N (uvicorn workers), each with its own
supervised in-process worker unless `--no-worker`.

With several processes uvicorn imports `server_app` in each of them (a factory: the app cannot be
handed over between processes), so what the command decided travels in the environment: the
settings it overrode (`VANTIO_HOST`, `VANTIO_PORT`), whether to run a worker
(`VANTIO_SERVE_IN_PROCESS_WORKER`), and the directory in which the processes' metrics meet
(`PROMETHEUS_MULTIPROC_DIR`, read by `vantio.observability.metrics`).
"""

import atexit
import inspect
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from vantio.config import Settings, get_settings

IN_PROCESS_WORKER = "VANTIO_SERVE_IN_PROCESS_WORKER"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # vantio.observability.metrics.MULTIPROC_ENV

SQLITE_ONE_PROCESS = (
    "--workers {workers} needs PostgreSQL: SQLite has one writer, and its scan writer and "
    "in-process worker assume one process. Serve with one process (the default), or "
    "set VANTIO_DATABASE_URL=postgresql+asyncpg://USER:PASSWORD@HOST/DBNAME (docs/deploy.md)."
)


def refusal(settings: Settings, workers: int) -> str | None:
    """Why `vantio serve --workers N` cannot run on these settings, or None."""
    if workers > 1 and settings.is_sqlite:
        return SQLITE_ONE_PROCESS.format(workers=workers)
    return None


def warnings(settings: Settings, workers: int) -> list[str]:
    """What works with several processes, but not as an operator would expect."""
    if workers > 1 and not settings.redis_url:
        return [
            f"Rate limits are counted in each of the {workers} processes (up to {workers} times "
            "the configured limits): set VANTIO_REDIS_URL to share them."
        ]
    return []


def prepare_processes(settings: Settings, *, workers: int, in_process_worker: bool) -> None:
    """Put in the environment what each of the server's processes must know."""
    os.environ["VANTIO_HOST"] = settings.host
    os.environ["VANTIO_PORT"] = str(settings.port)
    os.environ[IN_PROCESS_WORKER] = "1" if in_process_worker else "0"
    if workers > 1:
        given = os.environ.get(MULTIPROC_ENV)
        if given:
            # The operator's directory: clear what a previous run left (its counters would add up).
            for stale in Path(given).glob("*.db"):
                stale.unlink()
        else:
            made = tempfile.mkdtemp(prefix="vantio-metrics-")
            os.environ[MULTIPROC_ENV] = made
            atexit.register(shutil.rmtree, made, True)


def uvicorn_options() -> dict[str, Any]:
    """Options of the installed uvicorn that only some releases have."""
    import uvicorn

    accepted = inspect.signature(uvicorn.Config).parameters
    # A worker process answers uvicorn's health check once it has imported the app: seconds on
    # a busy host, where uvicorn's default (5 s) kills and restarts it in a loop.
    return {"timeout_worker_healthcheck": 30} if "timeout_worker_healthcheck" in accepted else {}


def server_app() -> FastAPI:
    """The app of one server process (uvicorn's factory)."""
    from vantio.app import create_app
    from vantio.worker.process import run_in_app

    app = create_app(get_settings())
    if os.environ.get(IN_PROCESS_WORKER, "1") == "1":
        run_in_app(app)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        # This process's live gauges (the pool in use) stop counting when it exits.
        atexit.register(multiprocess.mark_process_dead, os.getpid())
    return app
