"""`GET /health` (liveness), `GET /health/ready` (readiness) and `GET /metrics` (Prometheus).

They are operations' routes, not the API's: no key, no rate limit, left out of the OpenAPI
document. `/metrics` says how the service is used: keep it behind the reverse proxy
(docs/deploy.md).
"""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import JSONResponse, Response

from vantio import __version__
from vantio.observability import health, metrics
from vantio.observability.queue import QueueCollector, read_queue

router = APIRouter(include_in_schema=False)
_NO_STORE = {"Cache-Control": "no-store"}


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/health")
async def live() -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok", "version": __version__}, headers=_NO_STORE)


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: database, migrations, worker heartbeat, Redis; 503 when one fails."""
    runtime = _runtime(request)
    checks = await health.readiness(runtime.engine, runtime.settings)
    ok = all(check.ok for check in checks.values())
    return JSONResponse(
        {
            "status": "ok" if ok else "unavailable",
            "version": __version__,
            "checks": {name: check.as_dict() for name, check in checks.items()},
        },
        status_code=200 if ok else 503,
        headers=_NO_STORE,
    )


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    """Prometheus text format: this process's (or every process's) figures and the queue's."""
    runtime = _runtime(request)
    if metrics.multiprocess_dir():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    shared = CollectorRegistry()
    try:
        figures = await asyncio.wait_for(read_queue(runtime.engine), health.CHECK_TIMEOUT)
        shared.register(QueueCollector(figures))
        body += generate_latest(shared)
    except Exception:  # the database is down: the process's own figures still matter
        body += b"# the job queue could not be read (database unavailable)\n"
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)
