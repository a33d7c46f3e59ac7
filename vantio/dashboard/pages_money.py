"""Referrals and earnings: filtered lists and the status changes their workflows allow."""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from vantio.auth.context import AuthContext
from vantio.dashboard import actions
from vantio.dashboard.actions import final
from vantio.dashboard.common import (
    all_programs,
    ambassador_names,
    page_of,
    pager,
    period_of,
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
from vantio.earnings import service as earning_service
from vantio.earnings.models import Earning
from vantio.earnings.schemas import EarningUpdate
from vantio.flows import ledger
from vantio.kit.money import to_major
from vantio.kit.pagination import Page
from vantio.referrals import service as referral_service
from vantio.referrals.models import Referral
from vantio.referrals.schemas import ReferralUpdate

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)

REFERRAL_STATUSES = referral_service.WORKFLOW.statuses
EARNING_STATUSES = earning_service.WORKFLOW.statuses
# The moves offered for the selected rows of a list.
BULK_REFERRAL = ("converted", "verified", "rejected")
BULK_EARNING = ("processing", "paid", "failed")


async def filters_of(ctx: Context, statuses: tuple[str, ...]) -> dict[str, Any]:
    period, dates = period_of(ctx)
    programs = await all_programs(ctx)
    status = query(ctx, "status")
    program = query(ctx, "program")
    pick = await pick_ambassador(ctx, program)
    return {
        "period": period,
        "programs": programs,
        "program_names": {p.id: p.name for p in programs},
        "statuses": statuses,
        "pick": pick,
        "filters": {
            "program": program or "",
            "ambassador": pick.text,
            "status": status if status in statuses else "",
            **dates,
        },
    }


async def referral_rows_in(
    session: AsyncSession, auth: AuthContext, found: dict[str, Any], page: Page
) -> tuple[Sequence[Referral], bool]:
    """The referrals the list's filters select (the page and its CSV share them)."""
    f, pick, period = found["filters"], found["pick"], found["period"]
    if pick.unmatched:
        return [], False
    return await referral_service.list_referrals(
        session,
        auth,
        program_id=f["program"] or None,
        student_id=pick.user_id,
        status=f["status"] or None,
        page=page,
        created_since=period.since,
        created_before=period.until,
    )


async def earning_rows_in(
    session: AsyncSession, auth: AuthContext, found: dict[str, Any], page: Page
) -> tuple[Sequence[Earning], bool]:
    """The earnings the list's filters select (the page and its CSV share them)."""
    f, pick, period = found["filters"], found["pick"], found["period"]
    if pick.unmatched:
        return [], False
    return await earning_service.list_earnings(
        session,
        auth,
        referral_id=None,
        program_id=f["program"] or None,
        student_id=pick.user_id,
        status=f["status"] or None,
        page=page,
        created_since=period.since,
        created_before=period.until,
    )


@router.get("/referrals")
async def referrals(ctx: Ctx) -> Response:
    """Referrals, filtered by program, ambassador, status and date."""
    page = page_of(ctx)
    found = await filters_of(ctx, REFERRAL_STATUSES)
    rows, has_more = await referral_rows_in(ctx.session, ctx.auth, found, page)
    found.pop("period")
    names = await ambassador_names(ctx, {r.student_id for r in rows})
    workflow = referral_service.WORKFLOW
    return render(
        ctx,
        "referrals.html",
        referrals=rows,
        names=names,
        transitions={r.id: workflow.allowed(r.status) for r in rows},
        final={s: final(workflow, s) for s in REFERRAL_STATUSES},
        bulk_statuses=BULK_REFERRAL,
        pager=pager(ctx, page, has_more),
        here=here(ctx),
        **found,
    )


@router.post("/referrals/bulk")
async def referrals_bulk(ctx: Ctx) -> Response:
    """Move the selected referrals to one status; a final one asks first."""

    async def change(referral_id: str, status: str) -> None:
        data = ReferralUpdate.model_validate({"status": status})
        await referral_service.update_referral(
            ctx.session, ctx.auth, referral_id=referral_id, data=data
        )

    return await actions.bulk_status(
        ctx,
        noun="referral",
        workflow=referral_service.WORKFLOW,
        back=f"{PREFIX}/referrals",
        change=change,
    )


