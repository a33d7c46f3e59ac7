"""Public routes of the scan: no API key, the poster's code is the capability."""

import io
from datetime import timedelta

import segno
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from vantio.db.session import transaction
from vantio.posters import service as poster_service
from vantio.posters.models import Poster
from vantio.routing import DocumentedRoute, runtime_of
from vantio.scans import service
from vantio.scans.service import Scan

router = APIRouter(tags=["Scans"], route_class=DocumentedRoute)

_NOT_FOUND_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Poster not found</title></head>"
    "<body><h1>This poster's link is not valid</h1><p>The QR code may be old or mistyped.</p></body></html>"
)


@router.head("/s/{code}", include_in_schema=False)
@router.get("/s/{code}", response_class=RedirectResponse, status_code=302)
async def scan(request: Request, code: str) -> Response:
    """Record a scan of a poster's QR code and redirect to the landing page with `impression_id`."""
    runtime = runtime_of(request)
    scan = Scan(
        user_agent=request.headers.get("user-agent"),
        ip_address=request.client.host if request.client else None,
        referrer=request.headers.get("referer"),
        utm=service.utm_values(dict(request.query_params)),
    )
    async with transaction(runtime.sessionmaker) as session:
        poster = await poster_service.find_by_code(session, code=code)
        if poster is None:
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
        landing = await service.landing_url(session, poster=poster)
        if request.method == "HEAD" or scan.is_bot:
            return RedirectResponse(landing, status_code=302)
        impression_id = await service.record(
            session,
            poster=poster,
            scan=scan,
            dedupe=timedelta(seconds=runtime.settings.scan_dedupe_seconds),
        )
    return RedirectResponse(
        service.with_query(landing, {"impression_id": impression_id}), status_code=302
    )


@router.get("/s/{code}/qr.svg", response_class=Response)
async def qr_svg(request: Request, code: str) -> Response:
    """The poster's QR code as SVG."""
    poster = await _poster(request, code)
    if poster is None:
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
    buffer = io.BytesIO()
    segno.make(_scan_url(request, poster), error="m").save(
        buffer, kind="svg", scale=10, border=4, xmldecl=False
    )
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers=_CACHE)


@router.get("/s/{code}/qr.png", response_class=Response)
async def qr_png(request: Request, code: str) -> Response:
    """The poster's QR code as PNG."""
    poster = await _poster(request, code)
    if poster is None:
        return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
    buffer = io.BytesIO()
    segno.make(_scan_url(request, poster), error="m").save(buffer, kind="png", scale=10, border=4)
    return Response(buffer.getvalue(), media_type="image/png", headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=86400"}


async def _poster(request: Request, code: str) -> Poster | None:
    async with transaction(runtime_of(request).sessionmaker) as session:
        return await poster_service.find_by_code(session, code=code)


def _scan_url(request: Request, poster: Poster) -> str:
    return f"{runtime_of(request).settings.public_base_url()}/s/{poster.code}"
