"""ASGI middleware: the request id of every answer, and the request body size limit (enforced
before any handler reads the body)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vantio.errors import PayloadTooLarge
from vantio.http.surfaces import surface_for
from vantio.kit.ids import new_id
from vantio.kit.proxies import Network, client_address


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = PayloadTooLarge(_too_large_message(self.max_bytes))
        response = surface_for(scope["path"]).render(error)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


class _TooLarge(PayloadTooLarge):
    """Raised while a body over the limit is read: a typed error, so that whoever reads it (the
    request runner, which answers every error it meets) answers the same 413 as `_refuse`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(_too_large_message(max_bytes))


def _too_large_message(max_bytes: int) -> str:
    return f"body: request bodies are limited to {max_bytes} bytes"


REQUEST_ID_HEADER = b"x-request-id"
_MAX_REQUEST_ID = 200


class RequestId:
    """Every request gets an id, and every answer carries it in `X-Request-Id`.

    The id comes from the request's own `X-Request-Id` when it is sane (a proxy or a client that
    already numbers its requests), otherwise it is new. It lives in `scope["state"]["request_id"]`
    (`request.state.request_id`); logs and error bodies quote it, so that a user's report can be
    matched to the server's log line.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = (REQUEST_ID_HEADER, assign_request_id(scope).encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


def assign_request_id(scope: Scope) -> str:
    """Give the request its id (the client's own when sane, else a new one) and return it."""
    request_id = _given_request_id(scope) or new_id("req")
    scope.setdefault("state", {})["request_id"] = request_id
    return request_id


def request_id_of(scope: Scope) -> str | None:
    """The id `RequestId` gave this request (None outside it, e.g. in a bare test app)."""
    state = scope.get("state") or {}
    value: object = state.get("request_id")
    return value if isinstance(value, str) else None


def _given_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text: str = value.decode("latin-1")
            # Printable ASCII only: it is echoed in a header and written to logs.
            if 0 < len(text) <= _MAX_REQUEST_ID and text.isascii() and text.isprintable():
                return text
            return None
    return None


class TrustedProxies:
    """The client's address in `scope["client"]` (what `request.client.host` says everywhere:
    rate limits, sign-in limits, scans): from `X-Forwarded-For` only when the connection comes
    from a proxy named in `VANTIO_TRUSTED_PROXIES`, otherwise the connection's own address. The
    server runs with uvicorn's own proxy-header handling off (it trusts loopback by default)."""

    def __init__(self, app: ASGIApp, *, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks and scope.get("client"):
            peer, port = scope["client"]
            forwarded = [
                value.decode("latin-1")
                for name, value in scope["headers"]
                if name == b"x-forwarded-for"
            ]
            if forwarded:
                scope = {**scope, "client": (client_address(peer, forwarded, self.networks), port)}
        await self.app(scope, receive, send)
