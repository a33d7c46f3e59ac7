"""The dashboard's URL surface at /dashboard, and its static files (served from here, no CDN)."""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from vantio.dashboard import (
    exports,
    pages_ambassadors,
    pages_auth,
    pages_campaigns,
    pages_keys,
    pages_money,
    pages_overview,
    pages_payouts,
    pages_programs,
    pages_vouchers,
    pages_webhooks,
)
from vantio.dashboard.web import PREFIX

STATIC = Path(__file__).parent / "static"


def dashboard_router() -> APIRouter:
    router = APIRouter()
    for module in (
        pages_auth,
        pages_overview,
        pages_programs,
        pages_ambassadors,
        pages_money,
        pages_payouts,
        pages_vouchers,
        pages_campaigns,
        pages_webhooks,
        pages_keys,
        exports,
    ):
        if hasattr(module, "public"):
            router.include_router(module.public)
        router.include_router(module.router)

    @router.get(PREFIX, include_in_schema=False)
    async def dashboard_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    router.include_router(pages_auth.not_found)  # last: every other dashboard path
    return router


def mount_dashboard(app: FastAPI) -> None:
    # The static files first: the dashboard's catch-all 404 page would otherwise shadow them.
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="dashboard-static")
    app.include_router(dashboard_router())
