from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query

from vantio.campaigns import batch, service
from vantio.campaigns.schemas import (
    BatchCreateOut,
    BatchValidateOut,
    CampaignCreate,
    CampaignList,
    CampaignOut,
)
from vantio.config import RateClass
from vantio.http.dependencies import AuthDep, SessionDep, VoucherPageDep
from vantio.http.routes import VoucherRoute, errors, idempotent, rate_class
from vantio.kit.schemas import prefixed
from vantio.vouchers import service as voucher_service
from vantio.vouchers.schemas import VoucherList, VoucherOut

router = APIRouter(prefix="/campaigns", tags=["Campaigns"], route_class=VoucherRoute)
batch_router = APIRouter(prefix="/vouchers", tags=["Vouchers"], route_class=VoucherRoute)

CampaignId = Annotated[str, prefixed("camp")]
BatchBody = Annotated[Any, Body(description="An array of items, or an object holding the array")]


@batch_router.post("/batch", response_model=BatchCreateOut)
@rate_class(RateClass.VOUCHERS_CREATE)
@idempotent("vouchers.create_batch")
async def create_vouchers_batch(
    session: SessionDep, auth: AuthDep, body: BatchBody
) -> BatchCreateOut:
    """Create up to 1,000 vouchers; per-item results in input order, failures do not spread."""
    items = batch.items_of(body, key="vouchers", maximum=batch.MAX_CREATE)
    return await batch.create_many(session, auth, items=items)


@batch_router.post("/validate/batch", response_model=BatchValidateOut)
@rate_class(RateClass.VOUCHERS_VALIDATE)
@idempotent("vouchers.validate_batch")
async def validate_vouchers_batch(
    session: SessionDep, auth: AuthDep, body: BatchBody
) -> BatchValidateOut:
    """Validate up to 100 codes against their orders; per-item results in input order."""
    items = batch.items_of(body, key="validations", maximum=batch.MAX_VALIDATE)
    return await batch.validate_many(session, auth, items=items)


@router.post("", response_model=CampaignOut, responses=errors(404))
@rate_class(RateClass.VOUCHERS_CREATE)
@idempotent("campaigns.create")
async def create_campaign(session: SessionDep, auth: AuthDep, body: CampaignCreate) -> CampaignOut:
    """Create a campaign: many unique codes from a pattern sharing one voucher definition."""
    return CampaignOut.of(await service.create_campaign(session, auth, data=body))


@router.get("", response_model=CampaignList)
async def list_campaigns(
    session: SessionDep,
    auth: AuthDep,
    page: VoucherPageDep,
    status: Annotated[
        Literal["generating", "completed"] | None,
        Query(description="Only campaigns in this status"),
    ] = None,
) -> CampaignList:
    """List campaigns, newest first, with their generation progress."""
    rows, total = await service.list_campaigns(session, auth, status=status, page=page)
    return CampaignList(
        data=[CampaignOut.of(c) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
        has_more=page.offset + len(rows) < total,
    )


@router.get("/{id}", response_model=CampaignOut)
async def get_campaign(session: SessionDep, auth: AuthDep, id: CampaignId) -> CampaignOut:
    """Retrieve a campaign with its progress (`codes_generated`, `status`)."""
    return CampaignOut.of(await service.get_campaign_or_raise(session, auth, campaign_id=id))


@router.get("/{id}/codes", response_model=VoucherList)
async def list_campaign_codes(
    session: SessionDep, auth: AuthDep, id: CampaignId, page: VoucherPageDep
) -> VoucherList:
    """List a campaign's codes (vouchers), paged."""
    campaign = await service.get_campaign_or_raise(session, auth, campaign_id=id)
    rows, total = await voucher_service.list_vouchers(
        session, auth, campaign_id=campaign.id, page=page
    )
    return VoucherList(
        data=[VoucherOut.of(v) for v in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
        has_more=page.offset + len(rows) < total,
    )
