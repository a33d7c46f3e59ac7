from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from vantio.errors import FieldError
from vantio.http.dependencies import AuthDep, ReferralPageDep, SessionDep, one_of
from vantio.http.routes import ReferralRoute, content, errors, idempotent
from vantio.kit.csv import rows_to_csv
from vantio.kit.money import to_major
from vantio.kit.schemas import Currency, ProgramId, UserId, prefixed
from vantio.payouts import details, files, reconciliation, runs, service
from vantio.payouts.schemas import (
    PayoutCreate,
    PayoutDetail,
    PayoutDetailsDeleted,
    PayoutDetailsIn,
    PayoutDetailsOut,
    PayoutId,
    PayoutLine,
    PayoutList,
    PayoutOut,
    PayoutRun,
    PayoutStatus,
    PayoutUpdate,
    ReconcileRequest,
    ReconcileResult,
)

router = APIRouter(prefix="/payouts", tags=["Payouts"], route_class=ReferralRoute)

ProgramFilter = Annotated[ProgramId | None, Query(description="Only this program's payouts")]
StudentFilter = Annotated[UserId | None, Query(description="Only this ambassador's payouts")]
CSV_COLUMNS = ("payout_id", "ambassador", "email", "amount", "currency", "earnings_count")


@router.post("", response_model=PayoutRun, responses=errors(404))
@idempotent("payouts.create")
async def create_payouts(session: SessionDep, auth: AuthDep, body: PayoutCreate) -> PayoutRun:
    """Pay out the program's pending earnings that reach its minimum, one payout per ambassador and currency."""
    result = await runs.create_payouts(
        session,
        auth,
        program_id=body.program_id,
        student_id=body.student_id,
        metadata=body.metadata,
        method=body.method,
    )
    return PayoutRun(
        run_id=result.run_id if result.payouts else None,
        payouts=[PayoutOut.of(p) for p in result.payouts],
        skipped=result.skipped,
    )


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
    # Cells that a spreadsheet would run as a formula are written as text (vantio/kit/csv.py).
    document = rows_to_csv(
        CSV_COLUMNS,
        [
            (
                payout.id,
                f"{user.first_name} {user.last_name}",
                user.email,
                to_major(payout.amount, payout.currency),
                payout.currency,
                payout.earnings_count,
            )
        ],
    )
    return Response(
        document,
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
                active=line.left_at is None,
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


# -- payout runs: their file, and what the provider did with it ----------------------------------

runs_router = APIRouter(prefix="/payout_runs", tags=["Payouts"], route_class=ReferralRoute)
RunId = Annotated[str, prefixed("prun")]
_FILE_TYPES = ("text/csv", "application/xml")
_RESULT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The provider's result file: a CSV with a reference column (Customer ID, "
        "Reference or paymentReference) and a Status column.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@runs_router.get(
    "/{id}/file",
    response_class=Response,
    responses={200: content("The run's payout file, as an attachment", *_FILE_TYPES)},
)
async def payout_file(
    session: SessionDep,
    auth: AuthDep,
    id: RunId,
    currency: Annotated[Currency | None, Query(description="One currency per file")] = None,
) -> Response:
    """Download the run's payout file: PayPal Payouts CSV, Wise bulk CSV or SEPA pain.001."""
    made = await reconciliation.run_file(session, auth, run_id=id, currency=currency)
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@runs_router.post("/{id}/reconcile", response_model=ReconcileResult, responses=errors(404))
@idempotent("payout_runs.reconcile")
async def reconcile(
    session: SessionDep, auth: AuthDep, id: RunId, body: ReconcileRequest
) -> ReconcileResult:
    """Mark the run's payouts paid or failed; a failed one's earnings become payable again."""
    await reconciliation.run_payouts(session, auth, run_id=id)  # a stranger's run: 404 first
    done = await reconciliation.reconcile(
        session,
        auth,
        run_id=id,
        outcomes=[(item.payout_id, item.status, item.reason) for item in body.items],
    )
    return ReconcileResult(**done.__dict__)


@runs_router.post(
    "/{id}/results",
    response_model=ReconcileResult,
    responses=errors(404),
    openapi_extra=_RESULT_BODY,
)
@idempotent("payout_runs.results")
async def upload_results(
    session: SessionDep, auth: AuthDep, id: RunId, request: Request
) -> ReconcileResult:
    """Reconcile the run from the provider's result CSV (PayPal's payouts report, Wise's export)."""
    await reconciliation.run_payouts(session, auth, run_id=id)  # a stranger's run: 404 first
    text = (await request.body()).decode("utf-8-sig", errors="replace")
    try:
        rows = files.read_results(text)
    except ValueError as error:
        raise FieldError("body", str(error)) from None
    done = await reconciliation.reconcile(
        session,
        auth,
        run_id=id,
        outcomes=[(row.reference, row.status, row.raw_status or None) for row in rows],
    )
    return ReconcileResult(**done.__dict__)


# -- an ambassador's payout details -------------------------------------------------------------

details_router = APIRouter(prefix="/users", tags=["Payouts"], route_class=ReferralRoute)


@details_router.get("/{id}/payout_details", response_model=PayoutDetailsOut)
async def get_payout_details(session: SessionDep, auth: AuthDep, id: UserId) -> PayoutDetailsOut:
    """Retrieve how an ambassador is paid (the IBAN masked)."""
    account = await details.get_details(session, auth, student_id=id)
    return details.to_out(account, student_id=id)


@details_router.put("/{id}/payout_details", response_model=PayoutDetailsOut)
async def set_payout_details(
    session: SessionDep, auth: AuthDep, id: UserId, body: PayoutDetailsIn
) -> PayoutDetailsOut:
    """Set how an ambassador is paid: a PayPal email, or an IBAN, BIC and account holder."""
    account = await details.set_details(session, auth, student_id=id, data=body)
    return details.to_out(account, student_id=id)


@details_router.delete("/{id}/payout_details", response_model=PayoutDetailsDeleted)
async def delete_payout_details(
    session: SessionDep, auth: AuthDep, id: UserId
) -> PayoutDetailsDeleted:
    """Remove an ambassador's payout details."""
    await details.delete_details(session, auth, student_id=id)
    return PayoutDetailsDeleted(student_id=id)
