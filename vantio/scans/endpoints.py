"""Public routes of the scan: no API key, the poster's code is the capability.

`GET /s/{code}` is the hot path: every scan of every poster. `ScanFastPath` answers it (and HEAD)
as plain ASGI in front of FastAPI's stack, whose routing, dependency injection and middleware
cost more than recording the scan (bench/scan.py measures it). The FastAPI route below documents
it in OpenAPI and answers the same way when a request reaches it.
"""

import io
import re
import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote

import segno
from fastapi import APIRouter, Request
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vantio.db.session import transaction
from vantio.http.dependencies import runtime_of
from vantio.http.errors import error_of, error_page
from vantio.http.middleware import REQUEST_ID_HEADER, assign_request_id
from vantio.http.routes import DocumentedRoute, content
from vantio.kit.time import utc_now
from vantio.posters import service as poster_service
from vantio.posters.models import Poster
from vantio.scans import service
from vantio.scans.errors import ScanNotRecorded
from vantio.scans.writer import writer_of

router = APIRouter(tags=["Scans"], route_class=DocumentedRoute)

_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The device cookie: first-party, on the scan URLs only, random (128 bits), kept for 400 days
# (the longest a browser keeps a cookie); a repeat scan of a device is recognised by it.
DEVICE_COOKIE = "vantio_device"
_DEVICE_COOKIE_PREFIX = f"{DEVICE_COOKIE}="
_DEVICE = re.compile(r"[A-Za-z0-9_-]{22,64}")
_DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600
_HTML = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")]


def _page(title: str, heading: str, text: str) -> bytes:
    """A small page a customer meets on a phone: readable without zoom, no external asset."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{title}</title><style>"
        "body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;"
        "background:#f6f7f9;color:#1f2933;font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
        "Roboto,sans-serif}main{max-width:28rem;margin:1.5rem;padding:2rem 1.5rem;"
        "background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
        "text-align:center}h1{font-size:1.35rem;margin:0 0 .75rem}p{margin:0;color:#52606d}"
        "@media (prefers-color-scheme:dark){body{background:#111417;color:#e4e7eb}"
        "main{background:#1c2127}p{color:#9aa5b1}}"
        f"</style></head><body><main><h1>{heading}</h1><p>{text}</p></main></body></html>"
    ).encode()


_NOT_FOUND_PAGE = _page(
    "Poster not found",
    "This poster's link is not valid",
    "The QR code may be old or mistyped. Ask the person who shared it for a new one.",
)
_UNAVAILABLE_PAGE = _page(
    "Please try again",
    "We could not record your scan",
    "Please scan the code again in a moment.",
)


class Answer(NamedTuple):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def answer_scan(app: Any, scope: Scope, code: str) -> Answer:
    """Record the scan of `code` that `scope` (an HTTP GET or HEAD) carries and say what to answer."""
    if _CODE.fullmatch(code) is None:
        return Answer(404, _HTML, _NOT_FOUND_PAGE)
    user_agent = referrer = device = None
    for name, value in scope["headers"]:
        if name == b"user-agent":
            user_agent = value.decode("latin-1")
        elif name == b"referer":
            referrer = value.decode("latin-1")
        elif name == b"cookie" and device is None:
            device = _device_of(value.decode("latin-1"))
    device_known = device is not None
    if device is None:
        device = secrets.token_urlsafe(16)
    client = scope.get("client")
    query_string: bytes = scope.get("query_string", b"")
    query: Sequence[tuple[str, str]] = (
        parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if query_string else ()
    )
    visit = service.visit(
        code,
        user_agent=user_agent,
        ip_address=client[0] if client else None,
        referrer=referrer,
        query=query,
        count=scope["method"] == "GET",
        at=utc_now(),
        device=device,
        device_known=device_known,
    )
    try:
        outcome = await writer_of(app).record(visit)
    except ScanNotRecorded:
        return Answer(503, [*_HTML, (b"retry-after", b"1")], _UNAVAILABLE_PAGE)
    if outcome is None:
        return Answer(404, _HTML, _NOT_FOUND_PAGE)
    location = quote(outcome.location, safe=":/%#?=@[]!$&'()*+,;~").encode("latin-1")
    headers = [(b"location", location), (b"content-length", b"0"), (b"cache-control", b"no-store")]
    if not device_known:
        cookie = f"{_DEVICE_COOKIE_PREFIX}{device}".encode("ascii") + _cookie_attributes(app)
        headers.append((b"set-cookie", cookie))
    return Answer(302, headers, b"")


def _device_of(cookie_header: str) -> str | None:
    """The device cookie's value in a `Cookie` header, if it has a sane one."""
    start = cookie_header.find(_DEVICE_COOKIE_PREFIX)
    while start != -1:
        if start == 0 or cookie_header[start - 1] in "; ":
            value = cookie_header[start + len(_DEVICE_COOKIE_PREFIX) :].split(";", 1)[0].strip()
            return value if _DEVICE.fullmatch(value) else None
        start = cookie_header.find(_DEVICE_COOKIE_PREFIX, start + 1)
    return None


