"""Headers every answer gets, whoever produced it (API, scan, dashboard, static files, docs).

- `X-Content-Type-Options: nosniff`: a browser renders an answer only as its declared type, so a
  JSON error or a CSV export that echoes user input is never sniffed into HTML.
- Redirects never echo the `Host` header. Starlette's trailing-slash redirect (`/api/v1/programs/`
  → `/api/v1/programs`) builds an absolute URL from the request's `Host`, which any client sets:
  behind a cache, a forged `Host` would send other people elsewhere. Such a redirect is rewritten
  to the relative path it points to, which the browser resolves against the URL it asked for.
"""

from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ResponseHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _host_of(scope)

        async def send_safely(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                location = headers.get("location")
                if 300 <= message["status"] < 400 and location is not None:
                    headers["location"] = _without_own_host(location, host)
            await send(message)

        await self.app(scope, receive, send_safely)


def _host_of(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"host":
            text: str = value.decode("latin-1").lower()
            return text
    return None


def _without_own_host(location: str, host: str | None) -> str:
    """A redirect to the host the request named, as a relative URL; any other as it is (a scan's
    landing page is another site, and stays absolute)."""
    parts = urlsplit(location)
    if host is None or not parts.netloc or parts.netloc.lower() != host:
        return location
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
