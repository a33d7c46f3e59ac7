"""The ASGI application: runtime, middleware, error handlers and routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from vantio import __version__
from vantio.api import include_routers
from vantio.composition import create_runtime
from vantio.config import Settings, get_settings
from vantio.dashboard.router import mount_dashboard
from vantio.dashboard.web import PREFIX as DASHBOARD
from vantio.http.docs import install_docs
from vantio.http.errors import ErrorBoundary, install_error_handlers
from vantio.http.headers import ResponseHeaders
from vantio.http.middleware import BodySizeLimit, RequestId, TrustedProxies
from vantio.http.openapi import Application
from vantio.kit import collector
from vantio.kit.proxies import parse_networks
from vantio.observability.endpoints import router as operations
from vantio.observability.instrument import instrument_pool
from vantio.observability.middleware import Observe
from vantio.runtime import Runtime
from vantio.scans.endpoints import ScanFastPath
from vantio.scans.writer import batching


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or get_settings()
    owns_runtime = runtime is None
    runtime = runtime or create_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        collector.settle()  # everything built so far lives as long as the process
        async with batching(_app):
            yield
        if owns_runtime:
            await runtime.close()

    app = Application(
        title="Vantio",
        version=__version__,
        summary="Referral programs with QR posters, commissions and payouts, and a voucher engine.",
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_docs: no CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    instrument_pool(runtime.engine)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # In front of everything, the scan included: every part sees the client's address, with
    # X-Forwarded-For believed only from the proxies named in VANTIO_TRUSTED_PROXIES.
    networks = parse_networks(settings.trusted_proxies)
    app.front_middleware.append(lambda inner: TrustedProxies(inner, networks=networks))
    # In front of everything, scans included: the access log line and the request metrics of
    # every answer, with the status actually sent (Starlette's own 500 included).
    app.front_middleware.append(partial(Observe, access_log_enabled=settings.access_log))
    # The scan is the hot path: answered in front of every other layer (it adds their headers).
    app.front_middleware.append(ScanFastPath)
    app.add_middleware(ErrorBoundary)  # whatever escapes: the surface's shape, with the request id
    app.add_middleware(RequestId)  # every answer carries its request id
    app.add_middleware(ResponseHeaders)  # nosniff, no Host echoed in a redirect
    install_error_handlers(app)
    include_routers(app)
    app.include_router(operations)  # /health, /health/ready, /metrics
    install_docs(app, home=f"{DASHBOARD}/")
    mount_dashboard(app)
    return app
