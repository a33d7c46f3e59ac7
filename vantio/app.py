"""The ASGI application: runtime, middleware, error handlers and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from vantio import __version__
from vantio.api import include_routers
from vantio.composition import create_runtime
from vantio.config import Settings, get_settings
from vantio.dashboard.router import mount_dashboard
from vantio.errors import NotFound, VantioError
from vantio.middleware import BodySizeLimit, SurfaceFor
from vantio.routing import bad_request_from
from vantio.runtime import Runtime
from vantio.scans.endpoints import ScanFastPath
from vantio.scans.writer import batching
from vantio.surfaces import referral_surface, voucher_surface


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_runtime = runtime is None
    runtime = runtime or create_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with batching(_app):
            yield
        if owns_runtime:
            await runtime.close()

    app = FastAPI(
        title="Vantio",
        version=__version__,
        summary="Referral programs with QR posters, commissions and payouts, and a voucher engine.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    surface_for = SurfaceFor(referral_surface, voucher_surface)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, surface_for=surface_for)
    app.add_middleware(ScanFastPath)  # outermost: the scan is the hot path

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        error = (
            NotFound(f"No route {request.method} {request.url.path}")
            if exc.status_code == 404
            else VantioError(
                str(exc.detail),
                code="method_not_allowed" if exc.status_code == 405 else "http_error",
            )
        )
        error.status = exc.status_code
        return surface_for(request.url.path).render(error)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return surface_for(request.url.path).render(bad_request_from(exc))

    @app.exception_handler(VantioError)
    async def vantio_error(request: Request, exc: VantioError) -> Response:
        return surface_for(request.url.path).render(exc)

    include_routers(app)
    mount_dashboard(app)
    return app