@router.post("/referrals/{referral_id}/status")
async def referral_status(ctx: Ctx, referral_id: str) -> Response:
    """Move a referral along its workflow through the referrals service."""
    status = ctx.field("status")
    back = f"{PREFIX}/referrals"
    if final(referral_service.WORKFLOW, status) and not actions.confirmed(ctx):
        referral = await referral_service.get_referral_or_raise(
            ctx.session, ctx.auth, referral_id=referral_id
        )
        return actions.confirm_page(
            ctx,
            title=f"Mark this referral {status}?",
            message=f"{referral.first_name} {referral.last_name} ({referral.email}) will be "
            f"{status}; a {status} referral cannot be changed again.",
            button=f"Yes, mark {status}",
            back=back,
        )

    async def change() -> None:
        data = ReferralUpdate.model_validate({"status": status})
        await referral_service.update_referral(
            ctx.session, ctx.auth, referral_id=referral_id, data=data
        )

    error = await actions.attempt(ctx, change)
    return actions.done(ctx, back, f"Referral marked {status}.", error)


@router.get("/earnings")
async def earnings(ctx: Ctx) -> Response:
    """Earnings, filtered by program, ambassador, status and date."""
    page = page_of(ctx)
    found = await filters_of(ctx, EARNING_STATUSES)
    rows, has_more = await earning_rows_in(ctx.session, ctx.auth, found, page)
    found.pop("period")
    names = await ambassador_names(ctx, {e.student_id for e in rows})
    workflow = earning_service.WORKFLOW
    return render(
        ctx,
        "earnings.html",
        earnings=rows,
        names=names,
        amounts={e.id: f"{to_major(e.amount, e.currency)} {e.currency}" for e in rows},
        transitions={e.id: workflow.allowed(e.status) for e in rows},
        reversible={e.id for e in rows if e.reverses is None and e.reversed_at is None},
        final={s: final(workflow, s) for s in EARNING_STATUSES},
        bulk_statuses=BULK_EARNING,
        pager=pager(ctx, page, has_more),
        here=here(ctx),
        **found,
    )


@router.post("/earnings/bulk")
async def earnings_bulk(ctx: Ctx) -> Response:
    """Move the selected earnings to one status; a final one asks first."""

    async def change(earning_id: str, status: str) -> None:
        data = EarningUpdate.model_validate({"status": status})
        await earning_service.update_earning(
            ctx.session, ctx.auth, earning_id=earning_id, data=data
        )

    return await actions.bulk_status(
        ctx,
        noun="earning",
        workflow=earning_service.WORKFLOW,
        back=f"{PREFIX}/earnings",
        change=change,
    )


@router.post("/earnings/{earning_id}/status")
async def earning_status(ctx: Ctx, earning_id: str) -> Response:
    """Move an earning along its payment workflow through the earnings service."""
    status = ctx.field("status")
    back = f"{PREFIX}/earnings"
    if final(earning_service.WORKFLOW, status) and not actions.confirmed(ctx):
        earning = await earning_service.get_earning_or_raise(
            ctx.session, ctx.auth, earning_id=earning_id
        )
        return actions.confirm_page(
            ctx,
            title=f"Mark this earning {status}?",
            message=f"{to_major(earning.amount, earning.currency)} {earning.currency} will be "
            f"{status}; a {status} earning cannot be changed again.",
            button=f"Yes, mark {status}",
            back=back,
        )

    async def change() -> None:
        data = EarningUpdate.model_validate({"status": status})
        await earning_service.update_earning(
            ctx.session, ctx.auth, earning_id=earning_id, data=data
        )

    error = await actions.attempt(ctx, change)
    return actions.done(ctx, back, f"Earning marked {status}.", error)


@router.get("/earnings/{earning_id}/reverse")
async def earning_reverse_confirm(ctx: Ctx, earning_id: str) -> Response:
    """Ask before reversing an earning: what it does (reversed, or a clawback once paid)."""
    earning = await earning_service.get_earning_or_raise(
        ctx.session, ctx.auth, earning_id=earning_id
    )
    target = ctx.request.query_params.get("next", "")
    back = target if target.startswith(f"{PREFIX}/earnings") else f"{PREFIX}/earnings"
    return render(
        ctx,
        "earning_reverse.html",
        earning=earning,
        amount=f"{to_major(earning.amount, earning.currency)} {earning.currency}",
        back=back,
    )


@router.post("/earnings/{earning_id}/reverse")
async def earning_reverse(ctx: Ctx, earning_id: str) -> Response:
    """Reverse an earning once confirmed, through the ledger flow the API's reverse uses."""

    async def change() -> None:
        await ledger.reverse_earning(
            ctx.session, ctx.auth, earning_id=earning_id, reason=ctx.field("reason").strip()
        )

    error = await actions.attempt(ctx, change)
    return actions.done(ctx, f"{PREFIX}/earnings", "Earning reversed.", error)
