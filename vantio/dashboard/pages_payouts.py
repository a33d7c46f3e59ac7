"""Payouts: run them for a program, mark them paid or failed, download their CSV."""

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import forms
from vantio.dashboard.common import all_programs, ambassador_names, page_of, pager, query
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.errors import VantioError
from vantio.kit.money import to_major
from vantio.payouts import endpoints as payout_endpoints
from vantio.payouts import service as payout_service
from vantio.payouts.schemas import PayoutCreate, PayoutUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

PAYOUT_STATUSES = payout_service.WORKFLOW.statuses


async def _page(ctx: Context, *, status: int = 200, **values: Any) -> Response:
    page = page_of(ctx)
    programs = await all_programs(ctx)
    chosen = query(ctx, "status")
    filters = {
        "program": query(ctx, "program") or "",
        "ambassador": query(ctx, "ambassador") or "",
        "status": chosen if chosen in PAYOUT_STATUSES else "",
    }
    rows, has_more = await payout_service.list_payouts(
        ctx.session,
        ctx.auth,
        program_id=filters["program"] or None,
        student_id=filters["ambassador"] or None,
        status=filters["status"] or None,
        page=page,
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
    values = {"program_id": ctx.field("program_id")}
    try:
        data = PayoutCreate.model_validate(values)
        async with ctx.session.begin_nested():
            result = await payout_service.create_payouts(
                ctx.session, ctx.auth, program_id=data.program_id
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
            f"{to_major(s.pending_amount, s.currency)} {s.currency} pending, below the minimum"
            for s in result.skipped
        ],
    }
    return await _page(ctx, run=run, run_values=values)


@router.post("/payouts/{payout_id}/status")
async def payout_status(ctx: Ctx, payout_id: str) -> Response:
    """Mark a payout paid or failed through the payouts service."""
    try:
        data = PayoutUpdate.model_validate({"status": ctx.field("status")})
        async with ctx.session.begin_nested():
            await payout_service.update_payout(
                ctx.session, ctx.auth, payout_id=payout_id, data=data
            )
    except ValidationError as exc:
        message = " ".join(forms.from_validation(exc).values())
    except VantioError as exc:
        if exc.status == 404:
            raise
        message = " ".join(forms.from_service(exc).values())
    else:
        return redirect(f"{PREFIX}/payouts")
    return render(ctx, "error.html", status=400, title="Payout not changed", message=message,
                  back=f"{PREFIX}/payouts")  # fmt: skip


@router.get("/payouts/{payout_id}.csv")
async def payout_csv(ctx: Ctx, payout_id: str) -> Response:
    """The payout as the API's CSV payment run (the same code writes both)."""
    payout = await payout_service.get_payout_or_raise(ctx.session, ctx.auth, payout_id=payout_id)
    return await payout_endpoints.export_payout(ctx.session, ctx.auth, payout.id)
