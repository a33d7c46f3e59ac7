"""The request runner of both API surfaces.

Every API request goes through `run_request`: authenticate, rate-limit, reserve the idempotency
key of a POST, run the endpoint in one session, store the idempotent answer, commit, and only then
answer. Errors are rendered here, in the surface's own shape, so rate-limit headers go on every
response, errors included.
"""

import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, ClassVar

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from vantio.auth.context import AuthContext
from vantio.auth.dependencies import authenticate
from vantio.db.session import commit, transaction
from vantio.errors import BadRequest, RateLimited, Unauthorized, VantioError
from vantio.kit import idempotency
from vantio.kit.pagination import Page, parse_page
from vantio.runtime import Runtime
from vantio.surfaces import Surface, referral_surface, voucher_surface

Handler = Callable[[Request], Awaitable[Response]]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Callable[..., object], **kwargs: object) -> None:
        super().__init__(path, endpoint, **kwargs)  # type: ignore[arg-type]
        if self.summary is None and self.description:
            self.summary = self.description.strip().splitlines()[0]


class ApiRoute(DocumentedRoute):
    """A route of an API surface; subclasses name the surface."""

    surface: ClassVar[Surface]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = super().get_route_handler()
        surface = self.surface
        method = sorted(self.methods or {"GET"})[0]
        path = _effective_path(self)
        route_key = f"{method} {path}"
        rate_class = surface.rate_class(method, path)

        async def handler(request: Request) -> Response:
            return await run_request(request, endpoint, surface, route_key, rate_class)

        return handler


def _effective_path(route: APIRoute) -> str:
    """The route's full path, with the prefixes of the routers it is included in.

    FastAPI includes a router without copying its routes: it builds each handler with the
    included ("effective") route in a context variable, and `self.path` lacks the prefixes. The
    idempotency scope and the rate-limit class need the full path (`POST /v1/vouchers`).
    """
    from fastapi import routing as fastapi_routing

    context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    if context is not None and context.original_route is route:
        return str(context.path)
    return route.path


class ReferralRoute(ApiRoute):
    surface = referral_surface


class VoucherRoute(ApiRoute):
    surface = voucher_surface


async def run_request(
    request: Request, endpoint: Handler, surface: Surface, route_key: str, rate_class: str
) -> Response:
    runtime = runtime_of(request)
    headers: dict[str, str] = {}
    reservation: idempotency.Reservation | None = None
    try:
        auth: AuthContext | None = None
        refusal: Unauthorized | None = None
        try:
            async with transaction(runtime.sessionmaker) as session:
                auth = await authenticate(session, request)
        except Unauthorized as exc:
            refusal = exc
        host = request.client.host if request.client else "unknown"
        verdict = await runtime.limiter.hit(rate_class, auth.api_key_id if auth else f"ip:{host}")
        if verdict is not None:
            headers = verdict.headers()
        # A client over its limit is refused before its key is judged, so that guessing keys
        # from one address is throttled like any other traffic.
        if verdict is not None and not verdict.allowed:
            raise verdict.error()
        if auth is None:
            raise refusal or Unauthorized()
        request.state.auth = auth

        if request.method == "POST":
            body = await request.body()
            key = idempotency.key_of(request.headers.get("idempotency-key"), body)
            if key is not None:
                outcome = await idempotency.reserve(
                    runtime.sessionmaker,
                    scope=idempotency.Scope(auth.account_id, auth.livemode, route_key),
                    key=key,
                    request_hash=idempotency.hash_request(body),
                    policy=runtime.idempotency,
                )
                if isinstance(outcome, Response):
                    outcome.headers.update(headers)
                    return outcome
                reservation = outcome

        async with runtime.sessionmaker() as session:
            request.state.session = session
            response = await endpoint(request)
            if reservation is not None and response.status_code < 500:
                await idempotency.complete(session, reservation, response)
            await commit(session)
    except (VantioError, RequestValidationError, HTTPException) as exc:
        if reservation is not None:
            await idempotency.release(runtime.sessionmaker, reservation)
        error = _as_vantio_error(exc)
        response = surface.render(error)
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after)
    except BaseException:
        if reservation is not None:
            await idempotency.release(runtime.sessionmaker, reservation)
        raise
    response.headers.update(headers)
    return response


def _as_vantio_error(exc: VantioError | RequestValidationError | HTTPException) -> VantioError:
    if isinstance(exc, VantioError):
        return exc
    if isinstance(exc, RequestValidationError):
        return bad_request_from(exc)
    # FastAPI's own refusals (a body it could not parse at all, e.g. nested too deeply).
    error = (
        BadRequest("body: malformed JSON", details=[{"field": "body", "message": "malformed JSON"}])
        if exc.status_code == 400
        else VantioError(str(exc.detail), code="http_error")
    )
    error.status = exc.status_code
    return error


_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


def bad_request_from(exc: RequestValidationError) -> BadRequest:
    """FastAPI's validation errors as a 400 naming the first offending field."""
    details = []
    for error in exc.errors():
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "header")
        ]
        kind = error.get("type", "")
        field = "body" if kind == "json_invalid" else ".".join(loc) or "body"
        if kind == "json_invalid":
            message = "malformed JSON"
        elif kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            message = "field required"
        else:
            message = str(error.get("msg", "invalid value"))
            message = message.removeprefix("Value error, ")
            # A model-level rule names its field in its message ("name: may not be null").
            named = _NAMED_FIELD.match(message) if kind == "value_error" else None
            if named is not None:
                inner = named.group(1)
                field = inner if field == "body" else f"{field}.{inner}"
                message = named.group(2)
        details.append({"field": field, "message": message})
    first = details[0] if details else {"field": "body", "message": "invalid request"}
    return BadRequest(f"{first['field']}: {first['message']}", details=details)


def _session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


def _auth(request: Request) -> AuthContext:
    auth: AuthContext = request.state.auth
    return auth


def _runtime(request: Request) -> Runtime:
    return runtime_of(request)


SessionDep = Annotated[AsyncSession, Depends(_session)]
AuthDep = Annotated[AuthContext, Depends(_auth)]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def _referral_page(
    limit: Annotated[str | None, Query(description="Page size (default 50, at most 100)")] = None,
    offset: Annotated[str | None, Query(description="Number of results to skip")] = None,
) -> Page:
    return parse_page(limit, offset, default=50, maximum=100)


def _voucher_page(
    limit: Annotated[str | None, Query(description="Page size (default 10, at most 100)")] = None,
    offset: Annotated[str | None, Query(description="Number of results to skip")] = None,
) -> Page:
    return parse_page(limit, offset, default=10, maximum=100)


ReferralPageDep = Annotated[Page, Depends(_referral_page)]
VoucherPageDep = Annotated[Page, Depends(_voucher_page)]


def one_of(documented: str | None, other: str | None) -> str | None:
    """A filter given in either casing (`programId` or `program_id`)."""
    return documented if documented is not None else other
