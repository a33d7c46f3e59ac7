import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, content, errors, idempotent
from vantio.kit.money import to_major
from vantio.kit.schemas import ProgramId, UserId
from vantio.payouts import service
from vantio.payouts.schemas import (
    PayoutCreate,
    PayoutDetail,
    PayoutId,
    PayoutLine,
    PayoutList,
    PayoutOut,
    PayoutRun,
    PayoutStatus,
    PayoutUpdate,
)

router = APIRouter(prefix="/payouts", tags=["Payouts"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's payouts")]
StudentFilter = Annotated[UserId | None, Query(description="Only this ambassador's payouts")]
CSV_COLUMNS = ("payout_id", "ambassador", "email", "amount", "currency", "earnings_count")


@router.post("", response_model=PayoutRun, responses=errors(404))
@idempotent("payouts.create")
async def create_payouts(session: SessionDep, auth: AuthDep, body: PayoutCreate) -> PayoutRun:
    """Pay out the program's pending earnings that reach its minimum, one payout per ambassador and currency."""
    result = await service.create_payouts(
        session,
        auth,
        program_id=body.program_id,
        student_id=body.student_id,
        metadata=body.metadata,
    )
    return PayoutRun(payouts=[PayoutOut.of(p) for p in result.payouts], skipped=result.skipped)


@router.get("", response_model=PayoutList)
async def list_payouts(
    session: SessionDep,
    auth: AuthDep,
    page: ReferralPageDep,
    program_id: ProgramFilter = None,
    programId: ProgramFilter = None,
    student_id: StudentFilter = None,
    studentId: StudentFilter = None,
    status: Annotated[PayoutStatus | None, Query(description="Only payouts in this status")] = None,
) -> PayoutList:
    """List payouts, newest first."""
    rows, has_more = await service.list_payouts(
        session,
        auth,
        program_id=one_of(program_id, programId),
        student_id=one_of(student_id, studentId),
        status=status,
        page=page,
    )
    return PayoutList(payouts=[PayoutOut.of(p) for p in rows], has_more=has_more)


@router.get(
    "/{id}.csv",
    response_class=Response,
    responses={200: content("The payment run, as an attachment", "text/csv")},
)
async def export_payout(session: SessionDep, auth: AuthDep, id: PayoutId) -> Response:
    """Download a payout as a CSV payment run (ambassador, email, amount in major units)."""
    payout = await service.get_payout_or_raise(session, auth, payout_id=id)
    user = await service.ambassador_of(session, auth, payout=payout)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(
        (
            payout.id,
            f"{user.first_name} {user.last_name}",
            user.email,
            to_major(payout.amount, payout.currency),
            payout.currency,
            payout.earnings_count,
        )
    )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{payout.id}.csv"'},
    )


@router.get("/{id}", response_model=PayoutDetail)
async def get_payout(session: SessionDep, auth: AuthDep, id: PayoutId) -> PayoutDetail:
    """Retrieve a payout with its lines: each earning, and each clawback it nets off."""
    payout = await service.get_payout_or_raise(session, auth, payout_id=id)
    lines = await service.list_lines(session, auth, payout=payout)
    return PayoutDetail(
        **PayoutOut.of(payout).model_dump(),
        lines=[
            PayoutLine(
                earning_id=earning.id,
                amount=line.amount,
                type=earning.type,
                reverses=earning.reverses,
                active=bool(line.active) or payout.status == "failed",
            )
            for line, earning in lines
        ],
    )


@router.put("/{id}", response_model=PayoutOut, responses=errors(409))
async def update_payout(
    session: SessionDep, auth: AuthDep, id: PayoutId, body: PayoutUpdate
) -> PayoutOut:
    """Mark a payout paid or failed; its earnings move along with it."""
    return PayoutOut.of(await service.update_payout(session, auth, payout_id=id, data=body))
