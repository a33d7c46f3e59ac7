"""Route classes, and what a route declares about itself.

An API route is declared in its domain's `endpoints.py` on a router whose `route_class` names its
surface (`ReferralRoute` for `/api/v1`, `VoucherRoute` for `/v1`):

    @router.post("", response_model=UserOut, responses=errors(404, 409))
    @idempotent("users.create")
    async def create_user(...) -> UserOut:

- `@idempotent(scope)`: every POST names its idempotency scope (keys are unique per account,
  mode and scope), once; a POST without one, or another method with one, fails at import.
- `@rate_class(RateClass.X)`: the rate limit it counts against, when not its surface's default.
- `responses={200: content(description, media_type)}`: an answer that is not JSON (a file,
  an image), with `response_class=Response`.
- `responses=errors(...)`: the error statuses it answers besides those every route of the
  surface can give (400, 401, 429; 404 with an id in the path; 409 and 413 for a POST; 413 for
  a PUT). The route class documents each with the surface's error body.

The route class hands every request to the runner (`vantio.http.runner`) with these facts.
"""

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from vantio.config import RateClass
from vantio.http.runner import Operation, run_request
from vantio.http.surfaces import Surface, referral_surface, voucher_surface

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Responses = dict[int | str, dict[str, Any]]

_DECLARED = "__vantio_route__"
_WITH_BODY = {"POST", "PUT", "PATCH"}
_DESCRIPTIONS = {
    400: "Bad input: `message` starts with the field's name, `details` lists every failing field",
    401: "Missing, malformed, unknown or revoked API key",
    404: "No such object in this account and mode",
    409: "A conflict; on any POST also an idempotency key reused with another request, or still "
    "in use by a running one",
    413: "The request body is larger than the server takes",
    429: "Rate limit exceeded; `Retry-After` says when to retry",
}


@dataclass(frozen=True)
class Declared:
    idempotency_scope: str | None = None
    rate_class: RateClass | None = None


def _declared(endpoint: Callable[..., Any]) -> Declared:
    declared = getattr(endpoint, _DECLARED, None)
    return declared if isinstance(declared, Declared) else Declared()


def _declare(endpoint: Endpoint, **facts: Any) -> Endpoint:
    endpoint.__dict__[_DECLARED] = replace(_declared(endpoint), **facts)
    return endpoint


def idempotent(scope: str) -> Callable[[Endpoint], Endpoint]:
    """Declare a POST's idempotency scope (`"users.create"`): unique among the app's routes."""
    return lambda endpoint: _declare(endpoint, idempotency_scope=scope)


def rate_class(name: RateClass) -> Callable[[Endpoint], Endpoint]:
    """Declare the rate class a route counts against, when it is not its surface's default."""
    return lambda endpoint: _declare(endpoint, rate_class=name)


def errors(*statuses: int) -> Responses:
    """Error statuses a route answers besides those every route of its surface can give."""
    return {status: {} for status in statuses}


def content(description: str, *media_types: str) -> dict[str, Any]:
    """An answer that is not JSON (a CSV file, an image, a page), for `responses={status: ...}`."""
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string"}} for media_type in media_types},
    }


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Callable[..., object], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.summary is None and self.description:
            self.summary = self.description.strip().splitlines()[0]


class ApiRoute(DocumentedRoute):
    """A route of an API surface: every request goes through the runner; subclasses name the surface."""

    surface: ClassVar[Surface]

    def __init__(self, path: str, endpoint: Callable[..., object], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ("GET",)}
        declared = _declared(endpoint)
        name = getattr(endpoint, "__qualname__", repr(endpoint))
        if ("POST" in methods) != (declared.idempotency_scope is not None):
            raise TypeError(
                f"{name}: a POST route declares its idempotency scope with @idempotent(...), "
                "and only a POST route does"
            )
        # Set before APIRoute.__init__, which builds the request handler.
        self.operation = Operation(
            surface=self.surface,
            rate_class=declared.rate_class or self.surface.default_rate_class,
            idempotency_scope=declared.idempotency_scope,
        )
        kwargs["responses"] = self._error_responses(path, methods, kwargs.get("responses"))
        super().__init__(path, endpoint, **kwargs)

    def _error_responses(
        self, path: str, methods: set[str], declared: Responses | None
    ) -> Responses:
        """The declared responses, plus the errors every such route can give, each documented
        with the surface's error body."""
        statuses = [400, 401, 429]
        if "{" in path:
            statuses.append(404)
        if methods & _WITH_BODY:
            statuses.append(413)
        if "POST" in methods:
            statuses.append(409)  # an idempotency key reused, or still in flight
        responses: Responses = {status: {} for status in statuses}
        for status, response in (declared or {}).items():
            responses[status] = {**responses.get(status, {}), **response}
        for status, response in responses.items():
            if int(status) >= 400 and "content" not in response:
                response.setdefault("model", self.surface.error_model)
                response.setdefault(
                    "description",
                    _DESCRIPTIONS.get(int(status), HTTPStatus(int(status)).phrase),
                )
        return dict(sorted(responses.items(), key=lambda item: str(item[0])))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = super().get_route_handler()
        operation = self.operation

        async def handler(request: Request) -> Response:
            return await run_request(request, endpoint, operation)

        return handler


class ReferralRoute(ApiRoute):
    surface = referral_surface


class VoucherRoute(ApiRoute):
    surface = voucher_surface


def check_idempotency_scopes(routes: Iterable[BaseRoute]) -> None:
    """Two routes sharing a scope would replay each other's answers: refuse to start."""
    seen: dict[str, str] = {}
    for route in routes:
        if not isinstance(route, ApiRoute) or route.operation.idempotency_scope is None:
            continue
        scope, where = route.operation.idempotency_scope, f"{route.endpoint.__qualname__}"
        if scope in seen:
            raise ValueError(f"{seen[scope]} and {where} both declare idempotency scope {scope!r}")
        seen[scope] = where
