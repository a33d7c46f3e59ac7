"""`Observe`: the access log line and the request metrics of every HTTP answer.

It wraps the whole stack, in front of the scan's fast path (`Application.front_middleware`): it
sees every answer, scans included, with the status actually sent; it reads the request id at the
end, when `RequestId` (or the scan's fast path) has given it. Requests are labelled by route
template (`/api/v1/programs/{program_id}`), never by path: a path carries ids and poster codes,
which would make one time series per object and write capabilities into the log.
"""

import functools
import logging
import time
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantio.observability import metrics

access_log = logging.getLogger("vantio.access")

SCAN_ROUTE = "/s/{code}"
UNMATCHED = "<unmatched>"
_SCAN_OUTCOMES = {302: "redirected", 404: "not_found", 503: "unavailable"}


class Observe:
    def __init__(self, app: ASGIApp, *, access_log_enabled: bool = True) -> None:
        self.app = app
        self.access_log_enabled = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server sends when the app ends without answering

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method: str = scope["method"]
        route = route_template(scope)
        count, latency, scans = _series(method, route, status)
        count.inc()
        latency.observe(seconds)
        if scans is not None:
            scans.inc()
        if self.access_log_enabled and access_log.isEnabledFor(logging.INFO):
            request_id = _request_id(scope)
            duration_ms = round(seconds * 1000, 2)
            # The record is made directly: Logger.info would walk the stack to find its caller,
            # the largest part of its cost, on every request (the scan's hot path included).
            record = access_log.makeRecord(
                access_log.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s %d %.2fms",
                (request_id, method, route, status, duration_ms),
                None,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
            access_log.handle(record)


@functools.cache
def _series(method: str, route: str, status: int) -> tuple[Any, Any, Any]:
    """The time series of one (method, route, status), looked up once: `labels()` takes a lock
    and builds a key on every call. Bounded: routes are templates, statuses a few dozen."""
    scans = (
        metrics.SCANS.labels(_SCAN_OUTCOMES.get(status, "other")) if route == SCAN_ROUTE else None
    )
    return (
        metrics.REQUESTS.labels(method, route, str(status)),
        metrics.REQUEST_SECONDS.labels(method, route),
        scans,
    )


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/v1/users/{user_id}`), `/s/{code}` for a
    scan (answered before routing), `<unmatched>` when no route matched."""
    # FastAPI (0.165) keeps included routers nested: the route object knows only its path inside
    # its router, the effective route context the full template, prefixes included.
    context: Any = (scope.get("fastapi") or {}).get("effective_route_context")
    full = getattr(context, "path_format", None)
    route: Any = scope.get("route")
    if isinstance(full, str) and full:
        return f"{full}/{{path}}" if isinstance(route, Mount) else full
    if route is not None:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            return f"{path}/{{path}}" if isinstance(route, Mount) else path
    path_text: str = scope.get("path", "")
    if path_text.startswith("/s/") and "/" not in path_text[3:]:
        return SCAN_ROUTE
    return UNMATCHED


def _request_id(scope: Scope) -> str:
    # Set by vantio.http.middleware.RequestId, which runs outside this middleware.
    value = (scope.get("state") or {}).get("request_id")
    return value if isinstance(value, str) else "-"
