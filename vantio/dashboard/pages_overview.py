"""The overview: the funnel, scans and signups per day, the top ambassadors and posters.

Every figure comes from the analytics service (the same numbers as /api/v1/analytics).
"""

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter
from starlette.responses import Response

from vantio.analytics import periods
from vantio.analytics import service as analytics
from vantio.dashboard import charts
from vantio.dashboard.common import all_programs, query
from vantio.dashboard.web import PREFIX, Ctx, DashboardRoute, render
from vantio.kit.money import to_major

router = APIRouter(prefix=PREFIX, route_class=DashboardRoute)
TOP = 5


@dataclass(frozen=True)
class Ranked:
    id: str
    label: str
    detail: str
    count: int


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
    leaders = await analytics.leaderboard(
        ctx.session, ctx.auth, program_id=program_id, currency=currency, period=period
    )
    places = await analytics.posters(ctx.session, ctx.auth, program_id=program_id, period=period)
    # The API's rankings (GET /api/v1/analytics/leaderboard and /posters), without the zeros.
    top_ambassadors = [
        Ranked(
            a.user.id, f"{a.user.first_name} {a.user.last_name}", a.user.email, a.figures.referrals
        )
        for a in analytics.rank_ambassadors(leaders, "referrals")
        if a.figures.referrals
    ][:TOP]
    top_posters = [
        Ranked(
            p.poster.id, p.poster.location or "(no location)", p.poster.code, p.figures.impressions
        )
        for p in analytics.rank_posters(places)
        if p.figures.impressions
    ][:TOP]
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
