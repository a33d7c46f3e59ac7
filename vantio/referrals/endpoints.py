from typing import Annotated

from fastapi import APIRouter, Query

from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, idempotent
from vantio.kit.schemas import ProgramId, ReferralId, UserId
from vantio.referrals import service
from vantio.referrals.schemas import (
    ReferralCreate,
    ReferralList,
    ReferralOut,
    ReferralStatus,
    ReferralUpdate,
)

router = APIRouter(prefix="/referrals", tags=["Referrals"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's referrals")]
StudentFilter = Annotated[UserId | None, Query(description="Only this ambassador's referrals")]


@router.get("", response_model=ReferralList)
async def list_referrals(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    programId: ProgramFilter = None,
    program_id: ProgramFilter = None,
    studentId: StudentFilter = None,
    student_id: StudentFilter = None,
    status: Annotated[
        ReferralStatus | None, Query(description="Only referrals in this status")
    ] = None,
) -> ReferralList:
    """List referrals (signups), newest first."""
    rows, has_more = await service.list_referrals(
        session,
        auth,
        program_id=one_of(programId, program_id),
        student_id=one_of(studentId, student_id),
        status=status,
        page=page,
    )
    return ReferralList(referrals=[ReferralOut.of(r) for r in rows], has_more=has_more)


@router.post("", response_model=ReferralOut)
@idempotent("referrals.create")
async def create_referral(session: SessionDep, auth: AuthDep, body: ReferralCreate) -> ReferralOut:
    """Record a signup that followed a scan (an impression)."""
    return ReferralOut.of(await service.create_referral(session, auth, data=body))


@router.get("/{id}", response_model=ReferralOut)
async def get_referral(session: SessionDep, auth: AuthDep, id: ReferralId) -> ReferralOut:
    """Retrieve a referral."""
    return ReferralOut.of(await service.get_referral_or_raise(session, auth, referral_id=id))


@router.put("/{id}", response_model=ReferralOut)
async def update_referral(
    session: SessionDep, auth: AuthDep, id: ReferralId, body: ReferralUpdate
) -> ReferralOut:
    """Update a referral's details or move its status along the workflow."""
    return ReferralOut.of(await service.update_referral(session, auth, referral_id=id, data=body))
