"""The overview: the funnel, scans and signups per day, the top ambassadors and posters."""

from fastapi import APIRouter
from starlette.responses import Response

from vantio.dashboard import charts, queries
from vantio.dashboard.common import all_programs, period_of, query
from vantio.dashboard.web import PREFIX, Ctx, DashboardRoute, render
from vantio.kit.money import to_major

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)


@router.get("/")
async def overview(ctx: Ctx) -> Response:
    """The funnel and the figures of a program (or all) over a date range."""
    period, dates = period_of(ctx, default_days=30)
    programs = await all_programs(ctx)
    program_id = query(ctx, "program")
    if program_id and program_id not in {p.id for p in programs}:
        program_id = None
    funnel = await queries.funnel(ctx.session, ctx.auth, program_id=program_id, period=period)
    earned = ", ".join(
        f"{to_major(amount, currency)} {currency}"
        for currency, amount in sorted(funnel.earnings.items())
    )
    stages = [
        ("Scans", funnel.scans, f"{funnel.scans:,}"),
        ("Referrals", funnel.referrals, f"{funnel.referrals:,}"),
        ("Converted", funnel.converted, f"{funnel.converted:,}"),
        ("Verified", funnel.verified, f"{funnel.verified:,}"),
    ]
    days = await queries.daily(ctx.session, ctx.auth, program_id=program_id, period=period)
    return render(
        ctx,
        "overview.html",
        programs=programs,
        program_id=program_id or "",
        dates=dates,
        funnel=funnel,
        earned=earned or "0",
        funnel_chart=charts.funnel_svg(stages),
        series_chart=charts.series_svg(days, ("scans", "signups")),
        top_ambassadors=await queries.top_ambassadors(
            ctx.session, ctx.auth, program_id=program_id, period=period
        ),
        top_posters=await queries.top_posters(
            ctx.session, ctx.auth, program_id=program_id, period=period
        ),
    )