def _cookie_attributes(app: Any) -> bytes:
    """`Set-Cookie`'s value after the cookie's own: `Secure` when the public URL is https."""
    attributes: bytes | None = getattr(app.state, "scan_cookie_attributes", None)
    if attributes is None:
        settings = app.state.runtime.settings
        secure = settings.public_base_url().startswith("https://")
        attributes = (
            f"; Max-Age={_DEVICE_COOKIE_MAX_AGE}; Path=/s; HttpOnly; SameSite=Lax"
            + ("; Secure" if secure else "")
        ).encode("ascii")
        app.state.scan_cookie_attributes = attributes
    return attributes


class ScanFastPath:
    """Answers `GET|HEAD /s/{code}` in front of the whole stack (`Application.front_middleware`);
    everything else passes through.

    Each layer of the stack wraps `send` in a closure of its own, and together they cost more
    than the scan's own work, so this answers alone and adds what they would have: the request
    id (`RequestId`), `X-Content-Type-Options: nosniff` (`ResponseHeaders`; its rewriting of a
    redirect to the request's own host does not apply: the landing page is configured, never
    built from `Host`), and an error page for an unexpected failure (`ErrorBoundary`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/s/"):
            code = scope["path"][3:]
            if "/" not in code and scope["method"] in ("GET", "HEAD"):
                request_id = assign_request_id(scope).encode("ascii")
                try:
                    status, headers, body = await answer_scan(scope["app"], scope, code)
                except Exception as exc:
                    page = error_page(error_of(exc, HTTPConnection(scope)))
                    status, headers, body = page.status_code, page.raw_headers, bytes(page.body)
                else:
                    if body:
                        headers = [*headers, (b"content-length", str(len(body)).encode())]
                headers = [*headers, _NOSNIFF, (REQUEST_ID_HEADER, request_id)]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


_NOSNIFF = (b"x-content-type-options", b"nosniff")


NO_POSTER = content("No poster has this code: a page saying so", "text/html")


@router.head("/s/{code}", include_in_schema=False)
@router.get(
    "/s/{code}",
    response_class=Response,
    status_code=302,
    responses={
        302: {
            "description": "To the landing page, with `impression_id` in its query",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
        404: NO_POSTER,
        503: content("The scan could not be recorded: a page asking to scan again", "text/html"),
    },
)
async def scan(request: Request, code: str) -> Response:
    """Record a scan of a poster's QR code and redirect to the landing page with `impression_id`."""
    status, headers, body = await answer_scan(request.app, request.scope, code)
    response = Response(body, status_code=status)
    for name, value in headers:
        response.headers[name.decode()] = value.decode("latin-1")
    return response


@router.get(
    "/s/{code}/qr.svg",
    response_class=Response,
    responses={200: content("The QR code", "image/svg+xml"), 404: NO_POSTER},
)
async def qr_svg(request: Request, code: str) -> Response:
    """The poster's QR code as SVG."""
    poster = await _poster(request, code)
    if poster is None:
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
    buffer = io.BytesIO()
    segno.make(scan_url(request, poster), error="m").save(
        buffer, kind="svg", scale=10, border=4, xmldecl=False
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers=_CACHE)


@router.get(
    "/s/{code}/qr.png",
    response_class=Response,
    responses={200: content("The QR code", "image/png"), 404: NO_POSTER},
)
async def qr_png(request: Request, code: str) -> Response:
    """The poster's QR code as PNG."""
    poster = await _poster(request, code)
    if poster is None:
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
    buffer = io.BytesIO()
    segno.make(scan_url(request, poster), error="m").save(buffer, kind="png", scale=10, border=4)
    return Response(buffer.getvalue(), media_type="image/png", headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=86400"}


async def _poster(request: Request, code: str) -> Poster | None:
    if _CODE.fullmatch(code) is None:
        return None
    async with transaction(runtime_of(request).sessionmaker) as session:
        return await poster_service.find_by_code(session, code=code)


def scan_url(request: Request, poster: Poster) -> str:
    return f"{runtime_of(request).settings.public_base_url()}/s/{poster.code}"
