"""The request runner of both API surfaces.

Every API request goes through `run_request`: authenticate, rate-limit, parse a JSON body
strictly (`vantio.http.json_body`: hostile JSON is refused before any domain code), reserve the idempotency
key of a POST, run the endpoint in one session, store the idempotent answer in that same
transaction, commit, and only then answer. Errors are rendered here, in the surface's own shape,
so rate-limit headers go on every response, errors included.
"""

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from vantio.auth.context import AuthContext
from vantio.auth.dependencies import authenticate
from vantio.config import RateClass
from vantio.db.session import commit
from vantio.errors import Unauthorized
from vantio.http import json_body
from vantio.http.dependencies import runtime_of
from vantio.http.errors import database_outage, error_of
from vantio.http.surfaces import Surface
from vantio.idempotency import service as idempotency
from vantio.runtime import Runtime

log = logging.getLogger("vantio.http")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """What the runner needs to know of a route, as the route declared it."""

    surface: Surface
    rate_class: RateClass
    idempotency_scope: str | None  # every POST has one, nothing else does


async def run_request(request: Request, endpoint: Handler, operation: Operation) -> Response:
    runtime = runtime_of(request)
    headers: dict[str, str] = {}
    reservation: idempotency.Reservation | None = None
    try:
        auth: AuthContext | None = None
        refusal: Unauthorized | None = None
        try:
            auth = await authenticate(
                runtime.sessionmaker,
                request,
                remember_seconds=runtime.settings.api_key_cache_seconds,
            )
        except Unauthorized as exc:
            refusal = exc
        host = request.client.host if request.client else "unknown"
        identity = auth.api_key_id if auth else f"ip:{host}"
        verdict = await runtime.limiter.hit(operation.rate_class, identity)
        if verdict is not None:
            headers = verdict.headers()
        # A client over its limit is refused before its key is judged, so that guessing keys
        # from one address is throttled like any other traffic.
        if verdict is not None and not verdict.allowed:
            raise verdict.error()
        if auth is None:
            raise refusal or Unauthorized()
        request.state.auth = auth

        body = await request.body()
        if body and json_body.is_json(request.headers.get("content-type")):
            # Hostile JSON (NaN, lone surrogates, too deep) stops here; FastAPI reads the value
            # this parse keeps (`request.json()`), so the body is parsed once.
            request._json = json_body.parse(body)

        if operation.idempotency_scope is not None:
            key = idempotency.key_of(request.headers.get("idempotency-key"), body)
            if key is not None:
                outcome = await idempotency.reserve(
                    runtime.sessionmaker,
                    scope=idempotency.Scope(
                        auth.account_id, auth.livemode, operation.idempotency_scope
                    ),
                    key=key,
                    request_hash=idempotency.hash_request(body, target=_target(request)),
                    policy=runtime.idempotency,
                )
                if isinstance(outcome, idempotency.StoredAnswer):
                    replayed = _replay(outcome)
                    replayed.headers.update(headers)
                    return replayed
                reservation = outcome

        async with contextlib.AsyncExitStack() as held:
            if reservation is not None:
                await held.enter_async_context(
                    idempotency.holding(runtime.sessionmaker, reservation, runtime.idempotency)
                )
            async with runtime.sessionmaker() as session:
                request.state.session = session
                response = await endpoint(request)
                if reservation is not None and response.status_code < 500:
                    await idempotency.complete(session, reservation, _stored(response))
                await commit(session)
        database_outage.recovered()
    except BaseException as exc:
        if reservation is not None:
            await _release(runtime, reservation)
        if not isinstance(exc, Exception):
            raise  # cancelled: nothing to answer
        response = operation.surface.render(error_of(exc, request))
    response.headers.update(headers)
    return response


async def _release(runtime: Runtime, reservation: idempotency.Reservation) -> None:
    """Free the key of a request that failed, so the client may retry at once. If the database
    cannot be reached, the reservation's lease runs out by itself within seconds."""
    try:
        await idempotency.release(runtime.sessionmaker, reservation)
    except Exception as exc:
        log.debug("releasing reservation %s failed: %r", reservation.record_id, exc)


def _target(request: Request) -> str:
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path


def _stored(response: Response) -> idempotency.StoredAnswer:
    return idempotency.StoredAnswer(
        status=response.status_code,
        media_type=response.media_type or response.headers.get("content-type"),
        body=bytes(response.body),
    )


def _replay(answer: idempotency.StoredAnswer) -> Response:
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=answer.media_type,
        headers={"Idempotent-Replayed": "true"},
    )
