"""Every router of the server: the whole URL surface on one screen."""

from fastapi import APIRouter, FastAPI

from vantio.analytics.endpoints import router as analytics
from vantio.campaigns.endpoints import batch_router as voucher_batch
from vantio.campaigns.endpoints import router as campaigns
from vantio.earnings.endpoints import router as earnings
from vantio.events.endpoints import router as events
from vantio.impressions.endpoints import router as impressions
from vantio.payouts.endpoints import router as payouts
from vantio.posters.endpoints import router as posters
from vantio.programs.endpoints import router as programs
from vantio.referrals.endpoints import router as referrals
from vantio.routing import ReferralRoute, VoucherRoute
from vantio.scans.endpoints import router as scans
from vantio.users.endpoints import router as users
from vantio.voucher_analytics.endpoints import router as voucher_analytics
from vantio.vouchers.endpoints import router as vouchers
from vantio.webhooks.endpoints import router as webhook_endpoints


def referral_api() -> APIRouter:
    """`/api/v1`: the Referral API of vantio-docs.md, plus what API.md adds."""
    api = APIRouter(prefix="/api/v1", route_class=ReferralRoute)
    for router in (
        programs,
        users,
        posters,
        impressions,
        referrals,
        earnings,
        payouts,
        analytics,
        events,
        webhook_endpoints,
    ):
        api.include_router(router)
    return api


def voucher_api() -> APIRouter:
    """`/v1`: the Voucher API of voucher-docs.md."""
    api = APIRouter(prefix="/v1", route_class=VoucherRoute)
    api.include_router(voucher_batch)
    api.include_router(vouchers)
    api.include_router(campaigns)
    api.include_router(voucher_analytics)
    return api


def include_routers(app: FastAPI) -> None:
    app.include_router(referral_api())
    app.include_router(voucher_api())
    app.include_router(scans)
