"""One mapping from what a request can raise to a typed `VantioError`, for every surface.

Three places catch errors: the request runner (`vantio.http.runner`), for requests that reach an
API route; the application's exception handlers (`install_error_handlers`), for those that do
not (an unknown path, a method the path does not take, a route outside the runner); and
`ErrorBoundary`, for whatever else escapes the application (a bug, a database that went away
before any handler ran). All ask `error_of` what the error is and render it with the surface's
renderer, so a 404, a 503 or a 500 looks the same wherever it was raised.

`error_of` knows every exception: a typed error is itself; the database being unreachable is a
503 with `Retry-After` (logged once per outage, not once per request); anything else is a bug,
answered 500 in the surface's shape with the request id, and logged once with its traceback and
that id, so that a user's report can be matched to the log line.
"""

import html
import logging
from http import HTTPStatus

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantio.db.engine import is_database_unavailable
from vantio.errors import (
    FieldError,
    MethodNotAllowed,
    NotFound,
    VantioError,
    invalid_input,
    malformed_json,
)
from vantio.http.middleware import request_id_of
from vantio.http.surfaces import surface_for
from vantio.kit.outage import Outage

log = logging.getLogger("vantio.http")

# What `error_of` maps; the application installs one handler for each.
MAPPED: tuple[type[Exception], ...] = (VantioError, RequestValidationError, HTTPException)

# The requests' view of the database: "lost" at the first request it fails, "recovered" at the
# first request that commits afterwards (the runner and the dashboard call `recovered()`).
database_outage = Outage(log, "database (requests)")
RETRY_AFTER_SECONDS = 2


class ServiceUnavailable(VantioError):
    status = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable; retry shortly"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class InternalError(VantioError):
    status = 500
    code = "internal_error"

    def __init__(self, request_id: str | None) -> None:
        reference = f" (request {request_id})" if request_id else ""
        super().__init__(
            f"An unexpected error occurred{reference}; quote the request id when reporting it",
            details={"request_id": request_id},
        )


def error_of(exc: BaseException, connection: HTTPConnection) -> VantioError:
    """The typed error that `exc` answers; an unknown one is logged here, once."""
    if isinstance(exc, VantioError):
        return exc
    if isinstance(exc, RequestValidationError):
        return invalid_input(exc.errors())
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc, connection)
    if is_database_unavailable(exc):
        database_outage.failed(exc)
        return ServiceUnavailable()
    request_id = request_id_of(connection.scope)
    log.error(
        "unexpected error answering %s %s (request %s)",
        connection.scope.get("method", "GET"),
        connection.url.path,
        request_id,
        exc_info=exc,
    )
    return InternalError(request_id)


def _from_http_exception(exc: HTTPException, connection: HTTPConnection) -> VantioError:
    """Starlette's and FastAPI's own refusals."""
    if exc.status_code == 400:
        # A body that could not be parsed at all: JSON nested too deeply (FastAPI), a broken
        # form (Starlette).
        if "json" in connection.headers.get("content-type", "json"):
            return malformed_json()
        return FieldError("body", str(exc.detail))
    if exc.status_code == 404:
        method = connection.scope.get("method", "GET")
        return NotFound(f"No route {method} {connection.url.path}")
    if exc.status_code == 405:
        return MethodNotAllowed(allowed=(exc.headers or {}).get("Allow"))
    error = VantioError(str(exc.detail), code="http_error")
    error.status = exc.status_code
    return error


def install_error_handlers(app: FastAPI) -> None:
    """Render what is raised outside the runner in the shape of the surface its path belongs to."""

    async def render(request: Request, exc: Exception) -> Response:
        return surface_for(request.url.path).render(error_of(exc, request))

    for kind in MAPPED:
        app.add_exception_handler(kind, render)


# Paths that people, not programs, open: an error there is a page, not JSON.
HTML_PREFIXES = ("/dashboard", "/s/")


class ErrorBoundary:
    """Answers what escapes the application in the shape of the path's surface.

    Without it Starlette answers a plain-text 500 (and re-raises, so the server logs the error a
    second time, without the request id). It sits inside `RequestId`, so the answer carries the
    id. A failure after the answer started cannot be answered again: it is only logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            connection = HTTPConnection(scope)
            error = error_of(exc, connection)
            if started:
                return
            path: str = scope["path"]
            if path.startswith(HTML_PREFIXES):
                response: Response = error_page(error)
            else:
                response = surface_for(path).render(error)
            await response(scope, receive, send)


def error_page(error: VantioError) -> HTMLResponse:
    """A plain page for people (the dashboard renders its own, with its layout, when it can)."""
    title = HTTPStatus(error.status).phrase
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f"<p>{html.escape(error.message)}</p></body></html>"
    )
    headers = {**error.headers, "Cache-Control": "no-store"}
    return HTMLResponse(body, status_code=error.status, headers=headers)
