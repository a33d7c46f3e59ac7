"""Referrals and earnings: filtered lists and the status changes their workflows allow."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from starlette.responses import Response

from vantio.dashboard import forms
from vantio.dashboard.common import (
    all_programs,
    ambassador_names,
    page_of,
    pager,
    period_of,
    query,
)
from vantio.dashboard.web import PREFIX, Context, Ctx, DashboardRoute, redirect, render
from vantio.earnings import service as earning_service
from vantio.earnings.schemas import EarningUpdate
from vantio.errors import VantioError
from vantio.kit.money import to_major
from vantio.referrals import service as referral_service
from vantio.referrals.schemas import ReferralUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

REFERRAL_STATUSES = referral_service.WORKFLOW.statuses
EARNING_STATUSES = earning_service.WORKFLOW.statuses


def _back(ctx: Context, default: str) -> str:
    target = ctx.field("next")
    return target if target.startswith(f"{PREFIX}/") and not target.startswith("//") else default


async def _filters(ctx: Context, statuses: tuple[str, ...]) -> dict[str, Any]:
    period, dates = period_of(ctx)
    programs = await all_programs(ctx)
    status = query(ctx, "status")
    return {
        "period": period,
        "programs": programs,
        "program_names": {p.id: p.name for p in programs},
        "statuses": statuses,
        "filters": {
            "program": query(ctx, "program") or "",
            "ambassador": query(ctx, "ambassador") or "",
            "status": status if status in statuses else "",
            **dates,
        },
    }


@router.get("/referrals")
async def referrals(ctx: Ctx) -> Response:
    """Referrals, filtered by program, ambassador, status and date."""
    page = page_of(ctx)
    found = await _filters(ctx, REFERRAL_STATUSES)
    f = found["filters"]
    period = found.pop("period")
    rows, has_more = await referral_service.list_referrals(
        ctx.session,
        ctx.auth,
        program_id=f["program"] or None,
        student_id=f["ambassador"] or None,
        status=f["status"] or None,
        page=page,
        created_since=period.since,
        created_before=period.until,
    )
    names = await ambassador_names(ctx, {r.student_id for r in rows})
    return render(
        ctx,
        "referrals.html",
        referrals=rows,
        names=names,
        transitions={r.id: referral_service.WORKFLOW.allowed(r.status) for r in rows},
        pager=pager(ctx, page, has_more),
        here=str(ctx.request.url.path)
        + (f"?{ctx.request.url.query}" if ctx.request.url.query else ""),
        **found,
    )


@router.post("/referrals/{referral_id}/status")
async def referral_status(ctx: Ctx, referral_id: str) -> Response:
    """Move a referral along its workflow through the referrals service."""

    async def change() -> None:
        data = ReferralUpdate.model_validate({"status": ctx.field("status")})
        await referral_service.update_referral(
            ctx.session, ctx.auth, referral_id=referral_id, data=data
        )

    return await _change_status(ctx, change, back=f"{PREFIX}/referrals")


@router.get("/earnings")
async def earnings(ctx: Ctx) -> Response:
    """Earnings, filtered by program, ambassador, status and date."""
    page = page_of(ctx)
    found = await _filters(ctx, EARNING_STATUSES)
    f = found["filters"]
    period = found.pop("period")
    rows, has_more = await earning_service.list_earnings(
        ctx.session,
        ctx.auth,
        referral_id=None,
        program_id=f["program"] or None,
        student_id=f["ambassador"] or None,
        status=f["status"] or None,
        page=page,
        created_since=period.since,
        created_before=period.until,
    )
    names = await ambassador_names(ctx, {e.student_id for e in rows})
    return render(
        ctx,
        "earnings.html",
        earnings=rows,
        names=names,
        amounts={e.id: f"{to_major(e.amount, e.currency)} {e.currency}" for e in rows},
        transitions={e.id: earning_service.WORKFLOW.allowed(e.status) for e in rows},
        pager=pager(ctx, page, has_more),
        here=str(ctx.request.url.path)
        + (f"?{ctx.request.url.query}" if ctx.request.url.query else ""),
        **found,
    )


@router.post("/earnings/{earning_id}/status")
async def earning_status(ctx: Ctx, earning_id: str) -> Response:
    """Move an earning along its payment workflow through the earnings service."""

    async def change() -> None:
        data = EarningUpdate.model_validate({"status": ctx.field("status")})
        await earning_service.update_earning(
            ctx.session, ctx.auth, earning_id=earning_id, data=data
        )

    return await _change_status(ctx, change, back=f"{PREFIX}/earnings")


async def _change_status(
    ctx: Context, change: Callable[[], Awaitable[None]], *, back: str
) -> Response:
    """Run a status change in a savepoint; a refused one is explained, an unknown object is 404."""
    try:
        async with ctx.session.begin_nested():
            await change()
    except ValidationError as exc:
        return _refused(ctx, forms.from_validation(exc))
    except VantioError as exc:
        if exc.status == 404:
            raise
        return _refused(ctx, forms.from_service(exc))
    return redirect(_back(ctx, back))


def _refused(ctx: Context, errors: forms.Errors) -> Response:
    message = " ".join(errors.values())
    return render(
        ctx,
        "error.html",
        status=400,
        title="Status not changed",
        message=message,
        back=_back(ctx, f"{PREFIX}/"),
    )
