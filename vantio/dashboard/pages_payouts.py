"""Payouts: run them for a program, mark them paid or failed, download their CSV."""

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import actions, forms
from vantio.dashboard.common import (
    all_programs,
    ambassador_names,
    page_of,
    pager,
    pick_ambassador,
    query,
)
from vantio.dashboard.web import (
    PREFIX,
    Context,
    Ctx,
    DashboardRoute,
    here,
    render,
)
from vantio.errors import VantioError
from vantio.kit.money import to_major
from vantio.payouts import endpoints as payout_endpoints
from vantio.payouts import reconciliation as payout_reconciliation
from vantio.payouts import runs as payout_runs
from vantio.payouts import service as payout_service
from vantio.payouts.schemas import PayoutCreate, PayoutUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

PAYOUT_STATUSES = payout_service.WORKFLOW.statuses


async def _page(ctx: Context, *, status: int = 200, **values: Any) -> Response:
    page = page_of(ctx)
    programs = await all_programs(ctx)
    chosen = query(ctx, "status")
    pick = await pick_ambassador(ctx, query(ctx, "program"))
    filters = {
        "program": query(ctx, "program") or "",
        "ambassador": pick.text,
        "status": chosen if chosen in PAYOUT_STATUSES else "",
    }
    rows, has_more = (
        ([], False)
        if pick.unmatched
        else await payout_service.list_payouts(
            ctx.session,
            ctx.auth,
            program_id=filters["program"] or None,
            student_id=pick.user_id,
            status=filters["status"] or None,
            page=page,
        )
    )
    names = await ambassador_names(ctx, {p.student_id for p in rows})
    defaults: dict[str, Any] = {"run": None, "run_values": {"program_id": ""}, "errors": {}}
    defaults.update(values)
    return render(
        ctx,
        "payouts.html",
        status=status,
        payouts=rows,
        names=names,
        programs=programs,
        program_names={p.id: p.name for p in programs},
        amounts={p.id: f"{to_major(p.amount, p.currency)} {p.currency}" for p in rows},
        transitions={p.id: payout_service.WORKFLOW.allowed(p.status) for p in rows},
        final={s: actions.final(payout_service.WORKFLOW, s) for s in PAYOUT_STATUSES},
        bulk_statuses=("paid", "failed"),
        pick=pick,
        here=here(ctx),
        statuses=PAYOUT_STATUSES,
        filters=filters,
        pager=pager(ctx, page, has_more),
        **defaults,
    )


@router.get("/payouts")
async def payouts(ctx: Ctx) -> Response:
    """Payouts, filtered by program, ambassador and status."""
    return await _page(ctx)


@router.post("/payouts")
async def run_payouts(ctx: Ctx) -> Response:
    """Group pending earnings into payouts for a program, through the payouts service."""
    values = {"program_id": ctx.field("program_id"), "method": ctx.field("method") or "manual"}
    try:
        data = PayoutCreate.model_validate(values)
        async with ctx.session.begin_nested():
            result = await payout_runs.create_payouts(
                ctx.session, ctx.auth, program_id=data.program_id, method=data.method
            )
    except ValidationError as exc:
        return await _page(ctx, status=400, run_values=values,
                           errors=forms.from_validation(exc))  # fmt: skip
    except VantioError as exc:
        return await _page(ctx, status=400, run_values=values, errors=forms.from_service(exc))
    names = await ambassador_names(ctx, {s.student_id for s in result.skipped})
    run = {
        "created": len(result.payouts),
        "skipped": [
            f"{names.get(s.student_id, s.student_id)}: "
            f"{to_major(s.pending_amount, s.currency)} {s.currency} pending, "
            f"{SKIP_REASONS.get(s.reason, s.reason)}"
            for s in result.skipped
        ],
    }
    return await _page(ctx, run=run, run_values=values)


@router.post("/payouts/bulk")
async def payouts_bulk(ctx: Ctx) -> Response:
    """Mark the selected payouts paid or failed, after asking."""

    async def change(payout_id: str, status: str) -> None:
        data = PayoutUpdate.model_validate({"status": status})
        await payout_service.update_payout(ctx.session, ctx.auth, payout_id=payout_id, data=data)

    return await actions.bulk_status(
        ctx,
        noun="payout",
        workflow=payout_service.WORKFLOW,
        back=f"{PREFIX}/payouts",
        change=change,
    )


@router.post("/payouts/{payout_id}/status")
async def payout_status(ctx: Ctx, payout_id: str) -> Response:
    """Mark a payout paid or failed through the payouts service, after asking."""
    status = ctx.field("status")
    back = f"{PREFIX}/payouts"
    if actions.final(payout_service.WORKFLOW, status) and not actions.confirmed(ctx):
        payout = await payout_service.get_payout_or_raise(
            ctx.session, ctx.auth, payout_id=payout_id
        )
        return actions.confirm_page(
            ctx,
            title=f"Mark this payout {status}?",
            message=f"The payout of {to_major(payout.amount, payout.currency)} "
            f"{payout.currency} will be {status}; a {status} payout cannot be changed again.",
            button=f"Yes, mark {status}",
            back=back,
        )

    async def change() -> None:
        data = PayoutUpdate.model_validate({"status": status})
        await payout_service.update_payout(ctx.session, ctx.auth, payout_id=payout_id, data=data)

    error = await actions.attempt(ctx, change)
    return actions.done(ctx, back, f"Payout marked {status}.", error)


SKIP_REASONS = {
    "below_minimum": "below the minimum",
    "on_hold": "on hold",
    "negative_balance": "clawbacks waiting for new earnings",
    "missing_payout_details": "no payout details for this method",
    "unsupported_currency": "a currency this method cannot pay",
}


@router.get("/payout_runs/{run_id}/file")
async def payout_run_file(ctx: Ctx, run_id: str) -> Response:
    """The run's payout file (PayPal, Wise or SEPA), as the API serves it."""
    made = await payout_reconciliation.run_file(
        ctx.session, ctx.auth, run_id=run_id, currency=ctx.request.query_params.get("currency")
    )
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.get("/payouts/{payout_id}.csv")
async def payout_csv(ctx: Ctx, payout_id: str) -> Response:
    """The payout as the API's CSV payment run (the same code writes both)."""
    payout = await payout_service.get_payout_or_raise(ctx.session, ctx.auth, payout_id=payout_id)
    return await payout_endpoints.export_payout(ctx.session, ctx.auth, payout.id)
