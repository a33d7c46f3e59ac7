"""The overview: the funnel, scans and signups per day, the top ambassadors and posters.

Every figure comes from the analytics service (the same numbers as /api/v1/analytics).
"""

from datetime import timedelta

from fastapi import APIRouter
from starlette.responses import Response

from vantio.analytics import periods
from vantio.analytics import service as analytics
from vantio.dashboard import charts, insight
from vantio.dashboard.common import all_programs, query
from vantio.dashboard.web import PREFIX, Ctx, DashboardRoute, render
from vantio.kit.money import to_major

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)


@router.get("/")
async def overview(ctx: Ctx) -> Response:
    """The funnel and the figures of a program (or all) over a date range."""
    period = periods.parse_range(query(ctx, "from"), query(ctx, "to"), None)
    dates = {
        "from": period.start.date().isoformat(),
        "to": (period.end - timedelta(days=1)).date().isoformat(),
    }
    programs = await all_programs(ctx)
    program = next((p for p in programs if p.id == query(ctx, "program")), None)
    program_id = program.id if program else None
    # Earnings are summed in one currency: the program's, or the newest program's.
    currency = program.currency if program else (programs[0].currency if programs else "USD")
    funnel = await analytics.funnel(
        ctx.session,
        ctx.auth,
        program_id=program_id,
        currency=currency,
        period=period,
        interval="day",
    )
    total = funnel.total
    stages = [
        ("Scans", total.impressions, f"{total.impressions:,}"),
        ("Referrals", total.referrals, f"{total.referrals:,}"),
        ("Converted", total.converted, f"{total.converted:,}"),
        ("Verified", total.verified, f"{total.verified:,}"),
    ]
    days = {
        cut.date().isoformat(): {"scans": figures.impressions, "signups": figures.referrals}
        for cut, figures in zip(funnel.cuts, funnel.intervals, strict=False)
    }
    top_ambassadors, top_posters = await insight.top_lists(
        ctx, program_id=program_id, currency=currency, period=period
    )
    return render(
        ctx,
        "overview.html",
        programs=programs,
        program_id=program_id or "",
        dates=dates,
        funnel=total,
        earned=f"{to_major(total.earnings_amount, currency)} {currency}",
        funnel_chart=charts.funnel_svg(stages),
        series_chart=charts.series_svg(days, ("scans", "signups")),
        top_ambassadors=top_ambassadors,
        top_posters=top_posters,
    )
