"""One mapping from what a request can raise to a typed `VantioError`, for every surface.

Two places catch errors: the request runner (`vantio.http.runner`), for requests that reach an API
route, and the application's exception handlers (`install_error_handlers`), for those that do
not (an unknown path, a method the path does not take, a route outside the runner). Both ask
`error_of` what the error is and render it with the surface's renderer, so a 404, a 405 or a
malformed body looks the same wherever it was raised.

`error_of` answers None for exceptions it does not know (a bug, a database that went away): they
propagate. It is the one place to teach more, e.g. "database unreachable → 503" or "anything
else → 500 in the surface's shape with the request id".
"""

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from vantio.errors import (
    FieldError,
    MethodNotAllowed,
    NotFound,
    VantioError,
    invalid_input,
    malformed_json,
)
from vantio.http.surfaces import surface_for

# What `error_of` maps; the application installs one handler for each.
MAPPED: tuple[type[Exception], ...] = (VantioError, RequestValidationError, HTTPException)


def error_of(exc: BaseException, connection: HTTPConnection) -> VantioError | None:
    """The typed error that `exc` answers, or None when it is not a known error (it propagates)."""
    if isinstance(exc, VantioError):
        return exc
    if isinstance(exc, RequestValidationError):
        return invalid_input(exc.errors())
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc, connection)
    return None


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
        error = error_of(exc, request)
        if error is None:  # not registered for such exceptions: cannot happen
            raise exc
        return surface_for(request.url.path).render(error)

    for kind in MAPPED:
        app.add_exception_handler(kind, render)
