"""Every router of the server: the whole URL surface on one screen."""

from typing import Any

from fastapi import APIRouter

from vantio import event_catalog
from vantio.analytics.endpoints import router as analytics
from vantio.campaigns.endpoints import batch_router as voucher_batch
from vantio.campaigns.endpoints import router as campaigns
from vantio.earnings.endpoints import router as earnings
from vantio.events.endpoints import router as events
from vantio.http.openapi import Application
from vantio.http.routes import check_idempotency_scopes
from vantio.impressions.endpoints import router as impressions
from vantio.payouts.endpoints import details_router as payout_details
from vantio.payouts.endpoints import router as payouts
from vantio.payouts.endpoints import runs_router as payout_runs
from vantio.posters.endpoints import program_router as program_posters
from vantio.posters.endpoints import router as posters
from vantio.programs.endpoints import router as programs
from vantio.referrals.endpoints import router as referrals
from vantio.scans.endpoints import router as scans
from vantio.users.endpoints import router as users
from vantio.voucher_analytics.endpoints import router as voucher_analytics
from vantio.vouchers.endpoints import router as vouchers
from vantio.webhooks.endpoints import router as webhook_endpoints

# `/api/v1`: the Referral API of vantio-docs.md, plus what API.md adds.
REFERRAL_API = (
    programs,
    users,
    posters,
    program_posters,
    impressions,
    referrals,
    earnings,
    payouts,
    payout_runs,
    payout_details,
    analytics,
    events,
    webhook_endpoints,
)
# `/v1`: the Voucher API of voucher-docs.md (the batch routes before `/vouchers/{id}`).
VOUCHER_API = (voucher_batch, vouchers, campaigns, voucher_analytics)


def include_routers(app: Application) -> None:
    """`/v1` first: a request is matched against the routes in order, about 10 µs each, and the
    checkout's validate and apply are the hot paths (0.3 ms of CPU less per request measured with
    `bench/cpu_per_request.py`; the two prefixes never overlap)."""
    check_idempotency_scopes(route for r in (*REFERRAL_API, *VOUCHER_API) for route in r.routes)
    for prefix, routers in (("/v1", VOUCHER_API), ("/api/v1", REFERRAL_API)):
        api = APIRouter(prefix=prefix)
        for router in routers:
            api.include_router(router)
        app.include_router(api)
    app.include_router(scans)
    app.openapi_additions.append(_referral_api_first)  # as the docs tell them
    app.openapi_additions.append(event_catalog.add_webhooks)  # what Vantio sends to endpoints


def _referral_api_first(document: dict[str, Any]) -> None:
    """The document lists `/api/v1` before `/v1`, whatever the order routes are matched in."""
    paths = document.get("paths", {})
    document["paths"] = dict(
        sorted(paths.items(), key=lambda item: not item[0].startswith("/api/"))
    )
