from typing import Annotated

from fastapi import APIRouter, Query

from vantio.earnings import service
from vantio.earnings.schemas import (
    EarningCreate,
    EarningList,
    EarningOut,
    EarningReversal,
    EarningReverse,
    EarningStatus,
    EarningUpdate,
)
from vantio.flows import ledger
from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, errors, idempotent
from vantio.kit.schemas import EarningId, ProgramId, ReferralId

router = APIRouter(prefix="/earnings", tags=["Earnings"], route_class=ReferralRoute)

ReferralFilter = Annotated[ReferralId | None, Query(description="Only this referral's earnings")]
ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's earnings")]


@router.get("", response_model=EarningList)
async def list_earnings(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    referral_id: ReferralFilter = None,
    referralId: ReferralFilter = None,
    program_id: ProgramFilter = None,
    programId: ProgramFilter = None,
    status: Annotated[
        EarningStatus | None, Query(description="Only earnings in this status")
    ] = None,
) -> EarningList:
    """List earnings (commissions), newest first."""
    rows, has_more = await service.list_earnings(
        session,
        auth,
        referral_id=one_of(referral_id, referralId),
        program_id=one_of(program_id, programId),
        status=status,
        page=page,
    )
    return EarningList(earnings=[EarningOut.of(e) for e in rows], has_more=has_more)


@router.post("", response_model=EarningOut, responses=errors(404, 409))
@idempotent("earnings.create")
async def create_earning(session: SessionDep, auth: AuthDep, body: EarningCreate) -> EarningOut:
    """Record a commission, given as `amount` or computed from `sale_amount`."""
    return EarningOut.of(await service.create_earning(session, auth, data=body))


@router.get("/{id}", response_model=EarningOut)
async def get_earning(session: SessionDep, auth: AuthDep, id: EarningId) -> EarningOut:
    """Retrieve an earning."""
    return EarningOut.of(await service.get_earning_or_raise(session, auth, earning_id=id))


@router.put("/{id}", response_model=EarningOut)
async def update_earning(
    session: SessionDep, auth: AuthDep, id: EarningId, body: EarningUpdate
) -> EarningOut:
    """Update an earning or move its status along the payment workflow."""
    return EarningOut.of(await service.update_earning(session, auth, earning_id=id, data=body))


@router.post("/{id}/reverse", response_model=EarningReversal, responses=errors(404, 409))
@idempotent("earnings.reverse")
async def reverse_earning(
    session: SessionDep, auth: AuthDep, id: EarningId, body: EarningReverse
) -> EarningReversal:
    """Reverse an earning: unpaid becomes `reversed`, paid gets a clawback netted off later payouts."""
    reversal = await ledger.reverse_earning(session, auth, earning_id=id, reason=body.reason)
    return EarningReversal(
        earning=EarningOut.of(reversal.earning),
        clawback=EarningOut.of(reversal.clawback) if reversal.clawback else None,
    )
